"""The client reads proxy and CA settings from the environment once, when it is made.

requests would re-read them on every call (a third of its CPU per request); the client reads
them at construction instead, so these tests pin what users rely on: HTTP(S)_PROXY is honoured,
NO_PROXY exempts the API host, REQUESTS_CA_BUNDLE is used for verification.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from provider.sparkpost.client import SparkPostClient


class Proxy:
    """A forward proxy that answers every request itself and records the request line."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                proxy.seen.append(self.path)
                body = json.dumps({"results": {"id": 7, "name": "via proxy", "status": "active"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    p = Proxy()
    monkeypatch.setenv("HTTP_PROXY", p.url)
    monkeypatch.setenv("http_proxy", p.url)
    try:
        yield p
    finally:
        p.close()


def test_http_proxy_from_the_environment_is_used(proxy: Proxy) -> None:
    client = SparkPostClient("k" * 40, base_url="http://sparkpost.invalid/api/v1", timeout=5, retry_deadline=0)
    assert client.get_subaccount(7).name == "via proxy"
    assert proxy.seen == ["http://sparkpost.invalid/api/v1/subaccounts/7"]


def test_no_proxy_exempts_the_api_host(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "sparkpost.invalid")
    monkeypatch.setenv("no_proxy", "sparkpost.invalid")
    client = SparkPostClient("k" * 40, base_url="http://sparkpost.invalid/api/v1", timeout=5,
                             retry_deadline=0, max_retries=0)
    with pytest.raises(Exception) as err:  # the host does not exist: the direct connection fails
        client.get_subaccount(7)
    assert "sparkpost.invalid" in str(err.value)
    assert proxy.seen == []


def test_settings_are_read_when_the_client_is_made(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    client = SparkPostClient("k" * 40, base_url="http://sparkpost.invalid/api/v1", timeout=5, retry_deadline=0)
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.delenv("http_proxy")
    client.get_subaccount(7)
    assert len(proxy.seen) == 1


def test_ca_bundle_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not used: no request is made\n")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    client = SparkPostClient("k" * 40)
    assert client._session.verify == str(bundle)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert SparkPostClient("k" * 40)._session.verify is True
