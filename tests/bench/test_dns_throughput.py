"""bench/dns_throughput.py: its readings of dnsperf and of the generated unbound.conf, and the bench
itself, for real but tiny: the whole UT1 snapshot's zones, two unbounds on 127.0.0.1 and an upstream,
a few thousand queries through each."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "dns_throughput.py"
LISTS = ROOT.parent / "shared" / "data" / "ut1"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_dns_throughput", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


b = _load()

DNSPERF_OUTPUT = """\
DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 5353 -a 127.0.0.10 -d q.txt -n 1
[Status] Testing complete (end of file)

Statistics:

  Queries sent:         20000
  Queries completed:    19998 (99.99%)
  Queries lost:         2 (0.01%)

  Response codes:       NOERROR 13999 (70.00%), NXDOMAIN 5998 (29.99%), SERVFAIL 1 (0.01%)
  Average packet size:  request 36, response 77
  Run time (s):         0.123456
  Queries per second:   161996.500000

  Average Latency (s):  0.000612 (min 0.000010, max 0.004567)
  Latency StdDev (s):   0.000200
"""


def test_parse_dnsperf() -> None:
    result = b.parse_dnsperf(DNSPERF_OUTPUT)
    assert (result.sent, result.completed, result.lost) == (20000, 19998, 2)
    assert result.rcodes == {"NOERROR": 13999, "NXDOMAIN": 5998, "SERVFAIL": 1}
    assert result.qps == pytest.approx(161996.5)
    assert result.latency_ms == pytest.approx(0.612)


def _query_file(queries: int, listed: int) -> object:
    return b.QueryFile(Path("q"), queries, listed, 10, 3, {"A": 5, "AAAA": 5}, [], [], [])


def test_check_run_stops_on_loss_servfail_and_wrong_nxdomain() -> None:
    result = b.parse_dnsperf(DNSPERF_OUTPUT)
    filtered = b.Unbound("with", 1, Path("c"), Path("l"), filters=True)
    baseline = b.Unbound("without", 1, Path("c"), Path("l"))
    b.check_run(filtered, result, _query_file(20000, 5998), 0.001)
    with pytest.raises(b.BenchError, match="NXDOMAIN"):
        b.check_run(baseline, result, _query_file(20000, 5998), 0.001)
    with pytest.raises(b.BenchError, match="lost"):
        b.check_run(filtered, result, _query_file(20000, 5998), 0.00001)
    with pytest.raises(b.BenchError, match="sent"):
        b.check_run(filtered, result, _query_file(30000, 5998), 0.001)


def test_baseline_conf_drops_the_zones_and_their_tags_only() -> None:
    text = """\
server:
    interface: 127.0.0.1@5353
    module-config: "respip iterator"
    define-tag: "default pupils"
    access-control-tag: 127.0.0.0/8 "default"
    log-queries: yes

forward-zone:
    name: "."
    forward-addr: 127.0.0.1@5300

# --- The zones
rpz:
    name: "pupils.rpz.schoolgate."
    zonefile: "/z/pupils.rpz"
    tags: "pupils"
    rpz-log: yes
rpz:
    name: "default.rpz.schoolgate."
    zonefile: "/z/default.rpz"
"""
    out = b.baseline_conf(text)
    directives = [line.split()[0] for line in out.splitlines() if line.strip() and not line.startswith("#")]
    assert not {"rpz:", "zonefile:", "tags:", "define-tag:", "access-control-tag:"} & set(directives)
    for kept in ("interface: 127.0.0.1@5353", 'module-config: "respip iterator"', "log-queries: yes"):
        assert kept in out
    assert "forward-addr: 127.0.0.1@5300" in out


@pytest.mark.timeout(240)
def test_bench_reports_both_configurations(tmp_path: Path) -> None:
    if not LISTS.is_dir():
        pytest.fail(f"the UT1 lists of the bench are not at {LISTS} (../shared beside the project)")
    for program in (b.UNBOUND, b.DNSPERF):
        if not Path(program).exists() and shutil.which(Path(program).name) is None:
            pytest.fail(f"{program} is not installed (`scripts/setup.sh unbound dnsperf`)")
    figures = tmp_path / "figures.json"
    cmd = [sys.executable, str(SCRIPT), "--queries", "4000", "--distinct", "500", "--runs", "1"]
    cmd += ["--clients", "2", "--json", str(figures)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=230, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(figures.read_text())
    assert list(result["throughput"]) == ["without the zones", "with the zones"]
    for row in result["throughput"].values():
        assert row["median_qps"] > 0 and len(row["runs_qps"]) == 1
    assert result["throughput"]["without the zones"]["ratio_to_without"] == 1
    assert result["zones"]["domains_blocked"]["pupils"] > result["zones"]["domains_blocked"]["staff"] > 0
    mix = result["query_mix"]
    assert mix["distinct_names"] == 500 and 0 < mix["listed_queries"] < result["queries"]
    loaded = result["unbound"]["with the zones"]["memory_kb"]["loaded"]["vmrss_kb"]
    assert loaded > result["unbound"]["without the zones"]["memory_kb"]["loaded"]["vmrss_kb"]
    assert result["reload"]["median_wall_s"] > 0
    assert "vs without" in done.stdout  # the table
