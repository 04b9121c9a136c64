"""A frozen provider exec'd by the release's Go launcher (go-shim/frozen.go) does not try its own
Python warm client: the Go launcher has tried the zygote already, and marks the cold exec."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from provider.tfplugin import cli, handshake, warm
from provider.tfplugin.resource import Provider


def launch_frozen(monkeypatch: pytest.MonkeyPatch, marker: str | None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Run cli.run as a frozen provider launched by Terraform; what was tried, what was served."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv(handshake.COOKIE_KEY, handshake.COOKIE_VALUE)
    monkeypatch.setenv("PLUGIN_PROTOCOL_VERSIONS", "6")
    if marker is None:
        monkeypatch.delenv(cli.GO_LAUNCHER_ENV, raising=False)
    else:
        monkeypatch.setenv(cli.GO_LAUNCHER_ENV, marker)
    tried: list[dict[str, Any]] = []
    served: list[dict[str, str]] = []
    monkeypatch.setattr(warm, "attempt", lambda **kw: tried.append(kw))  # None: go on cold
    monkeypatch.setattr(cli, "_launch", lambda *a, **kw: served.append(dict(os.environ)))
    cli.run(lambda: Provider, source_address="example.com/x/test", version="1", argv=[], module="provider",
            fast_launch_env="TF_TEST_FAST_LAUNCH")
    return tried, served


def test_the_go_launchers_cold_exec_skips_the_python_warm_client(monkeypatch: pytest.MonkeyPatch) -> None:
    tried, served = launch_frozen(monkeypatch, "1")
    assert not tried
    assert len(served) == 1 and cli.GO_LAUNCHER_ENV not in served[0]  # removed before the launch reads it


def test_a_frozen_provider_run_by_terraform_itself_is_its_own_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    for marker in (None, "0"):
        tried, served = launch_frozen(monkeypatch, marker)
        assert len(tried) == 1 and len(served) == 1
        assert cli.GO_LAUNCHER_ENV not in served[0]
