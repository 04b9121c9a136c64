"""The SparkPost provider: its configuration, and the resources registered in provider.resources."""

from __future__ import annotations

import threading
from typing import Any

from .resources import DATA_SOURCES, RESOURCES
from .resources.config import PROVIDER_SCHEMA, configure, validate
from .tfplugin.diagnostics import Diagnostics
from .tfplugin.resource import Provider


class SparkPostProvider(Provider):
    name = "sparkpost"
    schema = PROVIDER_SCHEMA
    resources = RESOURCES
    data_sources = DATA_SOURCES

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        validate(config, diags)

    def configure(self, config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event) -> Any:
        return configure(config, diags, cancelled)
