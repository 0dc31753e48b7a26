"""bench/squid_throughput.py, for real but tiny: three Squids on 127.0.0.1 (no helper, Schoolgate's,
squidGuard's when it is installed), a local origin, a few hundred requests through each."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "squid_throughput.py"
LISTS = ROOT.parent / "shared" / "data" / "ut1"


@pytest.mark.timeout(120)
def test_three_configurations_report_positive_figures(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("Squid is started as root (it runs as proxy): run the tests as root")
    if not LISTS.is_dir():
        pytest.fail(f"the UT1 lists of the bench are not at {LISTS} (../shared beside the project)")
    with_squidguard = shutil.which("squidGuard") is not None
    figures = tmp_path / "figures.json"
    cmd = [sys.executable, str(SCRIPT), "--requests", "200", "--runs", "1", "--warmup", "50"]
    cmd += ["--concurrency", "5", "--json", str(figures)]
    if not with_squidguard:
        cmd.append("--without-squidguard")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=110, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(figures.read_text())
    expected = ["no helper", "Schoolgate (spool on)"] + (["squidGuard 1.6"] if with_squidguard else [])
    assert list(result["blocked"]) == expected
    assert list(result["allowed"]) == [*expected, "origin alone (no Squid)"]
    for kind in ("allowed", "blocked"):
        for row in result[kind].values():
            assert row["median_rps"] > 0
            assert len(row["runs_rps"]) == 1
    assert result["allowed"]["no helper"]["ratio_to_no_helper"] == 1
    assert result["helper_processes_seen"]["Schoolgate (spool on)"] >= 1
    assert "vs no helper" in done.stdout  # the table
