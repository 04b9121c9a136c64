# A subaccount's domain: "SUBACCOUNT_ID/DOMAIN" (the domain alone also works: SparkPost reports
# the owner).
import {
  to = sparkpost_sending_domain.mail
  id = "123/mail.acme.example"
}

# A domain of the primary account, by its name. The DKIM private key (write-only) stays null and
# forces nothing.
import {
  to = sparkpost_sending_domain.brought
  id = "news.acme.example"
}
