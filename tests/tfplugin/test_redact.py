"""The process-wide secret scrubber."""

from __future__ import annotations

import uuid

from provider.tfplugin import redact


def unique(prefix: str = "secret") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def test_registered_values_are_scrubbed_everywhere() -> None:
    s = unique()
    assert redact.scrub(f"key={s}") == f"key={s}"  # not yet registered
    redact.register(s)
    assert redact.scrub(f"key={s} and again {s}!") == f"key={redact.MASK} and again {redact.MASK}!"
    assert s not in redact.scrub(f"prefix{s}suffix")


def test_short_and_non_string_values_are_ignored() -> None:
    redact.register("abcde")  # 5 characters: too short, would scrub ordinary words
    redact.register(None)
    redact.register(123456789)
    redact.register("")
    assert redact.scrub("abcde 123456789") == "abcde 123456789"
    six = "q7#zx!"
    redact.register(six)  # six characters is enough
    assert redact.scrub(f"[{six}]") == f"[{redact.MASK}]"


def test_longest_secret_is_replaced_first() -> None:
    short = unique("tok")
    long = short + "-EXTENDED"
    redact.register(short)
    redact.register(long)
    # Were the short one replaced first, "-EXTENDED" would be left showing.
    assert redact.scrub(f"value: {long}") == f"value: {redact.MASK}"
    assert redact.scrub(f"value: {short}") == f"value: {redact.MASK}"


def test_empty_text() -> None:
    assert redact.scrub("") == ""


def test_registration_is_thread_safe() -> None:
    import threading

    secrets = [unique() for _ in range(200)]
    threads = [threading.Thread(target=redact.register, args=(s,)) for s in secrets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = " ".join(secrets)
    assert redact.scrub(text) == " ".join([redact.MASK] * len(secrets))
