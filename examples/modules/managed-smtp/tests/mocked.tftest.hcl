# Unit tests of the managed-smtp module with a mocked SparkPost provider: no API, no credentials,
# nothing created. Run in the module directory: terraform init && terraform test -filter=tests/mocked.tftest.hcl

mock_provider "sparkpost" {
  mock_resource "sparkpost_subaccount" {
    defaults = {
      id = "123"
      initial_api_key_secret_manager = {
        secret        = "projects/cloud-acme-prod/secrets/SPARKPOST_SMTP_API_KEY"
        create_secret = true
        version       = "projects/cloud-acme-prod/secrets/SPARKPOST_SMTP_API_KEY/versions/1"
      }
    }
  }
  # Terraform's mock fills every attribute of a computed nested object, including a write-only
  # one (dkim.private_key), and then rejects its own value ("returned a value for the write-only
  # attribute"). Giving the computed dkim object here, with private_key = null, avoids it.
  mock_resource "sparkpost_sending_domain" {
    defaults = {
      dkim = {
        selector    = "scph0001"
        public_key  = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
        private_key = null
      }
    }
  }
}

variables {
  customer       = "acme"
  secret_project = "cloud-acme-prod"
}

run "smtp_settings" {
  assert {
    condition     = output.default_sender == "noreply+acme@cloud.sourcegraph.com"
    error_message = "The default sender must be noreply+CUSTOMER@cloud.sourcegraph.com."
  }
  assert {
    condition     = output.email_smtp.host == "smtp.sparkpostmail.com" && output.email_smtp.port == 587
    error_message = "A US instance sends through smtp.sparkpostmail.com:587."
  }
  assert {
    condition     = sparkpost_subaccount.this.name == "cloud-acme"
    error_message = "The subaccount is named cloud-CUSTOMER."
  }
  assert {
    condition     = sparkpost_subaccount.this.initial_api_key.grants == toset(["smtp/inject"])
    error_message = "The send key may only send over SMTP."
  }
  assert {
    condition     = output.email_smtp.password == sparkpost_subaccount.this.initial_api_key_secret_manager.version
    error_message = "The SMTP password names the secret version holding the key."
  }
  assert {
    condition     = output.dns_records == {}
    error_message = "Without a custom domain there are no DNS records."
  }
}

run "custom_domain_in_the_eu" {
  variables {
    region         = "eu"
    sending_domain = "mail.acme.example"
  }
  assert {
    condition     = output.email_smtp.host == "smtp.eu.sparkpostmail.com"
    error_message = "An EU instance sends through smtp.eu.sparkpostmail.com."
  }
  assert {
    condition     = sparkpost_sending_domain.custom[0].subaccount_id == sparkpost_subaccount.this.id
    error_message = "The custom domain belongs to the instance's subaccount."
  }
}

run "bad_customer_slug_is_refused" {
  command = plan
  variables {
    customer = "Not_A_Slug"
  }
  expect_failures = [var.customer]
}
