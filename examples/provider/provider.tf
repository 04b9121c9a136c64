# The operator key is read once from Google Secret Manager, with Application Default Credentials
# (the caller needs secretmanager.versions.access on the secret).
#
# Alternatively give the key itself: api_key = var.sparkpost_api_key, or leave both out and set
# the SPARKPOST_API_KEY environment variable. For an account in SparkPost's EU region, add
# region = "eu" (or set SPARKPOST_REGION=eu).
provider "sparkpost" {
  api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest"
}
