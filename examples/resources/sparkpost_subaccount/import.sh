# Import an existing subaccount by its numeric id. Nothing is changed or replaced; the initial key,
# which SparkPost shows only at creation, stays null.
terraform import sparkpost_subaccount.example 123
