"""provider.provider: the provider block, configured with an injected Secret Manager store."""

from __future__ import annotations

import threading

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
