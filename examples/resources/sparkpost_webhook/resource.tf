# Webhooks need the webhooks/modify grant, which the operator key lacks: an aliased provider
# with a key that holds it manages them.
provider "sparkpost" {
  alias          = "webhooks"
  api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_WEBHOOKS_API_KEY/versions/latest"
}

variable "instance_subaccounts" {
  description = "Cloud instance -> SparkPost subaccount id (the managed-smtp module's subaccount_id output)."
  type        = map(string)
  default     = { acme = "101", globex = "102" }
}

# Vendor-side alerting: every instance's bounces, spam complaints and rejections go to the
# alerting receiver, one webhook per subaccount, authenticated with basic auth. The password
# comes from Secret Manager at apply and never enters state.
resource "sparkpost_webhook" "alerts" {
  provider      = sparkpost.webhooks
  for_each      = var.instance_subaccounts
  name          = "cloud-${each.key} deliverability alerts"
  target        = "https://alerts.example.com/sparkpost/${each.key}"
  subaccount_id = each.value
  events        = ["bounce", "spam_complaint", "policy_rejection", "out_of_band"]

  auth_type                  = "basic"
  auth_username              = "sparkpost"
  auth_secret_secret_manager = "projects/sourcegraph-secrets/secrets/ALERT_RECEIVER_PASSWORD/versions/3"
}

# One webhook for the whole account instead (primary and every subaccount), with an OAuth2
# client secret given write-only (Terraform 1.11+), e.g. from an ephemeral resource.
variable "receiver_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "sparkpost_webhook" "everything" {
  provider = sparkpost.webhooks
  name     = "all spam complaints"
  target   = "https://alerts.example.com/sparkpost/all"
  events   = ["spam_complaint"]

  auth_type           = "oauth2"
  auth_token_url      = "https://alerts.example.com/oauth/token"
  auth_client_id      = "sparkpost"
  auth_secret_wo      = var.receiver_client_secret
  auth_secret_version = "1" # change it to send a new client secret
}
