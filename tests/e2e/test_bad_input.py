"""Malformed or hostile API responses (not JSON, wrong types, a huge body, a proxy's HTML
page): a clear error, never a traceback or a crash.

The corpus of invalid configurations that lived here moved to tests/adversarial/test_config.py.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any, Iterator

import pytest

from .harness import Terraform

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
        def do_GET(self) -> None:
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
