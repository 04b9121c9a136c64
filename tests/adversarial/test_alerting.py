"""Adversarial class "alerting": hostile SparkPost answers and hostile terraform output fed to
sparkpost-smtp-check, and hostile recipient lists fed to sparkpost-data-privacy. Every case must
end in the command's documented "could not check" / bad-input exit code with one readable line
on stderr: never a traceback, never a wrong verdict, never the API key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from provider.commands import data_privacy, smtp_check
from tests.sparkpost.sparkpost_stub import API_KEY, Reply, Stub, _make_handler, ok

METRICS = "/api/v1/metrics/deliverability/subaccount"
SUBS = "/api/v1/subaccounts"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    from http.server import ThreadingHTTPServer
    import threading

    s = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(s))
    s.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("SPARKPOST_API_KEY", API_KEY)
    monkeypatch.setenv("SPARKPOST_BASE_URL", s.url)
    monkeypatch.delenv("SPARKPOST_REGION", raising=False)
    yield s
    server.shutdown()
    server.server_close()


def _subaccounts() -> Reply:
    return ok([{"id": 7, "name": "cloud-acme", "status": "active"}])


HOSTILE_METRICS: dict[str, Reply] = {
    "html-200": Reply(200, "<html><body>Maintenance</body></html>", {"Content-Type": "text/html"}),
    "truncated-json": Reply(200, '{"results": [{"subaccount_id": 7, "count_sent"', {"Content-Type": "application/json"}),
    "results-object": ok({"subaccount_id": 7}),
    "no-results": Reply(200, {"data": []}),
    "row-not-object": ok(["7"]),
    "row-without-subaccount": ok([{"count_sent": 10}]),
    "negative-count": ok([{"subaccount_id": 7, "count_sent": -5}]),
    "string-count": ok([{"subaccount_id": 7, "count_sent": "100"}]),
    "bool-count": ok([{"subaccount_id": 7, "count_sent": True}]),
    "null-subaccount": ok([{"subaccount_id": None, "count_sent": 1}]),
    "401": Reply(401, {"errors": [{"message": "Unauthorized."}]}),
    "403": Reply(403, {"errors": [{"message": "Forbidden."}]}),
    "404-html": Reply(404, "<h1>Not Found</h1>", {"Content-Type": "text/html"}),
    "500-forever": Reply(500, {"errors": [{"message": "boom"}]}),
    "429-forever": Reply(429, {"errors": [{"message": "Too many requests"}]}),
    "key-echoed": Reply(400, {"errors": [{"message": f"bad key {API_KEY}"}]}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_METRICS))
def test_hostile_metrics_answer_is_could_not_check(stub: Stub, capsys: pytest.CaptureFixture[str], case: str) -> None:
    stub.script("GET", METRICS, HOSTILE_METRICS[case])
    stub.script("GET", SUBS, _subaccounts())
    code = smtp_check.main(["--retry-deadline", "0.5", "--timeout", "2"])
    out, err = capsys.readouterr()
    assert code == 3, (case, out, err)
    assert err.startswith("sparkpost-smtp-check: ") and err.count("\n") == 1 and "Traceback" not in err
    assert API_KEY not in out + err
    if case == "403":
        assert "metrics/view" in err


def test_huge_and_float_counts_are_judged_not_crashed(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.script("GET", METRICS, ok([{"subaccount_id": 7, "count_sent": 10**30, "count_accepted": 10**30,
                                      "count_bounce": 2.0 * 10**29}]))
    stub.script("GET", SUBS, _subaccounts())
    assert smtp_check.main(["--format", "json"]) == 2  # 20% bounces
    assert json.loads(capsys.readouterr().out)["instances"][0]["status"] == "critical"


def test_pagination_link_to_another_host_is_refused(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.script("GET", METRICS, ok([{"subaccount_id": 7, "count_sent": 1}]))
    stub.script("GET", SUBS, Reply(200, {"results": [{"id": 7, "name": "cloud-acme", "status": "active"}],
                                         "links": {"next": "https://evil.example.com/api/v1/subaccounts?cursor=x"}}))
    assert smtp_check.main([]) == 3
    assert "another host" in capsys.readouterr().err
    assert all("evil" not in r.path for r in stub.requests)


HOSTILE_OUTPUTS: dict[str, Any] = {
    "a-list": [],
    "a-string": "subaccount_id",
    "no-value": {"smtp": {"type": "string"}},
    "no-subaccount": {"smtp": {"value": {"acme": {"host": "smtp.sparkpostmail.com"}}}},
    "id-not-a-number": {"subaccount_id": {"value": "12; DROP"}},
    "id-negative": {"smtp": {"value": {"acme": {"subaccount_id": -4}}}},
    "id-bool": {"smtp": {"value": {"acme": {"subaccount_id": True}}}},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_OUTPUTS) + ["not-json", "missing-file"])
def test_hostile_terraform_output(stub: Stub, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    path = tmp_path / "out.json"
    if case == "not-json":
        path.write_text("Error: No outputs found\n")
    elif case != "missing-file":
        path.write_text(json.dumps(HOSTILE_OUTPUTS[case]))
    assert smtp_check.main(["--terraform-output", str(path)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("sparkpost-smtp-check: ") and "Traceback" not in err
    assert stub.requests == []  # refused before any API call


@pytest.mark.parametrize("args", [
    ["--window", "0h"], ["--window", "forever"], ["--bounce", "10,5"], ["--spam-complaint", "-1,2"],
    ["--min-volume", "-3"], ["--format", "xml"], ["--region", "mars"], ["--no-such-flag"],
    ["--terraform-output", "a", "--terraform-dir", "b"],
])
def test_hostile_check_arguments_exit_3_not_2(stub: Stub, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert smtp_check.main(args) == 3
    assert "Traceback" not in capsys.readouterr().err and stub.requests == []


@pytest.mark.parametrize("lines", [
    ["ok@example.com", "two@@example.com"], ["ok@example.com", "spaces in@example.com"],
    ["<script>@example.com"[:0] + "no-at-sign.example.com"], ["ok@example.com", "x@localhost"],
    ["\x00@example.com"], ["ok@exam\x07ple.com"], [],
])
def test_hostile_recipient_files_are_refused_before_sending(stub: Stub, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str], lines: list[str]) -> None:
    path = tmp_path / "people.txt"
    path.write_text("\n".join(lines))
    assert data_privacy.main(["delete", "--file", str(path), "--send"]) == 2
    assert "Traceback" not in capsys.readouterr().err and stub.requests == []


def test_binary_recipient_file_is_refused(stub: Stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "people.bin"
    path.write_bytes(b"\xff\xfe\x00binary")
    assert data_privacy.main(["opt-out", "--file", str(path), "--send"]) == 2
    assert "cannot read" in capsys.readouterr().err and stub.requests == []


def test_data_privacy_answer_not_json_fails_the_batch(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.script("POST", "/api/v1/data-privacy/rtbf-request", Reply(200, "<html>ok</html>", {"Content-Type": "text/html"}))
    assert data_privacy.main(["delete", "a@example.com", "--send", "--retry-deadline", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "0 of 1 recipients were sent" in err and API_KEY not in err
