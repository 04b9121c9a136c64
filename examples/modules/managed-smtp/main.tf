# Managed SMTP for one Sourcegraph Cloud instance: a SparkPost subaccount, a send key allowed
# only to send over SMTP stored in the instance's Secret Manager, and the SMTP settings.

locals {
  secret = "projects/${var.secret_project}/secrets/${var.secret_id}"
  # The subaccount always carries its send key's settings, adopted or not: if SparkPost ever
  # terminates the subaccount or revokes the key, the subaccount made in its place gets a new
  # key, written to the same secret. An adopted subaccount adopts the key the secret holds.
  api_key_resource = var.key_via_api_key_resource && !var.adopt_existing_key
  initial_key      = !local.api_key_resource
  smtp_host        = var.region == "eu" ? "smtp.eu.sparkpostmail.com" : "smtp.sparkpostmail.com"
  send_key_grants  = ["smtp/inject"]
}

resource "sparkpost_subaccount" "this" {
  name                = "cloud-${var.customer}"
  ip_pool             = var.ip_pool
  status              = var.suspended || !var.enabled ? "suspended" : "active"
  deletion_protection = var.deletion_protection
  on_destroy          = var.on_destroy
  # One Secret Manager read and one SparkPost request per refresh: a revoked key shows in plan.
  check_initial_api_key = var.check_send_key

  # Made in the same call as the subaccount: the only way an operator key without the
  # API-keys grant can make a subaccount's key.
  initial_api_key = local.initial_key ? {
    label  = "cloud-${var.customer} SMTP"
    grants = local.send_key_grants
  } : null
  initial_api_key_secret_manager = local.initial_key ? {
    secret        = local.secret
    create_secret = var.create_secret
  } : null
}

resource "sparkpost_api_key" "send" {
  count         = local.api_key_resource ? 1 : 0
  label         = "cloud-${var.customer} SMTP"
  subaccount_id = sparkpost_subaccount.this.id
  grants        = local.send_key_grants
  secret_manager = {
    secret        = local.secret
    create_secret = var.create_secret
  }
  # null is the provider's default (check): states written before check_secret existed hold null,
  # and true would plan an update of every such instance.
  check_secret = var.check_send_key ? null : false
}

resource "sparkpost_sending_domain" "custom" {
  count         = var.sending_domain == null ? 0 : 1
  domain        = var.sending_domain
  subaccount_id = sparkpost_subaccount.this.id
}
