# Import a sending domain of the primary account by its name. Nothing is changed or replaced; a
# DKIM private key you brought (write-only) stays null in state and forces nothing.
terraform import sparkpost_sending_domain.mail mail.acme.example

# A subaccount's domain: SUBACCOUNT_ID/DOMAIN (DOMAIN alone also works: SparkPost reports the owner).
terraform import sparkpost_sending_domain.mail 123/mail.acme.example
