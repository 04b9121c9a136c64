# A webhook for the primary account and every subaccount, by its id (GET /api/v1/webhooks).
terraform import sparkpost_webhook.everything 12affc24-f183-11e3-9234-3c15c2c818c2

# A subaccount's webhook: SUBACCOUNT_ID:WEBHOOK_ID (0:WEBHOOK_ID for the primary account only).
# Credentials are never imported: set auth_secret_* and the next apply sends them once.
terraform import 'sparkpost_webhook.alerts["acme"]' 101:a2b83490-10df-11e4-b670-c1ffa86371ff
