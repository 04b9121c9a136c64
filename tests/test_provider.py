"""provider.provider: the provider block, configured with an injected Secret Manager store."""

from __future__ import annotations

import threading
from typing import Any

from provider.provider import ProviderData, SparkPostProvider, configure
from provider.secrets import SecretManagerError
from provider.tfplugin.diagnostics import Diagnostics
from provider.tfplugin.values import UNKNOWN

VERSION = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest"


class FakeStore:
    def __init__(self, value: str | None) -> None:
        self.value = value
        self.reads: list[str] = []

    def read(self, name: str) -> str:
        self.reads.append(name)
        if self.value is None:
            raise SecretManagerError(f"permission denied reading {name!r}", name, code="PERMISSION_DENIED")
        return self.value


def run(config: dict[str, object], store: FakeStore) -> tuple[ProviderData | None, Diagnostics]:
    diags = Diagnostics()
    base = {"base_url": "http://127.0.0.1:9", "skip_credentials_validation": True}
    return configure({**base, **config}, diags, threading.Event(), store), diags


def test_the_key_comes_from_the_store_and_the_store_goes_to_resources() -> None:
    store = FakeStore("k" * 40 + "\n")
    data, diags = run({"api_key_secret": VERSION}, store)
    assert not diags.has_errors and data is not None and data.client is not None
    assert store.reads == [VERSION] and data.secrets is store
    assert repr(data.client) == "SparkPostClient(base_url='http://127.0.0.1:9/api/v1', region='us')"


def test_a_store_failure_points_at_api_key_secret() -> None:
    data, diags = run({"api_key_secret": VERSION}, FakeStore(None))
    assert data is None
    [err] = diags
    assert err.summary == "Cannot read the SparkPost API key from Secret Manager" and "permission denied" in err.detail
    assert err.path == ("api_key_secret",)


def test_unknown_configuration_waits_for_apply() -> None:
    store = FakeStore("unused")
    data, diags = run({"api_key": UNKNOWN}, store)
    assert data is not None and data.client is None and store.reads == []
    assert data.unknown_reason == "the provider's api_key will be known only after apply"


def test_conflicting_credentials() -> None:
    diags = Diagnostics()
    SparkPostProvider().validate({"api_key": "k", "api_key_secret": VERSION}, diags)
    assert diags.has_errors


def test_an_http_base_url_to_a_remote_host_is_refused_from_the_environment(monkeypatch: Any) -> None:
    """SPARKPOST_BASE_URL is not seen by the attribute's validator: configure judges it, before
    the key is used anywhere."""
    monkeypatch.setenv("SPARKPOST_BASE_URL", "http://api.sparkpost.com/api/v1")
    data, diags = run({"api_key": "k" * 40, "base_url": None}, FakeStore(None))
    assert data is None
    [err] = diags
    assert err.summary == "Invalid SparkPost base URL" and err.path == ("base_url",)
    assert "SPARKPOST_BASE_URL='http://api.sparkpost.com/api/v1'" in err.detail
    assert "would send the API key unencrypted" in err.detail


def test_an_http_base_url_to_a_loopback_host_is_accepted(monkeypatch: Any) -> None:
    for url in ("http://localhost:8025", "http://127.0.0.2:9/api/v1", "http://[::1]:9"):
        monkeypatch.setenv("SPARKPOST_BASE_URL", url)
        data, diags = run({"api_key": "k" * 40, "base_url": None}, FakeStore(None))
        assert not diags.has_errors and data is not None and data.client is not None, url


def test_an_empty_api_key_is_not_called_missing_and_names_the_variable_it_overrides(monkeypatch: Any) -> None:
    monkeypatch.setenv("SPARKPOST_API_KEY", "k" * 40)
    data, diags = run({"api_key": ""}, FakeStore(None))
    assert data is None
    [err] = diags
    assert err.summary == "Empty SparkPost API key" and err.path == ("api_key",)
    assert "overrides the SPARKPOST_API_KEY environment variable" in err.detail and "null" in err.detail
    monkeypatch.delenv("SPARKPOST_API_KEY")
    data, diags = run({"api_key": "  "}, FakeStore(None))
    [err] = diags
    assert err.detail == "api_key is set to an empty string."


def test_an_empty_secret_version_points_at_api_key_secret() -> None:
    data, diags = run({"api_key_secret": VERSION}, FakeStore("\n"))
    assert data is None
    [err] = diags
    assert err.summary == "Empty SparkPost API key" and err.path == ("api_key_secret",)
    assert VERSION in err.detail


def test_a_malformed_base_url_points_at_base_url_not_at_the_key(monkeypatch: Any) -> None:
    for url, said in (("https://user:pw@api.sparkpost.com", "must not contain credentials"),
                      ("https://api.sparkpost.com/api/v1?x=1", "must not contain a query")):
        data, diags = run({"api_key": "k" * 40, "base_url": url}, FakeStore(None))
        [err] = diags
        assert data is None and err.summary == "Invalid SparkPost base URL" and err.path == ("base_url",)
        assert said in err.detail and "pw" not in err.detail.replace(url, "")
    monkeypatch.setenv("SPARKPOST_BASE_URL", "https://api.sparkpost.com#frag")
    data, diags = run({"api_key": "k" * 40, "base_url": None}, FakeStore(None))
    [err] = diags
    assert err.path == ("base_url",) and err.detail.startswith("From SPARKPOST_BASE_URL: ")


def test_a_configured_region_overridden_by_sparkpost_base_url_is_warned(monkeypatch: Any) -> None:
    monkeypatch.setenv("SPARKPOST_BASE_URL", "https://api.sparkpost.com")
    data, diags = run({"api_key": "k" * 40, "base_url": None, "region": "eu"}, FakeStore(None))
    assert data is not None and not diags.has_errors and data.region == "eu"
    [warn] = diags
    assert warn.summary == "SPARKPOST_BASE_URL overrides region for API calls" and warn.path == ("region",)
    assert "'https://api.sparkpost.com'" in warn.detail
    # base_url in the block, no region in it, or a local emulator: nothing to warn about
    for config in ({"region": "eu", "base_url": "https://api.sparkpost.com"}, {"base_url": None}):
        data, diags = run({"api_key": "k" * 40, **config}, FakeStore(None))
        assert data is not None and list(diags) == [], config
    monkeypatch.setenv("SPARKPOST_BASE_URL", "http://127.0.0.1:9")
    data, diags = run({"api_key": "k" * 40, "base_url": None, "region": "eu"}, FakeStore(None))
    assert data is not None and list(diags) == []
