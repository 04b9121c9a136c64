"""A process-wide list of secret strings scrubbed from every log line and diagnostic.

Values of attributes marked sensitive are registered as they are decoded, and resource code
registers the secrets it meets (API keys it creates, say), so an exception text that happens to
carry one can still be shown safely.
"""

from __future__ import annotations

import threading

_MIN_LEN = 6  # shorter strings would scrub ordinary words
_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "(redacted)"


def register(value: str | None) -> None:
    if isinstance(value, str) and len(value) >= _MIN_LEN:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, MASK)
    return text
