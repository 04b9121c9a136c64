# Integration tests of the managed-smtp module with the real provider. `make test` runs them
# against the local SparkPost emulator and Secret Manager fake (SPARKPOST_API_KEY,
# SPARKPOST_BASE_URL and SECRETMANAGER_EMULATOR_HOST point the provider there); pointed at a real
# account they create and then terminate real subaccounts.
#
# terraform test destroys what each file created when the file ends. SparkPost cannot delete a
# subaccount, and the module protects it from destruction by default: without
# deletion_protection = false the teardown fails and leaves the subaccount behind.

variables {
  customer            = "tftest"
  secret_project      = "cloud-tftest-prod"
  deletion_protection = false
  on_destroy          = "terminate"
}

run "instance_with_a_custom_domain" {
  variables {
    sending_domain = "mail.tftest.example"
  }
  assert {
    condition     = output.email_smtp.password == "projects/cloud-tftest-prod/secrets/SPARKPOST_SMTP_API_KEY/versions/1"
    error_message = "The SMTP password names the first version of the instance's secret."
  }
  assert {
    condition     = sparkpost_subaccount.this.initial_api_key_secret == null
    error_message = "The send key never enters Terraform state."
  }
  assert {
    condition     = toset(keys(output.dns_records)) == toset(["dkim", "bounce_cname"])
    error_message = "A custom domain outputs its DKIM and bounce CNAME records."
  }
  assert {
    condition     = output.dns_records["bounce_cname"].value == "sparkpostmail.com"
    error_message = "A US domain's bounce CNAME points at sparkpostmail.com."
  }
}

run "suspend_keeps_everything" {
  variables {
    sending_domain = "mail.tftest.example"
    suspended      = true
  }
  assert {
    condition     = sparkpost_subaccount.this.status == "suspended"
    error_message = "suspended = true suspends the subaccount."
  }
  assert {
    condition     = output.subaccount_id == run.instance_with_a_custom_domain.subaccount_id
    error_message = "Suspending keeps the same subaccount."
  }
}

# Reactivated before the teardown: a suspended subaccount is read-only in SparkPost, so its
# sending domain could not be deleted (see docs/guides/decommissioning.md).
run "reactivate" {
  variables {
    sending_domain = "mail.tftest.example"
  }
  assert {
    condition     = sparkpost_subaccount.this.status == "active" && output.subaccount_id == run.instance_with_a_custom_domain.subaccount_id
    error_message = "suspended = false reactivates the same subaccount."
  }
}
