# Every active subaccount whose name contains "cloud-".
data "sparkpost_subaccounts" "cloud" {
  name_contains = "cloud-"
  status        = "active"
}

output "cloud_subaccounts" {
  value = { for s in data.sparkpost_subaccounts.cloud.subaccounts : s.name => s.id }
}
