# A DNS module that does not own the sending domain reads its records and publishes them.
data "sparkpost_sending_domain" "mail" {
  domain        = "mail.acme.example"
  subaccount_id = "123" # optional: without it the domain is looked up in every subaccount too
}

resource "google_dns_record_set" "sparkpost" {
  for_each     = { for r in data.sparkpost_sending_domain.mail.dns_records : r.id => r }
  managed_zone = "acme-example"
  name         = "${each.value.name}."
  type         = each.value.type
  ttl          = 300
  rrdatas = each.value.type == "TXT" ? [
    join(" ", [for chunk in regexall(".{1,255}", each.value.value) : "\"${chunk}\""])
  ] : ["${each.value.value}."]
}

output "dkim_verified" {
  value = data.sparkpost_sending_domain.mail.status.dkim_status == "valid"
}
