"""The provider block: credentials, region or endpoint, retries and timeouts."""

from __future__ import annotations

import threading
from typing import Any

from ..tfplugin.diagnostics import Diagnostics
from ..tfplugin.schema import Attribute, Block, Schema

PROVIDER_SCHEMA = Schema(block=Block(attributes=[
    Attribute("api_key", "string", optional=True, sensitive=True, description="SparkPost API key."),
]))


def validate(config: dict[str, Any], diags: Diagnostics) -> None:
    pass


def configure(config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event) -> Any:
    return None
