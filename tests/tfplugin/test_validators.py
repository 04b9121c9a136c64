"""Generic validators: printable text, whole numbers, ASCII patterns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provider.tfplugin.validators import duration_between, matches, plain_text, whole_number


@pytest.mark.parametrize("text", ["cloud-acme", "Société Générale", "日本語の名前", "a b", "emoji \U0001f600", "x" * 64])
def test_plain_text_accepts_printable_text_of_any_script(text: str) -> None:
    assert plain_text(text) is None


@pytest.mark.parametrize("text,named,position", [
    ("a\x00b", "U+0000", 2), ("line\nbreak", "U+000A", 5), ("tab\there", "U+0009", 4), ("esc\x1b[31m", "U+001B", 4),
    ("del\x7f", "U+007F", 4), ("c1\x85", "U+0085", 3), ("zero\u200bwidth", "U+200B ZERO WIDTH SPACE", 5),
    ("joiner\u200d", "U+200D ZERO WIDTH JOINER", 7), ("bidi\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE", 5),
    ("\ufeffbom", "U+FEFF ZERO WIDTH NO-BREAK SPACE", 1), ("soft\xadhyphen", "U+00AD SOFT HYPHEN", 5),
    ("lone\ud800surrogate", "U+D800", 5), ("private\ue000use", "U+E000", 8), ("unassigned\U000e0080", "U+E0080", 11),
])
def test_plain_text_names_the_hidden_character_and_where(text: str, named: str, position: int) -> None:
    message = plain_text(text)
    assert message is not None and f"character {position} is {named}" in message


@pytest.mark.parametrize("value", [0, 8, 100, Decimal("3"), Decimal("3.0"), 2.0])
def test_whole_numbers(value: object) -> None:
    assert whole_number(value) is None


@pytest.mark.parametrize("value", [1.5, Decimal("1.5"), Decimal("0.0000001"), float("inf"), float("nan"), True])
def test_fractions_and_non_numbers_are_refused(value: object) -> None:
    assert whole_number(value) == f"must be a whole number; got {value}."


def test_patterns_are_ascii() -> None:
    digits = matches(r"\d+", "digits")
    assert digits("123") is None
    assert digits("\u0661\u0662") is not None  # Arabic-Indic digits: \d without re.ASCII matches them
    assert duration_between(1, 60)("\u0665s") is not None


def test_plain_text_fast_path_for_ascii_agrees_with_the_categories() -> None:
    # Printable ASCII skips the per-character lookup: every ASCII character must get the answer
    # the Unicode categories give, alone and inside a longer name.
    import unicodedata

    for code in range(128):
        c = chr(code)
        hidden = unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"}
        for text in (c, f"cloud-{c}-name"):
            message = plain_text(text)
            assert (message is not None) == hidden, repr(text)
