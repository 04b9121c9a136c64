"""The SparkPost resources and data sources, one module each; they are registered in
`provider.provider`."""
