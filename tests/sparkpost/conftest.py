"""Fixtures for the SparkPost client tests (the stub server lives in sparkpost_stub.py)."""

from tests.sparkpost.sparkpost_stub import _no_proxy, client, make_client, stub  # noqa: F401  (fixtures)
