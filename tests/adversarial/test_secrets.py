"""Secrets class: a server that echoes the API key back, in any encoding, never gets it into an
error text, a diagnostic or a log line.

Each case is one encoding a server or proxy could echo (computed here independently of the
provider's own list), for two kinds of secret: a SparkPost-style hex key and a secret full of
punctuation (where URL, JSON and HTML escaping differ from the verbatim text). The checks:
the process-wide scrubber (diagnostics, log lines), the client's error (a hostile server on
127.0.0.1 echoes the key in its error body), and, end to end, a `terraform plan` whose
provider meets such a server, with TF_LOG=trace. Beyond substring checks, every base64 or hex
run left in a text is decoded at each alignment and must not contain the secret.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import os
import re
from typing import Any, Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.client import SparkPostClient
from provider.tfplugin import redact

from . import hostile_http as H

HEX_KEY = "c0ffee15" + os.urandom(16).hex()  # 40 hex characters, like a SparkPost key
PUNCT = 'p+q/r=s&t"u<v>w\\x y%z:' + os.urandom(6).hex()  # every character some encoding escapes


def b64_inside(secret: str, prefix: bytes, enc: Callable[[bytes], bytes] = base64.b64encode) -> str:
    """The secret base64-encoded inside a longer text (a header dump), at the prefix's alignment."""
    return enc(prefix + secret.encode() + b"\r\nAccept: */*").decode()


ENCODINGS: dict[str, Callable[[str], str]] = {
    "verbatim": lambda s: s,
    "upper-case": lambda s: s.upper(),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64-unpadded": lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
    "base64-url-safe": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "base64-url-safe-unpadded": lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
    "basic-auth-user": lambda s: "Basic " + base64.b64encode(s.encode() + b":").decode(),
    "basic-auth-password": lambda s: "Basic " + base64.b64encode(b"x:" + s.encode()).decode(),
    "base64-in-header-dump-offset-0": lambda s: b64_inside(s, b"Authorization: "),
    "base64-in-header-dump-offset-1": lambda s: b64_inside(s, b"Authorization:  "),
    "base64-in-header-dump-offset-2": lambda s: b64_inside(s, b"Authorization:   "),
    "url-safe-base64-in-dump": lambda s: b64_inside(s, b"key=", base64.urlsafe_b64encode),
    "base32": lambda s: base64.b32encode(s.encode()).decode(),
    "hex": lambda s: s.encode().hex(),
    "hex-upper": lambda s: s.encode().hex().upper(),
    "url-encoded": lambda s: quote(s, safe=""),
    "url-encoded-plus": lambda s: quote_plus(s),
    "url-encoded-every-byte": lambda s: "".join(f"%{b:02X}" for b in s.encode()),
    "url-encoded-twice": lambda s: quote(quote(s, safe=""), safe=""),
    "json-escaped": lambda s: json.dumps(s)[1:-1],
    "json-every-char-escaped": lambda s: "".join(f"\\u{ord(c):04X}" for c in s),
    "html-escaped": lambda s: html.escape(s),
    "html-numeric-entities": lambda s: "".join(f"&#{ord(c)};" for c in s),
}
SECRETS = {"hex-key": HEX_KEY, "punctuated": PUNCT}


def leaks(text: str, secret: str) -> list[str]:
    """Every way ``secret`` can still be read in ``text``: verbatim, or inside a base64/hex run."""
    found = []
    low = text.lower()
    for name, enc in ENCODINGS.items():
        form = enc(secret)
        core = form[6:] if form.startswith("Basic ") else form
        if len(core) >= 8 and core.lower() in low and not name.startswith(("base64-in", "url-safe-base64-in")):
            found.append(name)
    raw = secret.encode()
    for run in re.findall(r"[A-Za-z0-9+/_=-]{16,}", text):
        for start in range(4):
            chunk = run[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    if raw in decode(chunk.replace("=", "") + "=" * (-len(chunk.replace("=", "")) % 4)):
                        found.append(f"base64 run {run[:20]}...")
                except (binascii.Error, ValueError):
                    pass
    for run in re.findall(r"[0-9A-Fa-f]{16,}", text):
        for start in range(2):
            try:
                if raw in bytes.fromhex(run[start:len(run) - (len(run) - start) % 2]):
                    found.append(f"hex run {run[:20]}...")
            except ValueError:
                pass
    return found


def test_leak_detector_finds_every_unscrubbed_form() -> None:
    """The detector itself: every encoding, unscrubbed, is found (else the cases prove nothing)."""
    for secret in SECRETS.values():
        for name, enc in ENCODINGS.items():
            assert leaks(f"echo: {enc(secret)} .", secret), name


@pytest.fixture(scope="module", autouse=True)
def registered() -> Iterator[None]:
    for s in SECRETS.values():
        redact.register(s)
    yield


@pytest.mark.parametrize("secret", list(SECRETS))
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_process_scrubber_removes_the_form(secret: str, encoding: str) -> None:
    s = SECRETS[secret]
    text = f'{{"message": "bad key", "echo": "{ENCODINGS[encoding](s)}", "n": 1}}'
    out = redact.scrub(text)
    assert not leaks(out, s), out
    assert "bad key" in out and redact.MASK in out  # the rest of the text survives


def echo_server(encoding: str, secret_from_request: bool = True) -> H.HostileServer:
    """Answers 400 with the request's Authorization header echoed in the given encoding."""

    def behave(conn: H.Conn) -> None:
        auth = ""
        for line in conn.request.decode("latin-1").split("\r\n"):
            if line.lower().startswith("authorization:"):
                auth = line.split(":", 1)[1].strip()
        body = json.dumps({"errors": [{"message": "invalid key", "description": f"you sent {ENCODINGS[encoding](auth)}",
                                       "param": ENCODINGS[encoding](auth)}]}).encode()
        conn.send(H.head("400 Bad Request", Content_Type="application/json", Content_Length=str(len(body))) + body)

    return H.HostileServer(behave)


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_client_error_never_carries_the_echoed_key(no_proxy: None, encoding: str) -> None:
    server = echo_server(encoding)
    try:
        # The client scrubs its own key; nothing here registers it process-wide.
        key = "9a" + os.urandom(19).hex()
        c = SparkPostClient(key, base_url=server.url, max_retries=0)
        with pytest.raises(E.BadRequest) as info:
            c.get_subaccount(1)
        err = info.value
        texts = [str(err), repr(err.errors), str(err.body_excerpt), str(err.description), str(err.param)]
        for t in texts:
            assert not leaks(t, key), (encoding, t)
        assert "GET /subaccounts/1" in str(err) and "invalid key" in str(err)
    finally:
        server.close()


def test_plan_against_an_echoing_server_leaks_nothing(make_tf: Any) -> None:
    """End to end: every encoding echoed at once in the credentials check's 401 answer (shown
    in the "rejected the API key" error), with
    TF_LOG=trace; the plan's output and the provider's log hold no form of the key."""

    def behave(conn: H.Conn) -> None:
        auth = ""
        for line in conn.request.decode("latin-1").split("\r\n"):
            if line.lower().startswith("authorization:"):
                auth = line.split(":", 1)[1].strip()
        echoes = {name: enc(auth) for name, enc in ENCODINGS.items()}
        body = json.dumps({"errors": [{"message": "invalid", "description": json.dumps(echoes)}]}).encode()
        conn.send(H.head("401 Unauthorized", Content_Type="application/json", Content_Length=str(len(body))) + body)

    server = H.HostileServer(behave)
    key = "7e" + os.urandom(19).hex()
    try:
        tf = make_tf(SPARKPOST_API_KEY=key, TF_LOG="trace", NO_PROXY="127.0.0.1")
        tf.write('terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'
                 f'provider "sparkpost" {{\n  base_url = "{server.url}"\n  max_retries = 0\n}}\n'
                 'resource "sparkpost_subaccount" "x" {\n  name = "x"\n}\n')
        tf.init()
        result = tf.run("plan", "-no-color", "-input=false", check=False)
    finally:
        server.close()
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "GET /account" in out, out[-3000:]
    assert server.count >= 1
    found = leaks(out, key)
    assert not found, found


def _planfile_text(tf: Any) -> str:
    import zipfile

    with zipfile.ZipFile(tf.workdir / "tfplan") as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


@pytest.mark.parametrize("how", ["literal-in-configuration", "ephemeral-variable"])
def test_where_the_api_key_lands_in_the_plan_file(sp: Any, how: str) -> None:
    """What the docs say, checked: a literal key is in the plan file (Terraform's doing); an
    ephemeral variable is not, and the plan works with it."""
    key = sp.operator_key
    if how == "literal-in-configuration":
        block = f'provider "sparkpost" {{\n  api_key = "{key}"\n}}\n'
    else:
        block = ('variable "sparkpost_api_key" {\n  type = string\n  sensitive = true\n  ephemeral = true\n}\n'
                 'provider "sparkpost" {\n  api_key = var.sparkpost_api_key\n}\n')
    sp.tf.write('terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'
                + block + 'resource "sparkpost_subaccount" "x" {\n  name = "x"\n}\n')
    sp.tf.init()
    result, plan = sp.tf.plan(env={"TF_VAR_sparkpost_api_key": key, "SPARKPOST_API_KEY": ""})
    assert result.returncode == 2 and plan is not None, result.stderr[-2000:]
    in_plan_file = key in _planfile_text(sp.tf)
    assert in_plan_file == (how == "literal-in-configuration")


def test_docs_say_where_literal_secrets_land() -> None:
    """The plan file holds a literal api_key or dkim.private_key: the docs say so and what to use."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    index = open(os.path.join(root, "docs", "index.md"), encoding="utf-8").read()
    for text in (readme, index):
        assert "plan file" in text and "ephemeral" in text and "api_key_secret" in text
    assert "dkim" in readme.lower() and "private_key" in readme


