locals {
  password_secret_version = (
    local.api_key_resource ? sparkpost_api_key.send[0].secret_manager.version :
    sparkpost_subaccount.this.initial_api_key_secret_manager.version
  )
}

output "subaccount_id" {
  description = "The instance's SparkPost subaccount id."
  value       = sparkpost_subaccount.this.id
}

output "default_sender" {
  description = "The instance's default sender address."
  value       = "noreply+${var.customer}@cloud.sourcegraph.com"
}

output "smtp_password_secret_version" {
  description = "The Secret Manager version holding the SMTP password (the send key). The key itself never leaves Secret Manager."
  value       = local.password_secret_version
}

output "email_smtp" {
  description = "Sourcegraph's site-config email.smtp object. password names the Secret Manager version holding the key, never the key. null when enabled = false: the instance uses the customer's own SMTP."
  value = !var.enabled ? null : {
    host           = local.smtp_host
    port           = 587
    username       = "SMTP_Injection"
    password       = local.password_secret_version
    authentication = "PLAIN"
  }
}

output "dns_records" {
  description = "With a custom sending domain: the DNS records to publish (DKIM TXT and bounce CNAME), keyed by their stable id."
  value       = var.sending_domain == null ? {} : { for r in sparkpost_sending_domain.custom[0].dns_records : r.id => r }
}
