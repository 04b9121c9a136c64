"""Bad input anywhere gets a clear error and loses nothing.

- A corpus of invalid configurations across the provider block, resources and data sources:
  each fails `terraform plan` with exit 1, an error naming the attribute, and no API call (the
  provider's one credentials check at configuration aside, which reads nothing of the resources).
- Malformed or hostile API responses (not JSON, wrong types, a huge body, a proxy's HTML page):
  a clear error, never a traceback or a crash.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any, Iterator

import pytest

from .harness import Terraform
from .sparkpost_world import SparkPostWorld

SUB = 'resource "sparkpost_subaccount" "x" {\n  name = "ok"\n%s}\n'
KEY = 'resource "sparkpost_api_key" "x" {\n  label  = "ok"\n  grants = ["smtp/inject"]\n%s}\n'
DOMAIN = 'resource "sparkpost_sending_domain" "x" {\n  domain = "mail.example.com"\n%s}\n'
PROVIDER = 'provider "sparkpost" {\n%s}\nresource "sparkpost_subaccount" "x" {\n  name = "ok"\n}\n'

# (configuration, attribute the error must name, text the error must contain)
CORPUS: list[tuple[str, str, str]] = [
    # provider block
    (PROVIDER % '  region = "ap"\n', "region", "must be one of"),
    (PROVIDER % '  base_url = "ftp://x"\n', "base_url", "https://"),
    (PROVIDER % '  api_key = "k"\n  api_key_secret = "projects/my-project/secrets/k/versions/1"\n', "api_key_secret", "either api_key or api_key_secret"),
    (PROVIDER % '  api_key_secret = "projects/my-project/secrets/k"\n', "api_key_secret", "versions"),
    (PROVIDER % '  api_key_secret = "SPARKPOST_API_KEY"\n', "api_key_secret", "projects/PROJECT/secrets/SECRET/versions/VERSION"),
    (PROVIDER % "  max_retries = -1\n", "max_retries", "between"),
    (PROVIDER % "  retry_timeout = 99999\n", "retry_timeout", "between"),
    (PROVIDER % "  request_timeout = 0\n", "request_timeout", "between"),
    (PROVIDER % '  max_retries = "many"\n', "max_retries", "number"),
    # sparkpost_subaccount
    ('resource "sparkpost_subaccount" "x" {\n  name = "%s"\n}\n' % ("n" * 65), "name", "at most 64"),
    ('resource "sparkpost_subaccount" "x" {\n  name = "   "\n}\n', "name", "empty"),
    ('resource "sparkpost_subaccount" "x" {\n}\n', "name", "required"),
    (SUB % '  status = "terminated"\n', "status", "must be one of"),
    (SUB % '  on_destroy = "delete"\n', "on_destroy", "must be one of"),
    (SUB % '  ip_pool = "pool-with-dash"\n', "ip_pool", "letters, digits or underscores"),
    (SUB % '  ip_pool = "a_pool_name_far_too_long_for_sparkpost"\n', "ip_pool", "letters, digits or underscores"),
    (SUB % '  deletion_protection = "maybe"\n', "deletion_protection", "bool"),
    (SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject", "metrics/view"]\n  }\n', "initial_api_key.grants", "metrics/view"),
    (SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = ["10.0.0.300"]\n  }\n', "initial_api_key.valid_ips", "IPv4"),
    (SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = ["2001:db8::1"]\n  }\n', "initial_api_key.valid_ips", "IPv6"),
    (SUB % '  initial_api_key = {\n    grants = ["smtp/inject"]\n  }\n', "initial_api_key", "label"),
    (SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n  }\n  initial_api_key_secret_manager = { secret = "projects/p/secrets/s" }\n', "initial_api_key_secret_manager.secret", "project"),
    (SUB % '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n  }\n  initial_api_key_secret_manager = { secret = "projects/my-project/secrets/bad name" }\n', "initial_api_key_secret_manager.secret", "secret"),
    # sparkpost_api_key
    ('resource "sparkpost_api_key" "x" {\n  label = "ok"\n}\n', "grants", "required"),
    ('resource "sparkpost_api_key" "x" {\n  label = ""\n  grants = ["smtp/inject"]\n}\n', "label", "empty"),
    ('resource "sparkpost_api_key" "x" {\n  label = "%s"\n  grants = ["smtp/inject"]\n}\n' % ("l" * 1025), "label", "1024"),
    (KEY % '  valid_ips = ["203.0.113.0/40"]\n', "valid_ips", "IPv4"),
    (KEY % '  valid_ips = ["::1"]\n', "valid_ips", "IPv6"),
    (KEY % '  valid_ips = ["example.com"]\n', "valid_ips", "IPv4"),
    (KEY % "  subaccount_id = 0\n", "subaccount_id", "subaccount id"),
    (KEY % "  subaccount_id = 1.5\n", "subaccount_id", "subaccount id"),
    ('resource "sparkpost_api_key" "x" {\n  label = "ok"\n  grants = ["metrics/view"]\n  subaccount_id = 3\n}\n', "grants", "primary-account keys only"),
    ('resource "sparkpost_api_key" "x" {\n  label = "ok"\n  grants = []\n}\n', "grants", "at least one grant"),
    (KEY % '  secret_manager = { secret = "my-secret" }\n', "secret_manager", "projects/PROJECT/secrets/SECRET"),
    # sparkpost_sending_domain
    ('resource "sparkpost_sending_domain" "x" {\n  domain = "not a domain"\n}\n', "domain", "host name"),
    ('resource "sparkpost_sending_domain" "x" {\n  domain = "localhost"\n}\n', "domain", "domain"),
    ('resource "sparkpost_sending_domain" "x" {\n  domain = "10.1.2.3"\n}\n', "domain", "IP"),
    ('resource "sparkpost_sending_domain" "x" {\n  domain = "-bad-.example.com"\n}\n', "domain", "host name"),
    (DOMAIN % "  dkim_key_length = 3000\n", "dkim_key_length", "1024 or 2048"),
    (DOMAIN % "  subaccount_id = -4\n", "subaccount_id", "subaccount"),
    (DOMAIN % "  subaccount_id = 4\n  shared_with_subaccounts = true\n", "shared_with_subaccounts", "subaccount_id"),
    (DOMAIN % '  tracking_domain = "bad domain"\n', "tracking_domain", "host name"),
    (DOMAIN % '  verify = { timeout = "forever" }\n', "verify", "duration"),
    # data sources
    ('data "sparkpost_subaccount" "x" {\n  id = "abc"\n}\n', "id", "numeric"),
    ('data "sparkpost_subaccount" "x" {\n}\n', "id", "exactly one of id or name"),
    ('data "sparkpost_subaccount" "x" {\n  id = "1"\n  name = "a"\n}\n', "name", "exactly one of id or name"),
    ('data "sparkpost_subaccounts" "x" {\n  status = "gone"\n}\n', "status", "must be one of"),
    ('data "sparkpost_sending_domain" "x" {\n  domain = "no spaces.example"\n}\n', "domain", "host name"),
]


def _names(error: dict[str, Any], attribute: str) -> bool:
    """The error names the attribute: in its summary or detail, or Terraform underlines it."""
    leaf = attribute.split(".")[-1]
    text = error.get("summary", "") + " " + error.get("detail", "")
    code = error.get("snippet", {}).get("code", "")
    return attribute in text or leaf in text or attribute.split(".")[0] in code


def test_corpus_has_at_least_40_cases() -> None:
    assert len(CORPUS) >= 40


def test_bad_input_corpus(sp: SparkPostWorld) -> None:
    sp.write('resource "sparkpost_subaccount" "x" {\n  name = "ok"\n}\n')
    sp.tf.init()
    sp.emulator.reset_request_log()
    failures = []
    for config, attribute, text in CORPUS:
        sp.tf.write("", "provider.tf")
        sp.write(config)
        result = sp.tf.plan_json()
        errors = result.errors()
        if result.returncode != 1 or not errors:
            failures.append(f"{attribute}: exit {result.returncode}, errors {errors}\n{config}")
            continue
        if not any(_names(e, attribute) and text.lower() in (e.get("summary", "") + e.get("detail", "")).lower()
                   for e in errors):
            failures.append(f"{attribute}: no error names it with {text!r}: {[(e['summary'], e.get('detail')) for e in errors]}")
        if "Traceback" in result.stdout + result.stderr or "panic" in result.stderr:
            failures.append(f"{attribute}: traceback or panic")
    assert not failures, "\n\n".join(failures)
    calls = {route: n for route, n in sp.by_route().items() if route != "GET /api/v1/account"}
    assert calls == {}, f"API calls made for invalid configurations: {calls}"


# ---------------------------------------------------------------- hostile API responses

HOSTILE = {
    "not-json": (200, "text/plain", b"this is not json"),
    "wrong-type": (200, "application/json", json.dumps({"results": "a string"}).encode()),
    "wrong-field-types": (200, "application/json", json.dumps({"results": {"id": {"x": 1}, "name": 7, "status": []}}).encode()),
    "no-results": (200, "application/json", b"{}"),
    "huge": (200, "application/json", b'{"results": {"id": 1, "name": "' + b"x" * (20 << 20) + b'"}}'),
    "proxy-html": (502, "text/html", b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"),
    "truncated": (200, "application/json", b'{"results": {"id": 1, "na'),
}


@pytest.fixture
def hostile_server() -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"mode": "not-json"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, ctype, body = HOSTILE[state["mode"]]
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()


def test_hostile_api_responses_give_clear_errors(make_tf: Any, hostile_server: dict[str, Any]) -> None:
    tf: Terraform = make_tf(SPARKPOST_API_KEY="a" * 40, SPARKPOST_BASE_URL=hostile_server["url"])
    tf.write('terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'
             'provider "sparkpost" {\n  skip_credentials_validation = true\n  max_retries = 1\n  retry_timeout = 2\n}\n'
             'resource "sparkpost_subaccount" "x" {\n  name = "ok"\n}\n')
    tf.init()
    for mode in HOSTILE:
        hostile_server["mode"] = mode
        result = tf.run("import", "-no-color", "sparkpost_subaccount.x", "1", check=False)
        out = result.stdout + result.stderr
        assert result.returncode == 1, (mode, out)
        assert "Could not read subaccount 1" in out, (mode, out[-2000:])
        assert "Traceback" not in out and "panic" not in out.lower(), (mode, out[-3000:])
        assert len(out) < 20000, (mode, "the error must not carry the whole body")
        assert "a" * 40 not in out
