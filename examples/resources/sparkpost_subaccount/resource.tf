# A customer's subaccount with a send-only key. The key is written to Google Secret Manager as a
# new secret version, so it never enters Terraform state.
resource "sparkpost_subaccount" "example" {
  name = "acme-corp"

  # The default: a destroy fails and changes nothing until this is set to false and applied.
  deletion_protection = true
  # Once protection is off, suspend rather than terminate (termination is irreversible).
  on_destroy = "suspend"

  initial_api_key = {
    label  = "acme-corp SMTP"
    grants = ["smtp/inject"]
  }

  initial_api_key_secret_manager = {
    secret        = "projects/acme-cloud/secrets/SPARKPOST_SMTP_KEY"
    create_secret = true
  }
}

output "smtp_password_secret_version" {
  value = sparkpost_subaccount.example.initial_api_key_secret_manager.version
}
