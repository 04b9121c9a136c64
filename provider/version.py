"""The one version number the provider reports everywhere (metadata, User-Agent, mirror path)."""

VERSION = "0.1.0"
