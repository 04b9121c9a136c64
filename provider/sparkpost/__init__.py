"""SparkPost REST client package: the provider's only door to HTTP.

``errors`` is light and imported eagerly (the plugin layer names the exception types at start-up);
``SparkPostClient`` pulls in ``requests``, so it is resolved lazily on first attribute access,
keeping ``import provider.sparkpost`` cheap (Terraform starts the provider three times a plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    BadRequest,
    Cancelled,
    Conflict,
    DkimRejected,
    Forbidden,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    SparkPostError,
    TransportError,
    Unauthorized,
    Unprocessable,
    WebhookTestFailed,
)

if TYPE_CHECKING:  # pragma: no cover
    from .client import SparkPostClient

__all__ = [
    "SparkPostClient",
    "SparkPostError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "DkimRejected",
    "WebhookTestFailed",
    "Unprocessable",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Cancelled",
    "InvalidResponse",
]


def __getattr__(name: str) -> Any:
    if name == "SparkPostClient":
        from .client import SparkPostClient

        return SparkPostClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
