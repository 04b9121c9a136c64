terraform {
  required_version = ">= 1.5"
  required_providers {
    sparkpost = {
      source = "sourcegraph/sparkpost"
    }
  }
}
