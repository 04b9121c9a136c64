"""A process-wide list of secret strings scrubbed from every log line and diagnostic.

Values of attributes marked sensitive are registered as they are decoded, and resource code
registers the secrets it meets (API keys it creates, say), so an exception text that happens to
carry one can still be shown safely.

A server (or a proxy) that echoes a secret back rarely echoes it verbatim: it may have
base64-encoded it (an ``Authorization: Basic`` header, a JSON field holding a header dump),
percent-encoded it in a URL, hex-dumped it, or escaped it inside JSON or HTML. Each secret is
therefore scrubbed in every form ``encoded_forms`` lists, case-insensitively, including its
base64 at any of the three byte alignments inside a longer encoded text.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
import threading
from urllib.parse import quote, quote_plus

_MIN_LEN = 6  # shorter strings would scrub ordinary words
_MIN_FRAGMENT = 12  # a base64 run cut out of a longer encoding must be at least this long
_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "(redacted)"


def _aligned_base64(data: bytes, encode: "type[bytes] | object") -> set[str]:
    """The base64 characters that depend only on ``data``, wherever it sits in a longer input:
    one run per alignment (the data starting at byte offset 0, 1 or 2 of a 3-byte group)."""
    runs = set()
    n = len(data)
    for k in (0, 1, 2):
        text = encode(b"\0" * k + data + b"\0\0\0").decode()  # type: ignore[operator]
        first = -(-8 * k // 6)  # the first character whose 6 bits all come from data
        last = (8 * k + 8 * n) // 6  # one past the last such character
        run = text[first:last]
        if len(run) >= _MIN_FRAGMENT:
            runs.add(run)
    return runs


def encoded_forms(secret: str) -> set[str]:
    """The forms in which an echoed ``secret`` can come back in text."""
    data = secret.encode("utf-8")
    forms = {secret}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        forms |= {whole, whole.rstrip("=")}
        forms |= _aligned_base64(data, encode)
    b32 = base64.b32encode(data).decode()
    forms |= {b32, b32.rstrip("=")}
    forms.add(data.hex())
    forms |= {quote(secret, safe=""), quote_plus(secret), quote(quote(secret, safe=""), safe="")}
    forms.add("".join(f"%{b:02x}" for b in data))  # every byte percent-encoded
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms.add("".join(f"\\u{ord(c):04x}" for c in secret))  # every character \u-escaped
    forms |= {html.escape(secret), "".join(f"&#{ord(c)};" for c in secret), "".join(f"&#x{ord(c):x};" for c in secret)}
    return {f for f in forms if len(f) >= _MIN_LEN}


@functools.lru_cache(maxsize=64)
def _compiled(secrets: frozenset[str]) -> re.Pattern[str] | None:
    forms: set[str] = set()
    for s in secrets:
        if isinstance(s, str) and len(s) >= _MIN_LEN:
            forms |= encoded_forms(s)
    if not forms:
        return None
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)), re.IGNORECASE)


def pattern_for(secrets: "set[str] | list[str]") -> re.Pattern[str] | None:
    """One case-insensitive pattern matching every form of a few secrets, longest first (for
    scrubbing one error's fields; the process-wide list below uses an index instead)."""
    return _compiled(frozenset(secrets))


# The process-wide list: every form, lower-cased, filed under its first _MIN_LEN characters.
# Scrubbing looks up each position of the text once, so its cost does not grow with the number
# of secrets (hundreds in a large apply), and registering one adds its forms without rebuilding.
_index: dict[str, list[str]] = {}


def register(value: str | None) -> None:
    if isinstance(value, str) and len(value) >= _MIN_LEN:
        with _lock:
            if value in _secrets:
                return
            _secrets.add(value)
            for form in encoded_forms(value):
                low = _lower(form)
                bucket = _index.setdefault(low[:_MIN_LEN], [])
                if low not in bucket:
                    bucket.append(low)
                    bucket.sort(key=len, reverse=True)  # the longest match wins


def _lower(text: str) -> str:
    """Lower case, one character for one (so positions in the result are positions in text)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def scrub(text: str) -> str:
    if not text or not _index:
        return text
    low = _lower(text)
    out: list[str] = []
    last = i = 0
    end = len(low) - _MIN_LEN
    index = _index
    while i <= end:
        bucket = index.get(low[i:i + _MIN_LEN])
        if bucket:
            for form in bucket:
                if low.startswith(form, i):
                    out.append(text[last:i])
                    out.append(MASK)
                    i = last = i + len(form)
                    break
            else:
                i += 1
        else:
            i += 1
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)
