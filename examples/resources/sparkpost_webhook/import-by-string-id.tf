import {
  to = sparkpost_webhook.alerts["acme"]
  id = "101:a2b83490-10df-11e4-b670-c1ffa86371ff"
}
