# A subaccount's key: "SUBACCOUNT_ID/KEY_ID" (a key of the primary account: its id alone).
# Only the key's id is imported, never the key itself: `key` stays null.
import {
  to = sparkpost_api_key.smtp
  id = "123/9a8b7c6d-0000-4000-8000-000000000002"
}
