"""`scripts/bench-scale` keeps working: a tiny run (3 instances, no latency) must produce every
figure the real one prints, the profiled plans included. The timings themselves are not checked
(they are figures for people, measured on a shared machine)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import ROOT, outside_env


def run_bench(tmp_path: Path, terraform_bin: str, *extra: str) -> dict:
    out = tmp_path / "scale.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench-scale"), "--instances", "3", "--latency-ms", "0",
                           "--repeat", "1", "--json", str(out), *extra],
                          capture_output=True, text=True, env=outside_env(terraform_bin), timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "plan / floor =" in proc.stdout
    return json.loads(out.read_text())


def test_bench_scale_small_run_with_profile(tmp_path: Path, terraform_bin: str) -> None:
    figures = run_bench(tmp_path, terraform_bin, "--profile")
    assert figures["apply"]["api_requests"] > 0
    # per subaccount: its GET and the send-key check (a GET /account made with the key), nothing else
    assert figures["refresh"]["requests_per_resource"] == 2.0
    assert figures["refresh"]["requests_per_resource_by_route"] == {
        "GET /api/v1/account (send-key check)  per sparkpost_subaccount": 1.0,
        "GET /api/v1/subaccounts/{id}  per sparkpost_subaccount": 1.0}
    assert figures["refresh"]["credentials_check_GET_account"] == 1
    assert figures["plan"]["launches"] == 3 and figures["plan_refresh_false"]["launches"] == 3
    assert figures["provider_peak_rss_mb"] > 10
    assert figures["floor"]["floor_s"] > 0 and figures["floor"]["ratio"] > 0
    profile = figures["profile"]
    assert len(profile["trace"]["launches"]) == 3
    assert profile["trace"]["rpcs"]["ReadResource"] == 3
    # The cProfile hook reaches every launch (the launcher drops PYTHONPATH; the bench must not rely on it).
    assert profile["cprofile_processes"] == 3
    assert profile["rpc_time_in_provider"]["ReadResource"]["calls"] == 3


@pytest.mark.skipif(not (shutil.which("go") and Path("/usr/share/gocode/src/google.golang.org/grpc").is_dir()),
                    reason="the Go reference provider needs Debian's golang-google-grpc-dev and "
                           "golang-google-protobuf-dev (apt-get install -y golang-google-grpc-dev "
                           "golang-google-protobuf-dev); the bench itself skips it without them")
def test_bench_scale_reference_provider(tmp_path: Path, terraform_bin: str) -> None:
    figures = run_bench(tmp_path, terraform_bin, "--reference")
    for kind in ("reference_plan", "reference_http_plan"):
        assert figures[kind]["ratio_to_floor"] > 0
    # The HTTP variant really reached the emulator: one GET per resource.
    assert figures["reference_http_plan"]["api_requests"] == 3
    assert figures["reference_plan"]["api_requests"] == 0
