# A key of the primary account, by its id (not the key itself: ids are listed by
# GET /api/v1/api-keys). The key's secret is not imported: `key` stays null.
terraform import sparkpost_api_key.ci_metrics 5f0c1d2e-0000-4000-8000-000000000001

# A subaccount's key: SUBACCOUNT_ID/KEY_ID.
terraform import sparkpost_api_key.smtp 123/9a8b7c6d-0000-4000-8000-000000000002
