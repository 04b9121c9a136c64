# Managed SMTP for several Cloud instances, the way instance modules use it: one module call
# per instance with for_each. The operator key comes from Secret Manager.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sparkpost = {
      source = "sourcegraph/sparkpost"
    }
  }
}

provider "sparkpost" {
  # The operator key: metrics read-only, subaccounts read/write, sending domains read/write.
  api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest"
  region         = var.region
}

variable "region" {
  description = "The SparkPost region of the account."
  type        = string
  default     = "us"
}

variable "instances" {
  description = "Cloud instances by customer slug."
  type = map(object({
    project            = string
    sending_domain     = optional(string)
    ip_pool            = optional(string)
    adopt_existing_key = optional(bool, false)
    enabled            = optional(bool, true) # false: the customer brings their own SMTP
  }))
}

module "managed_smtp" {
  source   = "../modules/managed-smtp"
  for_each = var.instances

  customer           = each.key
  secret_project     = each.value.project
  region             = var.region
  sending_domain     = each.value.sending_domain
  ip_pool            = each.value.ip_pool
  adopt_existing_key = each.value.adopt_existing_key
  enabled            = each.value.enabled
}

output "smtp" {
  description = "Per instance: the subaccount, the default sender and the site-config email.smtp object."
  value = {
    for customer, m in module.managed_smtp : customer => {
      subaccount_id  = m.subaccount_id
      default_sender = m.default_sender
      email_smtp     = m.email_smtp
      dns_records    = m.dns_records
    }
  }
}
