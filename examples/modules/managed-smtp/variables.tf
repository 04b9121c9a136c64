variable "customer" {
  description = "The customer slug of the Cloud instance (lower-case letters, digits and dashes). It names the subaccount and the default sender noreply+CUSTOMER@cloud.sourcegraph.com."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", var.customer))
    error_message = "customer must be 1 to 40 lower-case letters, digits or dashes, starting and ending with a letter or digit."
  }
}

variable "secret_project" {
  description = "The instance's Google Cloud project, where the SMTP send key is stored in Secret Manager."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.secret_project))
    error_message = "secret_project must be a Google Cloud project id (6 to 30 lower-case letters, digits or dashes, starting with a letter)."
  }
}

variable "region" {
  description = "The SparkPost region of the account: us or eu. Decides the SMTP host. null means the default."
  type        = string
  default     = "us"
  nullable    = false
  validation {
    condition     = contains(["us", "eu"], var.region)
    error_message = "region must be \"us\" or \"eu\"."
  }
}

variable "sending_domain" {
  description = "An optional custom sending domain for the instance (for example mail.customer.com). Its DNS records are output."
  type        = string
  default     = null
  validation {
    condition     = var.sending_domain == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.sending_domain))
    error_message = "sending_domain must be a lower-case DNS name such as mail.example.com."
  }
}

variable "ip_pool" {
  description = "The id of the IP pool the subaccount sends from, for example sparkpost_ip_pool.dedicated.id. A dedicated pool needs warm-up and is only for very high volumes. null: no pool for a subaccount Terraform creates, and the pool it had for an imported (adopted) one; \"\" removes the pool. SparkPost does not check that the pool exists and rejects all of the subaccount's mail if it does not: plan warns, or refuses an unknown id when the provider's key may read IP pools."
  type        = string
  default     = null
}

variable "secret_id" {
  description = "The Secret Manager secret (in secret_project) that holds the SMTP send key. null means the default."
  type        = string
  default     = "SPARKPOST_SMTP_API_KEY"
  nullable    = false
}

variable "create_secret" {
  description = "Create the secret if it does not exist yet. null means the default."
  type        = bool
  default     = true
  nullable    = false
}

variable "key_via_api_key_resource" {
  description = "Make the send key with sparkpost_api_key instead of the subaccount's initial key. Needs a SparkPost account with the API-keys API (SparkPost documents key management only in its app; most accounts do not have it) and a provider key with api_keys/manage, which our operator key does not have. Without them, plan stops before anything is created. null means the default."
  type        = bool
  default     = false
  nullable    = false
}

variable "adopt_existing_key" {
  description = "For subaccounts adopted from the old sync script (scripts/import-existing sets it). An imported subaccount adopts the send key its secret holds whether or not this is set: the plan reads the secret's latest version, checks the key with SparkPost and records that version. With key_via_api_key_resource, true makes no sparkpost_api_key and keeps the adopted key. null means the default."
  type        = bool
  default     = false
  nullable    = false
}

variable "check_send_key" {
  description = "On every refresh, read the send key from its Secret Manager version and make one SparkPost request with it, so that a key revoked or deleted in SparkPost shows in the plan (the subaccount is then replaced: a key can only be made with a new subaccount). With key_via_api_key_resource, it reads the version the key was written to, so that a version destroyed or disabled, or the secret deleted, shows as a replacement of the key. Costs one Secret Manager read and one SparkPost request per instance per refresh, and needs secretmanager.versions.access on the secret. null means the default."
  type        = bool
  default     = true
  nullable    = false
}

variable "deletion_protection" {
  description = "Refuse to destroy the subaccount (SparkPost cannot delete one; destroying terminates it, irreversibly). null means the default."
  type        = bool
  default     = true
  nullable    = false
}

variable "enabled" {
  description = "Managed SMTP for this instance. false suspends the subaccount (mail stops; the send key, suppression list and history stay) and makes the email_smtp output null, so site config falls back to the customer's own SMTP; true (or null, which means the default) reactivates the same subaccount and key. See docs/guides/managed-smtp.md, \"Bring your own SMTP\"."
  type        = bool
  default     = true
  nullable    = false
}

variable "suspended" {
  description = "Suspend the subaccount: SparkPost refuses its mail (SMTP and REST) but keeps everything, and setting this back to false reactivates it. The first step of decommissioning an instance (docs/guides/decommissioning.md). null means the default."
  type        = bool
  default     = false
  nullable    = false
}

variable "on_destroy" {
  description = "What removing the instance does to its subaccount once deletion_protection is false: terminate (irreversible), suspend (reversible), or abandon (leave it as it is, stop managing it). The send key's secret is never touched: see docs/guides/decommissioning.md. null means the default."
  type        = string
  default     = "terminate"
  nullable    = false
  validation {
    condition     = contains(["terminate", "suspend", "abandon"], var.on_destroy)
    error_message = "on_destroy must be \"terminate\", \"suspend\" or \"abandon\"."
  }
}
