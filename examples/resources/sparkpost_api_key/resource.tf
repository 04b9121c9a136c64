# A key of the primary account for a CI job that reads metrics, usable only from the CI network.
# The key is kept in Terraform state (sensitive): use it as sparkpost_api_key.ci_metrics.key.
resource "sparkpost_api_key" "ci_metrics" {
  label     = "ci metrics reader"
  grants    = ["metrics/view"]
  valid_ips = ["203.0.113.0/24"]
}

# A subaccount's SMTP send key, rotated every 90 days and stored in Google Secret Manager
# (projects/PROJECT/secrets/SECRET/versions/latest is always the current key). The key never
# enters Terraform state.
resource "time_rotating" "smtp_key" {
  rotation_days = 90
}

resource "sparkpost_api_key" "smtp" {
  label         = "acme smtp"
  subaccount_id = "123" # sparkpost_subaccount.id; leave out for a key of the primary account
  grants        = ["smtp/inject"]

  rotation_trigger = time_rotating.smtp_key.id

  secret_manager = {
    secret        = "projects/acme-prod/secrets/SPARKPOST_SMTP_KEY"
    create_secret = true
  }

  # Make the new key (and its secret version) before revoking the old one.
  lifecycle {
    create_before_destroy = true
  }
}
