"""The client against SparkPost's documented variations, played by the emulator (issue 14):
error bodies without `description` (the announced format), 429s without Retry-After (the
documented default), 422 for malformed bodies, and the API-keys API being unavailable."""

from __future__ import annotations

from typing import Iterator

import pytest

from provider.emulator.sparkpost import Emulator
from provider.sparkpost import errors as E
from provider.sparkpost.client import SparkPostClient
from tests.sparkpost.sparkpost_stub import fast

KEY = "c3" * 20


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(options={"error_descriptions": False}) as e:
        e.add_key(key=KEY, grants=["subaccount/manage", "sending_domains/manage", "api_keys/manage"])
        yield e


@pytest.fixture
def client(emu: Emulator) -> Iterator[SparkPostClient]:
    with SparkPostClient(KEY, base_url=emu.url, timeout=5, retry_deadline=10) as c:
        yield fast(c)


def test_errors_without_description_keep_code_and_text(emu: Emulator, client: SparkPostClient) -> None:
    with pytest.raises(E.NotFound) as info:
        client.get_sending_domain("nope.example.com")
    assert info.value.code == "1600" and "Domain 'nope.example.com' does not exist" in str(info.value)
    assert info.value.description is None
    client.create_sending_domain("mail.example.com", generate_dkim_length=1024)
    with pytest.raises(E.Conflict) as conflict:
        client.create_sending_domain("mail.example.com", generate_dkim_length=1024)
    assert conflict.value.code == "1602" and "already registered" in str(conflict.value)


def test_429_without_retry_after_is_absorbed_by_backoff(emu: Emulator, client: SparkPostClient) -> None:
    emu.set_faults(burst_429=2)  # no Retry-After: the emulator's default, as SparkPost documents none
    assert client.list_sending_domains() == []
    statuses = [e["status"] for e in emu.request_log()["log"]]
    assert statuses == [429, 429, 200]


def test_api_keys_api_unavailable_is_forbidden(emu: Emulator, client: SparkPostClient) -> None:
    with pytest.raises(E.Forbidden):
        client.list_api_keys()
    emu.set_options(api_keys_api=True)
    assert len(client.list_api_keys()) == 1  # the caller's own key
