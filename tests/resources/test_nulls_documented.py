"""Every attribute's null is meaningful and documented, or rejected (issue 13 item 1).

Required attributes: the plugin layer rejects null (tests/tfplugin/test_server.py and the
null cases of tests/adversarial/test_config.py). Optional ones: Terraform sends the same null
for "left out" and "written as null", so the description must say what leaving it out means.
"""

from __future__ import annotations

import re
from typing import Iterator

import pytest

from provider.provider import SparkPostProvider
from provider.tfplugin.schema import Attribute, Schema

# Ways a description says what null means: the default it takes, or what happens without it.
SAYS_WHAT_NULL_MEANS = re.compile(
    r"\b(default|defaults to|null|unset|left out|leave it out|without it|omitted|any ip|any pool|give this or)\b", re.I)


def schemas() -> Iterator[tuple[str, Schema]]:
    yield "provider", SparkPostProvider.schema
    for r in SparkPostProvider.resources:
        yield r.type_name, r.schema
    for d in SparkPostProvider.data_sources:
        yield f"data.{d.type_name}", d.schema


def optional_attributes() -> Iterator[tuple[str, Attribute]]:
    for owner, schema in schemas():
        for path, attr in schema.walk():
            if attr.optional:
                yield f"{owner}.{'.'.join(path)}", attr


@pytest.mark.parametrize("where,attr", list(optional_attributes()), ids=lambda x: x if isinstance(x, str) else "")
def test_optional_attribute_says_what_null_means(where: str, attr: Attribute) -> None:
    assert SAYS_WHAT_NULL_MEANS.search(attr.description), f"{where}: {attr.description!r}"


def test_the_walk_finds_the_attributes_that_matter() -> None:
    found = {w for w, _ in optional_attributes()}
    assert {"provider.max_retries", "sparkpost_subaccount.initial_api_key_secret_manager",
            "sparkpost_api_key.secret_manager.create_secret", "sparkpost_sending_domain.verify.timeout"} <= found
