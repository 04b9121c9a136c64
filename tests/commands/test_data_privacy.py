"""sparkpost-data-privacy against the emulator: dry run by default, send, batches, bad input."""

from __future__ import annotations

from .conftest import OPERATOR_KEY, run

DP = "provider.commands.data_privacy"
DP_KEY = "dd" * 20


def test_dry_run_sends_nothing(emu):
    emu.add_key(key=DP_KEY, grants=["data_privacy/manage"])
    p = run(DP, ["delete", "a@example.com", "b@example.com", "A@example.com"], emu, key=DP_KEY)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("DRY RUN: would send 1 delete request(s) for 2 recipient(s)")
    assert "/api/v1/data-privacy/rtbf-request" in p.stdout and "b@example.com" in p.stdout
    assert emu.request_log()["total"] == 0


def test_send_in_batches_with_a_log_line_per_request(emu, tmp_path):
    emu.add_key(key=DP_KEY, grants=["data_privacy/manage"])
    path = tmp_path / "people.txt"
    path.write_text("# from the support ticket\n" + "\n".join(f"user{i}@example.com" for i in range(2500)) + "\n\n")
    p = run(DP, ["opt-out", "--file", str(path), "--include-subaccounts", "--send"], emu, key=DP_KEY)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Sent 3 opt-out request(s) for 2500 recipient(s)")
    log_lines = p.stderr.splitlines()
    assert len(log_lines) == 3 and all("Request saved." in line for line in log_lines)
    assert "user1@example.com" not in p.stderr  # addresses are counted, never logged
    got = [(r["kind"], len(r["recipients"]), r["scope"]) for r in emu.dump_state()["privacy_requests"]]
    assert got == [("opt-out", 1000, "primary_and_subaccounts"), ("opt-out", 1000, "primary_and_subaccounts"),
                   ("opt-out", 500, "primary_and_subaccounts")]


def test_one_subaccount(emu):
    emu.add_key(key=DP_KEY, grants=["data_privacy/manage"])
    with emu.store.lock:
        sid = emu.store.new_subaccount("cloud-acme").id
    p = run(DP, ["delete", "x@example.com", "--subaccount", str(sid), "--send"], emu, key=DP_KEY)
    assert p.returncode == 0, p.stderr
    assert [(r["kind"], r["scope"]) for r in emu.dump_state()["privacy_requests"]] == [("rtbf", f"subaccount:{sid}")]


def test_bad_input_and_missing_grant(emu):
    p = run(DP, ["delete", "ok@example.com", "not-an-address", "--send"], emu)
    assert p.returncode == 2 and "not an email address (argument)" in p.stderr
    # A trailing newline is no address either (a regex `$` would match before it).
    p = run(DP, ["delete", "ok@example.com\n", "--send"], emu)
    assert p.returncode == 2 and "not an email address (argument)" in p.stderr
    assert run(DP, ["forget", "a@example.com"], emu).returncode == 2
    assert run(DP, ["delete", "--send"], emu).returncode == 2
    assert run(DP, ["delete", "a@example.com", "--subaccount", "1", "--include-subaccounts"], emu).returncode == 2
    assert emu.request_log()["total"] == 0
    p = run(DP, ["delete", "a@example.com", "--send"], emu)  # the operator key lacks the grant
    assert p.returncode == 1 and "data_privacy/manage" in p.stderr
    assert OPERATOR_KEY not in p.stderr


def test_flags_between_the_kind_and_the_addresses(emu):
    """`opt-out --include-subaccounts a@b.com`: argparse had closed the addresses list after the
    kind, and the address was "unrecognized"."""
    emu.add_key(key=DP_KEY, grants=["data_privacy/manage"])
    p = run(DP, ["opt-out", "--include-subaccounts", "a@example.com", "--send", "b@example.com"], emu, key=DP_KEY)
    assert p.returncode == 0, p.stderr
    got = [(r["kind"], sorted(r["recipients"]), r["scope"]) for r in emu.dump_state()["privacy_requests"]]
    assert got == [("opt-out", ["a@example.com", "b@example.com"], "primary_and_subaccounts")]


def test_subaccount_id_in_other_digits_or_signed_is_refused(emu):
    for typed in ("\uff11\uff12", "-1", "+3", " 3", "3.0"):
        p = run(DP, ["delete", "a@example.com", f"--subaccount={typed}", "--send"], emu)
        assert p.returncode == 2 and "is not a subaccount id" in p.stderr, (typed, p.stderr)
    assert emu.request_log()["total"] == 0
