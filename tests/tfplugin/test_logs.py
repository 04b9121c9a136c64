"""hclog-shaped JSON log lines on stderr, with the level from TF_LOG_PROVIDER / TF_LOG."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Iterator

import pytest

from provider.tfplugin import logs, redact


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_LOG", raising=False)
    monkeypatch.delenv("TF_LOG_PROVIDER", raising=False)


@pytest.fixture
def provider_logger() -> Iterator[logging.Logger]:
    """logs.setup("sparkpost") configures the 'provider' logger: restore it afterwards."""
    root = logging.getLogger("provider")
    saved = (list(root.handlers), root.level, root.propagate)
    root.handlers.clear()
    yield root
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    root.propagate = saved[2]


@pytest.mark.parametrize(
    "tf_log, tf_log_provider, expected",
    [
        (None, None, None),
        ("", "", None),
        ("OFF", None, None),
        ("off", None, None),
        ("TRACE", None, logs.TRACE),
        ("debug", None, logging.DEBUG),
        ("INFO", None, logging.INFO),
        ("WARN", None, logging.WARNING),
        ("ERROR", None, logging.ERROR),
        ("JSON", None, logs.TRACE),
        ("  info  ", None, logging.INFO),
        ("verbose", None, logs.TRACE),  # any other value means TRACE, as in Terraform
        ("1", None, logs.TRACE),
        ("TRACE", "ERROR", logging.ERROR),  # the provider-specific one wins
        ("ERROR", "debug", logging.DEBUG),
        ("TRACE", "OFF", None),
        (None, "WARN", logging.WARNING),
        ("INFO", "", logging.INFO),  # an empty TF_LOG_PROVIDER does not hide TF_LOG
    ],
)
def test_level_from_env(monkeypatch: pytest.MonkeyPatch, tf_log: str | None, tf_log_provider: str | None, expected: int | None) -> None:
    if tf_log is not None:
        monkeypatch.setenv("TF_LOG", tf_log)
    if tf_log_provider is not None:
        monkeypatch.setenv("TF_LOG_PROVIDER", tf_log_provider)
    assert logs.level_from_env() == expected


@pytest.mark.parametrize(
    "value, enabled", [(None, False), ("OFF", False), ("TRACE", True), ("DEBUG", True), ("INFO", False), ("ERROR", False)]
)
def test_debug_enabled(monkeypatch: pytest.MonkeyPatch, value: str | None, enabled: bool) -> None:
    if value is not None:
        monkeypatch.setenv("TF_LOG_PROVIDER", value)
    assert logs.debug_enabled() is enabled


def record(name: str, level: int, msg: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def test_line_shape() -> None:
    line = logs.HclogFormatter("sparkpost").format(record("provider.tfplugin", logging.INFO, "hello %s", "world"))
    assert "\n" not in line
    entry = json.loads(line)
    assert set(entry) == {"@level", "@message", "@module", "@timestamp"}
    assert entry["@level"] == "info"
    assert entry["@message"] == "hello world"
    assert entry["@module"] == "tfplugin"
    ts = datetime.fromisoformat(entry["@timestamp"])
    assert ts.tzinfo is not None and ts.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "level, name",
    [(logs.TRACE, "trace"), (logging.DEBUG, "debug"), (logging.INFO, "info"), (logging.WARNING, "warn"),
     (logging.ERROR, "error"), (logging.CRITICAL, "error")],
)
def test_level_names(level: int, name: str) -> None:
    assert json.loads(logs.HclogFormatter("sparkpost").format(record("provider", level, "m")))["@level"] == name


def test_module_names() -> None:
    fmt = logs.HclogFormatter("sparkpost")
    assert json.loads(fmt.format(record("provider", logging.INFO, "m")))["@module"] == "sparkpost"
    assert json.loads(fmt.format(record("provider.sparkpost.client", logging.INFO, "m")))["@module"] == "sparkpost.client"


def test_secrets_are_scrubbed_from_messages_and_tracebacks() -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    redact.register(secret)
    try:
        raise RuntimeError(f"the API rejected {secret}")
    except RuntimeError as exc:
        import sys

        line = logs.HclogFormatter("sparkpost").format(record("provider", logging.ERROR, "calling with %s", secret, exc_info=sys.exc_info()))
        del exc
    entry = json.loads(line)
    assert secret not in line
    assert entry["@message"].startswith(f"calling with {redact.MASK}\nTraceback")
    assert f"RuntimeError: the API rejected {redact.MASK}" in entry["@message"]


def test_setup_writes_json_lines_to_stderr(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], provider_logger: logging.Logger) -> None:
    monkeypatch.setenv("TF_LOG", "DEBUG")
    logs.setup("sparkpost")
    secret = f"pw-{uuid.uuid4().hex}"
    redact.register(secret)
    log = logging.getLogger("provider.res")
    log.debug("debug line %s", secret)
    log.log(logs.TRACE, "trace line (below DEBUG: dropped)")
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout belongs to the handshake
    lines = [json.loads(x) for x in captured.err.splitlines()]
    assert [x["@message"] for x in lines] == [f"debug line {redact.MASK}"]
    assert lines[0]["@module"] == "res" and lines[0]["@level"] == "debug"
    assert provider_logger.propagate is False


def test_setup_with_logging_off_is_silent(capsys: pytest.CaptureFixture[str], provider_logger: logging.Logger) -> None:
    logs.setup("sparkpost")
    logging.getLogger("provider.x").error("nobody sees this")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_trace_level_shows_trace(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], provider_logger: logging.Logger) -> None:
    monkeypatch.setenv("TF_LOG_PROVIDER", "TRACE")
    logs.setup("sparkpost")
    logging.getLogger("provider").log(logs.TRACE, "fine detail")
    entry = json.loads(capsys.readouterr().err)
    assert entry == {**entry, "@level": "trace", "@message": "fine detail", "@module": "sparkpost"}
