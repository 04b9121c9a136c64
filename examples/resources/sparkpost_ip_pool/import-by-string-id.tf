import {
  to = sparkpost_ip_pool.dedicated
  id = "acme_dedicated"
}
