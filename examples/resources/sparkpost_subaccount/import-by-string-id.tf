import {
  to = sparkpost_subaccount.example
  id = "123"
}
