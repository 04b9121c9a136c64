# Needs ip_pools/view (or ip_pools/manage), which the operator key lacks.
data "sparkpost_ip_pool" "default" {
  id = "default"
}

output "default_pool_ips" {
  value = [for ip in data.sparkpost_ip_pool.default.ips : ip.external_ip]
}
