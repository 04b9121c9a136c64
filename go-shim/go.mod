module github.com/sourcegraph/terraform-provider-sparkpost/go-shim

go 1.19
