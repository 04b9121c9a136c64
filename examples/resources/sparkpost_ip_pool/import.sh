# An IP pool, by its id (GET /api/v1/ip-pools lists them). The reserved `default` pool cannot be
# imported: read it with the sparkpost_ip_pool data source.
terraform import sparkpost_ip_pool.dedicated acme_dedicated
