# Managing pools needs the ip_pools/manage grant, which the operator key lacks: an aliased
# provider with an administrator key creates the pool, the operator key assigns it.
provider "sparkpost" {
  alias          = "admin"
  api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_ADMIN_API_KEY/versions/latest"
}

# Only for an instance with very high, steady volume: new IPs must be warmed up first, with the
# shared pool taking the overflow meanwhile.
resource "sparkpost_ip_pool" "dedicated" {
  provider                  = sparkpost.admin
  name                      = "Acme dedicated"
  fbl_signing_domain        = "sparkpostmail.com"
  auto_warmup_overflow_pool = "shared pool"
}

resource "sparkpost_subaccount" "acme" {
  name    = "cloud-acme"
  ip_pool = sparkpost_ip_pool.dedicated.id # "acme_dedicated"
}
