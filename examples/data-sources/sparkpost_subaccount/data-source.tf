# Look a subaccount up by its exact name (an error if several share it)...
data "sparkpost_subaccount" "by_name" {
  name = "acme-corp"
}

# ...or by its numeric id.
data "sparkpost_subaccount" "by_id" {
  id = "123"
}

output "acme_subaccount" {
  value = {
    id     = data.sparkpost_subaccount.by_name.id
    status = data.sparkpost_subaccount.by_name.status
  }
}
