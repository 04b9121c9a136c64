"""Session fixtures shared by every test directory that drives the real terraform binary
(tests/e2e and tests/adversarial): the binary itself and the providers installed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import TERRAFORM_MISSING, install_providers, terraform_binary


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    binary = terraform_binary()
    if not binary:
        pytest.fail(TERRAFORM_MISSING, pytrace=False)  # a missing terraform fails, never skips
    return binary


@pytest.fixture(scope="session")
def plugins_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plugins")
    install_providers(path)
    return path
