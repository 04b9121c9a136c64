"""Fixtures for the end-to-end tests: the real terraform, the installed providers."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from .harness import Terraform


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


# terraform_bin and plugins_dir (session-wide) live in tests/conftest.py, shared with
# tests/adversarial.


@pytest.fixture
def make_tf(tmp_path: Path, terraform_bin: str, plugins_dir: Path) -> Callable[..., Terraform]:
    counter = iter(range(1000))

    def make(**env: str) -> Terraform:
        return Terraform(tmp_path / f"tf{next(counter)}", terraform_bin, plugins_dir, env_extra=dict(env))

    return make


@pytest.fixture
def tf(make_tf: Callable[..., Terraform]) -> Terraform:
    return make_tf()


@pytest.fixture
def sp(make_tf: Callable[..., Terraform], request: pytest.FixtureRequest):
    """The emulator (with our users' operator key), the Secret Manager fake, and a Terraform
    whose provider reaches them through SPARKPOST_* and SECRETMANAGER_EMULATOR_HOST.

    The account has no API-keys API (SparkPost documents key management only in its app)
    unless the test is marked `api_keys_api`."""
    yield from _world(make_tf, "us", request)


@pytest.fixture
def sp_eu(make_tf: Callable[..., Terraform], request: pytest.FixtureRequest):
    yield from _world(make_tf, "eu", request)


def _world(make_tf: Callable[..., Terraform], region: str, request: pytest.FixtureRequest):
    """A SparkPost world whose every terraform command logs at TRACE; when the test is done,
    the secret-leak scan reads everything the test left and fails the test on any leak."""
    from .leak_scan import scan
    from .sparkpost_world import make_world

    api_keys_api = request.node.get_closest_marker("api_keys_api") is not None
    world, close = make_world(make_tf, region=region, api_keys_api=api_keys_api)
    try:
        yield world
        leaks = scan(world, extra_secrets=world.extra_secrets)
        assert not leaks, "secrets leaked:\n" + "\n".join(leaks)
    finally:
        close()
