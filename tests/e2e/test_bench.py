"""`scripts/bench-scale` and `scripts/bench-startup` keep working: tiny runs (a few instances, no
latency; a couple of launches) must produce every figure the real ones print, the profiled plans,
the per-size comparison and the cold / warm / first launch rows included. The timings themselves
are not checked (they are figures for people, measured on a shared machine): only that they are
printed and sane (positive, counted the way the scripts say)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import ROOT, outside_env

HAVE_REFERENCE = bool(shutil.which("go") and Path("/usr/share/gocode/src/google.golang.org/grpc").is_dir())
NO_REFERENCE = ("the Go reference provider needs Debian's golang-google-grpc-dev and golang-google-protobuf-dev "
                "(apt-get install -y golang-google-grpc-dev golang-google-protobuf-dev); the bench itself skips it without them")


def run_bench(tmp_path: Path, terraform_bin: str, *extra: str, stdout: list[str] | None = None) -> dict:
    out = tmp_path / "scale.json"
    size = [] if "--sizes" in extra else ["--instances", "3"]
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench-scale"), *size, "--latency-ms", "0",
                           "--repeat", "1", "--json", str(out), *extra],
                          capture_output=True, text=True, env=outside_env(terraform_bin), timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "plan / floor =" in proc.stdout
    if stdout is not None:
        stdout.append(proc.stdout)
    return json.loads(out.read_text())


def check_launch_counts(plan: dict, cold_only: bool) -> None:
    """Python launches of a refreshing plan, counted as bench-scale says: exec'd ones (cold) and a
    zygote's children (warm); the zygote itself is never a launch."""
    runs = zip(plan["launches_per_run"], plan["cold_launches_per_run"], plan["warm_launches_per_run"], plan["zygotes_per_run"],
               strict=True)
    for total, cold, warm, zygotes in runs:
        assert total == cold + warm
        if cold_only:
            assert (cold, warm, zygotes) == (3, 0, 0)
        else:
            # 3 launches; the first may be answered by the Go launcher from the cached schema (no Python)
            assert total in (2, 3)
            assert zygotes <= 1  # one per Terraform process, at most
            assert warm == 0 or zygotes == 1  # a warm launch is a child of this plan's zygote
    memory = plan["memory_per_launch"]
    if cold_only:
        assert memory["warm"]["count"] == 0 and memory["zygote"]["count"] == 0
    for kind in ("cold", "warm"):
        m = memory[kind]
        if m["sampled"]:
            # VmHWM counts every resident page; Pss only this process's share of them
            assert 10 < m["peak_pss_mb"] <= m["peak_vmhwm_mb"] < 1024
    if memory["warm"]["count"]:
        assert memory["zygote"]["count"] >= 1
    # the Pss of the provider's processes alive together, summed at one sample
    assert 10 < memory["all_at_once_pss_mb"] < 4096


def test_bench_scale_small_run_with_profile(tmp_path: Path, terraform_bin: str) -> None:
    printed: list[str] = []
    figures = run_bench(tmp_path, terraform_bin, "--profile", "--cpu", stdout=printed)
    assert figures["apply"]["api_requests"] > 0
    # per subaccount: its GET and the send-key check (a GET /account made with the key), nothing else
    assert figures["refresh"]["requests_per_resource"] == 2.0
    assert figures["refresh"]["requests_per_resource_by_route"] == {
        "GET /api/v1/account (send-key check)  per sparkpost_subaccount": 1.0,
        "GET /api/v1/subaccounts/{id}  per sparkpost_subaccount": 1.0}
    assert figures["refresh"]["credentials_check_GET_account"] == 1
    assert figures["plan_cold"]["launches"] == 3
    check_launch_counts(figures["plan_cold"], cold_only=True)
    check_launch_counts(figures["plan"], cold_only=False)
    assert figures["plan_refresh_false"]["launches"] in (2, 3)
    assert figures["provider_peak_rss_mb"] > 10
    assert figures["floor"]["floor_s"] > 0 and figures["floor"]["ratio"] > 0
    profile = figures["profile"]
    assert len(profile["trace"]["launches"]) == 3
    assert profile["trace"]["rpcs"]["ReadResource"] == 3
    # The cProfile hook reaches every launch (the launcher drops PYTHONPATH; the bench must not rely on it).
    assert profile["cprofile_processes"] == 3
    assert profile["rpc_time_in_provider"]["ReadResource"]["calls"] == 3
    # --cpu: every provider process of the untimed plans reported its CPU; the zygote apart.
    for kind in ("plan", "plan_refresh_false"):
        cpu = figures["cpu"][kind]
        assert cpu["provider_cpu_s"] > 0 and cpu["zygote_cpu_s"] > 0
        assert cpu["per_resource_ms"] == pytest.approx(cpu["provider_cpu_s"] / 3 * 1000, abs=0.2)  # of the unrounded figure
        # the launches that ran Python (2 or 3), plus the TLS key's short-lived child per launch
        assert all(2 <= n <= 6 for n in cpu["processes"])
    assert "provider CPU (user + system of every launch" in printed[0]


@pytest.mark.skipif(not HAVE_REFERENCE, reason=NO_REFERENCE)
def test_bench_scale_sizes_against_the_reference_provider(tmp_path: Path, terraform_bin: str) -> None:
    """--sizes 1,3 --reference: one full run per size, then one table of our plan (fast launch and
    cold) against the Go reference, with issue 17's target where it has one (1 instance)."""
    printed: list[str] = []
    doc = run_bench(tmp_path, terraform_bin, "--sizes", "1,3", "--reference", stdout=printed)
    assert doc["sizes"] == [1, 3] and sorted(doc["runs"]) == ["1", "3"]
    for n in (1, 3):
        figures = doc["runs"][str(n)]
        assert figures["instances"] == n
        for kind in ("reference_plan", "reference_http_plan"):
            assert figures[kind]["ratio_to_floor"] > 0
        # The HTTP variant really reached the emulator: one GET per resource.
        assert figures["reference_http_plan"]["api_requests"] == n
        assert figures["reference_plan"]["api_requests"] == 0
        check_launch_counts(figures["plan_cold"], cold_only=True)
        check_launch_counts(figures["plan"], cold_only=False)
    rows = {r["instances"]: r for r in doc["comparison"]}
    assert sorted(rows) == [1, 3]
    for n, r in rows.items():
        figures = doc["runs"][str(n)]
        assert r["plan_fast_s"] == figures["plan"]["seconds_median"] > 0
        assert r["plan_cold_s"] == figures["plan_cold"]["seconds_median"] > 0
        assert r["reference_s"] == min(figures["reference_plan"]["seconds_median"], figures["reference_http_plan"]["seconds_median"])
        assert r["ratio_fast_to_reference"] == pytest.approx(r["plan_fast_s"] / r["reference_s"], rel=0.01)
        assert r["ratio_cold_to_reference"] == pytest.approx(r["plan_cold_s"] / r["reference_s"], rel=0.01)
    assert rows[1]["target"] == 1.3 and rows[1]["met"] == (rows[1]["ratio_fast_to_reference"] <= 1.3)
    assert rows[3]["target"] is None and rows[3]["met"] is None
    out = printed[0]
    table = out[out.index("Refreshing plan against the Go reference provider"):]
    assert "ours, TF_SPARKPOST_FAST_LAUNCH=0" in table
    assert f"<= 1.3x: {'met' if rows[1]['met'] else 'NOT met'}" in table
    assert "Provider peak memory per launch" in out


def test_bench_startup_cold_warm_and_first_launch(tmp_path: Path) -> None:
    """Two launches of each kind, no release, no plan: every row printed, each handshake served by
    whom the row says once the Go launcher has the zygote client."""
    out = tmp_path / "startup.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench-startup"), "--launches", "2", "--skip-plan",
                           "--no-release", "--json", str(out)],
                          capture_output=True, text=True, env=outside_env(), timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "ratio cold AutoMTLS launch / python -c pass:" in proc.stdout
    assert "launcher, AutoMTLS: warm / cold =" in proc.stdout
    doc = json.loads(out.read_text())
    rows = doc["launches"]
    for name in ("python -c pass", "launcher, cold, AutoMTLS", "launcher, cold, TLS disabled",
                 "launcher, warm (zygote up), AutoMTLS", "launcher, first of a Terraform, AutoMTLS"):
        row = rows[name]
        assert row["samples"] == 2 and 0 < row["median_ms"] <= row["p90_ms"] < 60_000 and row["cpu_ms"] >= 0
        assert name in proc.stdout
    # a cold launch is always the exec'd process itself
    assert rows["launcher, cold, AutoMTLS"]["served"] == {"exec": 2}
    assert rows["launcher, cold, TLS disabled"]["served"] == {"exec": 2}
    # a first launch has no zygote to fork from: Python exec'd, or the Go launcher itself (cached schema)
    first = rows["launcher, first of a Terraform, AutoMTLS"]
    assert set(first["served"]) <= {"exec", "go"} and sum(first["served"].values()) == 2
    go_zygote_client = doc["launcher"] == "static Go launcher" and (ROOT / "go-shim" / "zygote.go").exists()
    warm = rows["launcher, warm (zygote up), AutoMTLS"]
    if go_zygote_client:
        assert warm["served"] == {"relay": 2} and warm["note"] is None
        assert first["note"] is None  # its zygote came up, and went
    else:
        assert "no zygote came up" in warm["note"] and warm["served"] == {"exec": 2}
