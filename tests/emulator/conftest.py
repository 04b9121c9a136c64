"""Fixtures for the SparkPost emulator tests: a fresh emulator per test, real HTTP."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.emulator.emu_helpers import ADMIN_GRANTS, ADMIN_KEY, OPERATOR_GRANTS, OPERATOR_KEY, Api
from provider.emulator.sparkpost import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An account with the API-keys API enabled (`api_keys_api`), since many tests here drive
    /api-keys; the default (off) is tested in test_emu_api_keys.py."""
    with Emulator(region="us", state_path=None, seed=None, options={"api_keys_api": True}) as e:
        e.add_key(key=OPERATOR_KEY, grants=OPERATOR_GRANTS, label="operator")
        e.add_key(key=ADMIN_KEY, grants=ADMIN_GRANTS, label="admin")
        yield e


@pytest.fixture
def eu_emu() -> Iterator[Emulator]:
    with Emulator(region="eu") as e:
        e.add_key(key=OPERATOR_KEY, grants=OPERATOR_GRANTS, label="operator")
        yield e


@pytest.fixture
def op(emu: Emulator) -> Api:
    return Api(emu.url, OPERATOR_KEY)


@pytest.fixture
def admin(emu: Emulator) -> Api:
    return Api(emu.url, ADMIN_KEY)
