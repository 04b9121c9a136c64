"""sparkpost_ip_pool's own name checks, beside the attribute's validators (not_blank and
plain_text run on the attribute; the resource adds what needs the derived id)."""

from __future__ import annotations

import pytest

from provider.resources.ip_pool import IpPool
from provider.tfplugin.diagnostics import Diagnostics


def summaries(name: str) -> list[str]:
    diags = Diagnostics()
    IpPool().validate({"name": name}, diags)
    return [d.summary for d in diags]


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_name_is_left_to_not_blank_one_error_not_two(blank: str) -> None:
    assert summaries(blank) == []


def test_a_name_without_letter_or_digit_and_the_reserved_name() -> None:
    assert summaries("!!!") == ["IP pool name without a letter or digit"]
    assert summaries("Default") == ["Reserved IP pool name"]
    assert summaries("Pool One") == []
