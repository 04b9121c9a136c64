"""Logging to stderr as JSON lines in hclog's shape, which Terraform folds into its own log.

The level comes from TF_LOG_PROVIDER, else TF_LOG (TRACE, DEBUG, INFO, WARN, ERROR, JSON, OFF),
as for providers built with Terraform's Go SDKs. Every line passes through the secret scrubber.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone

from .redact import scrub

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_LEVELS = {
    "TRACE": TRACE,
    "JSON": TRACE,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}
_HCLOG_NAMES = {TRACE: "trace", logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn"}


def level_from_env() -> int | None:
    """The configured level, or None when logging is off."""
    raw = (os.environ.get("TF_LOG_PROVIDER") or os.environ.get("TF_LOG") or "").strip().upper()
    if not raw or raw == "OFF":
        return None
    return _LEVELS.get(raw, TRACE)  # Terraform treats any other non-empty value as TRACE


def debug_enabled() -> bool:
    level = level_from_env()
    return level is not None and level <= logging.DEBUG


class HclogFormatter(logging.Formatter):
    """hclog's JSON lines; `module` names the provider's own log lines (logger "provider"),
    and "provider.x.y" becomes "x.y"."""

    def __init__(self, module: str) -> None:
        super().__init__()
        self.module = module

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        entry = {
            "@level": _HCLOG_NAMES.get(record.levelno, "error"),
            "@message": scrub(message),
            "@module": self.module if record.name == "provider" else record.name.replace("provider.", "", 1),
            "@timestamp": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        }
        return json.dumps(entry)


def setup(module: str) -> None:
    """Log to stderr at the level Terraform asks for; `module` is the provider's name."""
    root = logging.getLogger("provider")
    level = level_from_env()
    root.propagate = False
    if level is None:
        root.addHandler(logging.NullHandler())
        root.setLevel(logging.CRITICAL + 1)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(HclogFormatter(module))
    root.addHandler(handler)
    root.setLevel(level)
