"""A test-only provider, `tftest`, that exercises the plugin layer with no SparkPost in sight.

Its one resource keeps objects in a JSON file named by the provider's `store` argument, so tests
can change or delete them "out of band" and watch Terraform notice.
"""
