#!/usr/bin/env python3
"""`make bench`: Schoolgate against the squidGuard yardstick, in one run on this machine.

Uses the harness in ../shared/bench (corpus generator, squidGuard runner, timing, comparer):

1. the 1,000,000-line corpus (`make_corpus.py --seed 1`), made once and kept in var/bench;
2. compile time: `squidGuard -C all` and `schoolgate lists compile`, same lists (UT1 snapshot);
3. throughput and peak RSS, same corpus, same 66 categories, one process each: squidGuard,
   Schoolgate with the spool on, Schoolgate with the spool off, and the Python echo-helper floor;
4. agreement with squidGuard, each disagreement assigned to a documented difference
   (bench/differences.py, docs/squidguard-differences.md);
5. memory a second helper process adds on the same index (USS and PSS from smaps_rollup);
6. requests per second through a real Squid with no helper, Schoolgate's and squidGuard's
   (bench/squid_throughput.py);
7. DNS queries per second through a real unbound with the zones of the whole UT1 snapshot and
   without them, the zones' size and unbound's memory and load and reload times
   (bench/dns_throughput.py);
8. page timings of the web application with a realistic school (1,500 pupils, 150 staff, 60 classes,
   40 rules) on SQLite (bench/web_pages.py);
9. risk-phrase scanning: search terms per second through the shipped library on one core, and its
   accuracy on the tests' phrase tables (bench/monitoring_phrases.py);
10. the alert latency: a high-risk search answered by the helper to the e-mail at a real SMTP server,
   with the worker's default settings (bench/alert_latency.py);
11. ingest: events per second from realistic spool files into SQLite and PostgreSQL, through the
   worker's ingester (bench/ingest.py);
12. the monitoring pages (alert inbox, activity search by person and by term, a pupil's timeline, the
   weekly report) with 30 days of a 1,500-pupil school, on SQLite and PostgreSQL, and the database's
   size per school day (bench/monitoring_pages.py);
13. the pages of the school's other records (agreements, consent, devices, training, the annual
   review, the governors' report, the term dates, the change-control log) with a year of a 1,500-pupil
   school's records, on SQLite (bench/records_pages.py).

Prints every figure and writes them to var/bench/results.json. `--quick` uses 100,000 lines and one
run, for a check in a minute or two (its figures are not the ones to publish).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from schoolgate.activity.spool import read_events

# The benches are scripts side by side: their shared pieces are imported from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sg_policy import read_lists_from, yardstick_categories

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench"
LISTS = SHARED / "data" / "ut1"
WORK = ROOT / "var" / "bench"
SG_WORK = Path(os.environ.get("SG_WORK", "/tmp/sgbench"))
VENV_BIN = Path(sys.executable).parent
SCHOOLGATE = str(VENV_BIN / "schoolgate")
PYTHON = sys.executable


def say(text: str) -> None:
    print(text, flush=True)


def run(cmd: list[str], check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def timed(
    name: str, cmd: str, runs: int, corpus: Path | None, out: Path | None, results: Path
) -> dict[str, float]:
    """Run the shared bench.py (repeated runs under /usr/bin/time -v) and return the medians."""
    args = [PYTHON, str(BENCH / "bench.py"), "--runs", str(runs), "--name", name, "--json", str(results)]
    if corpus is not None:
        args += ["--corpus", str(corpus)]
    if out is not None:
        args += ["--out", str(out)]
    run([*args, "--", cmd])
    with results.open() as handle:
        last = [json.loads(line) for line in handle if line.strip()][-1]
    return dict(last["median"])


def private_memory(pid: int) -> dict[str, int]:
    """USS (private clean + dirty) and PSS of a process, in KB."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean"):
                fields[name] = int(rest.split()[0])
    return {
        "rss_kb": fields["Rss"],
        "pss_kb": fields["Pss"],
        "uss_kb": fields["Private_Clean"] + fields["Private_Dirty"],
        "shared_kb": fields["Shared_Clean"],
    }


def second_helper_memory(policy: Path, index: Path, corpus: Path, lines: int) -> dict[str, dict[str, int]]:
    """Two helpers on the same index, each fed `lines` requests; their memory while both still run."""
    with corpus.open("rb") as handle:
        feed = b"".join(handle.readline() for _ in range(lines))
    helpers = []
    for _ in range(2):
        helper = subprocess.Popen(
            [SCHOOLGATE, "squid-helper", "--policy", str(policy), "--index", str(index), "--no-spool"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        stdin, stdout = helper.stdin, helper.stdout
        assert stdin is not None and stdout is not None
        # Feed from a thread while reading here: the answers must be read as they come, or both
        # pipes fill up and the helper and this script wait for each other for ever.
        feeder = threading.Thread(target=lambda pipe=stdin: (pipe.write(feed), pipe.flush()))
        feeder.start()
        answered = 0
        while answered < lines:  # read every answer, so the helper has decided them all
            chunk = stdout.read1(1 << 20)
            if not chunk:
                raise RuntimeError("the helper stopped before answering every line")
            answered += chunk.count(b"\n")
        feeder.join()
        helpers.append(helper)
    memory = {"first": private_memory(helpers[0].pid), "second": private_memory(helpers[1].pid)}
    for helper in helpers:
        assert helper.stdin is not None
        helper.stdin.close()
        helper.wait(timeout=60)
    return memory


def squid_throughput(quick: bool) -> dict[str, object]:
    """Requests per second through Squid (bench/squid_throughput.py): its figures, from its JSON."""
    figures = WORK / "squid_throughput.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "squid_throughput.py"), "--json", str(figures)]
    if quick:
        cmd += ["--requests", "2000", "--warmup", "500", "--runs", "1"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the throughput through Squid failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def agreement_splash(quick: bool) -> dict[str, object]:
    """The agreement page's cost per request through Squid for a user who has accepted
    (bench/agreement_splash.py): its figures, from its JSON."""
    figures = WORK / "agreement_splash.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "agreement_splash.py"), "--json", str(figures)]
    if quick:
        cmd += ["--requests", "2000", "--warmup", "500", "--runs", "1"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the agreement page's cost through Squid failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def dns_throughput(quick: bool) -> dict[str, object]:
    """Queries per second through unbound, with and without the zones (bench/dns_throughput.py)."""
    figures = WORK / "dns_throughput.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "dns_throughput.py"), "--json", str(figures)]
    if quick:
        cmd += ["--queries", "20000", "--runs", "1"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the throughput through unbound failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def web_pages(quick: bool) -> dict[str, object]:
    """Page timings of the web application with a realistic school (bench/web_pages.py)."""
    figures = WORK / "web_pages.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "web_pages.py"), "--json", str(figures)]
    if quick:
        cmd += ["--requests", "10"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the web page timings failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def monitoring_phrases(quick: bool) -> dict[str, object]:
    """Search terms per second through the risk phrases, and their accuracy (bench/monitoring_phrases.py)."""
    figures = WORK / "monitoring_phrases.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "monitoring_phrases.py"), "--json", str(figures)]
    if quick:
        cmd += ["--terms", "20000", "--runs", "1"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the risk-phrase scanning failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def ingest(quick: bool) -> dict[str, object]:
    """Events per second from spool files into SQLite and PostgreSQL (bench/ingest.py)."""
    figures = WORK / "ingest.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "ingest.py"), "--json", str(figures)]
    if quick:
        cmd += ["--events", "100000"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the ingest bench failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def monitoring_pages(quick: bool) -> dict[str, object]:
    """The monitoring pages with 30 days of a 1,500-pupil school, on SQLite and on PostgreSQL
    (bench/monitoring_pages.py, under tests/postgresql.py for the second)."""
    out: dict[str, object] = {}
    for database in ("sqlite", "postgresql"):
        figures = WORK / f"monitoring_pages_{database}.json"
        figures.unlink(missing_ok=True)
        cmd = [PYTHON, str(ROOT / "bench" / "monitoring_pages.py"), "--json", str(figures)]
        if quick:
            cmd += ["--days", "8", "--requests-per-day", "200000", "--requests", "5"]
        if database == "postgresql":
            cmd = [PYTHON, str(ROOT / "tests" / "postgresql.py"), *cmd]
        if run(cmd, check=False).returncode != 0:
            sys.exit(f"bench: the monitoring pages on {database} failed (the reason is above)")
        out[database] = json.loads(figures.read_text())
    return out


def records_pages(quick: bool) -> dict[str, object]:
    """The school's other records' pages with a year of records (bench/records_pages.py)."""
    figures = WORK / "records_pages.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "records_pages.py"), "--json", str(figures)]
    if quick:
        cmd += ["--requests", "10"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the records pages' timings failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def alert_latency(quick: bool) -> dict[str, object]:
    """The helper's answer to a high-risk search to the alert's e-mail at SMTP (bench/alert_latency.py)."""
    figures = WORK / "alert_latency.json"
    figures.unlink(missing_ok=True)
    cmd = [PYTHON, str(ROOT / "bench" / "alert_latency.py"), "--json", str(figures)]
    if quick:
        cmd += ["--searches", "10"]
    if run(cmd, check=False).returncode != 0:
        sys.exit("bench: the alert latency failed (the reason is above)")
    return dict(json.loads(figures.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100,000 lines, one run (a smoke test)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not BENCH.is_dir() or not LISTS.is_dir():
        sys.exit(f"bench: the squidGuard yardstick is not at {SHARED} (shared/ beside the project)")
    if shutil.which("squidGuard") is None or not Path("/usr/bin/time").exists():
        sys.exit("bench: squidGuard and /usr/bin/time are needed: run `scripts/setup.sh squidguard time`")
    runs = 1 if args.quick else args.runs
    count = 100_000 if args.quick else 1_000_000
    WORK.mkdir(parents=True, exist_ok=True)
    results = WORK / "timings.jsonl"
    results.unlink(missing_ok=True)
    summary: dict[str, object] = {"lines": count, "runs": runs, "date": time.strftime("%Y-%m-%dT%H:%M:%S")}

    corpus = WORK / f"corpus-{count}.txt"
    labels = WORK / f"corpus-{count}.labels"
    if not corpus.exists() or not labels.exists():
        say(f"== making the {count:,}-line corpus")
        run(
            [
                PYTHON,
                str(BENCH / "make_corpus.py"),
                "--lists",
                str(LISTS),
                "--count",
                str(count),
                "--seed",
                "1",
                "--out",
                str(corpus),
                "--labels",
                str(labels),
            ]
        )
    cats = ",".join(yardstick_categories(LISTS))
    read_lists_from(LISTS, WORK)
    policy = WORK / "yardstick.toml"
    index = WORK / "yardstick.sgidx"
    run(
        [
            PYTHON,
            str(ROOT / "bench" / "sg_policy.py"),
            "--lists",
            str(LISTS),
            "--categories",
            cats,
            "--out",
            str(policy),
        ]
    )

    say("== squidGuard: configuration, databases and the reference answers")
    sg_out = WORK / "sg.out"
    env = dict(os.environ, SG_WORK=str(SG_WORK))
    run([str(BENCH / "squidguard" / "run_squidguard.sh"), str(corpus), str(sg_out)], env=env)
    sg_conf = SG_WORK / "squidGuard.conf"

    say("== compile time")
    summary["compile_squidguard"] = timed(
        "squidGuard -C all", f"squidGuard -c {sg_conf} -C all", runs, None, None, results
    )
    summary["compile_schoolgate"] = timed(
        "schoolgate lists compile",
        f"{SCHOOLGATE} lists compile --quiet --policy {policy} --index {index}",
        runs,
        None,
        None,
        results,
    )
    summary["index_bytes"] = index.stat().st_size

    say("== throughput, one process each")
    spool = WORK / "spool"
    shutil.rmtree(spool, ignore_errors=True)
    cand_out = WORK / "schoolgate.out"
    # Block page addresses signed, as a school runs it (schoolgate block-page key).
    key = WORK / "block-page.key"
    if not key.exists():
        run([SCHOOLGATE, "block-page", "key", str(key)], stdout=subprocess.DEVNULL)
    helper = f"{SCHOOLGATE} squid-helper --policy {policy} --index {index} --block-page-key {key}"
    summary["squidguard"] = timed(
        "squidGuard", f"squidGuard -c {sg_conf}", runs, corpus, WORK / "sg.timed.out", results
    )
    summary["schoolgate_spool"] = timed(
        "schoolgate (spool on)",
        f"rm -rf {spool} && {helper} --spool {spool}",
        runs,
        corpus,
        cand_out,
        results,
    )
    summary["schoolgate_no_spool"] = timed(
        "schoolgate (spool off)",
        f"{helper} --no-spool",
        runs,
        corpus,
        WORK / "schoolgate.nospool.out",
        results,
    )
    summary["echo_helper"] = timed(
        "echo helper (Python floor)", f"{PYTHON} {BENCH / 'echo_helper.py'}", runs, corpus, None, results
    )
    events = sum(1 for f in spool.glob("events-*.jsonl*") for _ in read_events(f))
    summary["spool_events"] = events

    say("== agreement with squidGuard")
    differences = WORK / "differences.json"
    run(
        [
            PYTHON,
            str(ROOT / "bench" / "differences.py"),
            str(corpus),
            str(sg_out),
            str(cand_out),
            "--unstable",
            f"{sg_out}.unstable",
            "--json",
            str(differences),
        ],
        # An unexplained difference is a finding to report, not a reason to stop the measurements.
        check=False,
    )
    summary["agreement"] = json.loads(differences.read_text())

    say("== memory of a second helper on the same index")
    summary["memory"] = second_helper_memory(policy, index, corpus, min(count, 200_000))

    say("== requests per second through Squid: no helper, Schoolgate, squidGuard")
    summary["squid_throughput"] = squid_throughput(args.quick)

    say("== the agreement page at the proxy: requests/s for a user who has accepted, with and without")
    summary["agreement_splash"] = agreement_splash(args.quick)

    say("== DNS queries per second through unbound: with the zones and without them")
    summary["dns_throughput"] = dns_throughput(args.quick)

    say("== web application page timings, a realistic school on SQLite")
    summary["web_pages"] = web_pages(args.quick)

    say("== alert latency: the helper's answer to the e-mail at SMTP, the worker's default settings")
    summary["alert_latency"] = alert_latency(args.quick)

    say("== risk phrases: search terms per second on one core, accuracy on the tests' tables")
    summary["monitoring_phrases"] = monitoring_phrases(args.quick)

    say("== ingest: spool events per second into SQLite and PostgreSQL, alert rules included")
    summary["ingest"] = ingest(args.quick)

    say("== the monitoring pages with 30 days of a 1,500-pupil school, on SQLite and PostgreSQL")
    summary["monitoring_pages"] = monitoring_pages(args.quick)

    say("== the school's other records' pages with a year of records, a realistic school on SQLite")
    summary["records_pages"] = records_pages(args.quick)

    sg = summary["squidguard"]
    on = summary["schoolgate_spool"]
    off = summary["schoolgate_no_spool"]
    echo = summary["echo_helper"]
    assert isinstance(sg, dict) and isinstance(on, dict) and isinstance(off, dict) and isinstance(echo, dict)
    memory = summary["memory"]
    assert isinstance(memory, dict)
    compile_sg, compile_us = summary["compile_squidguard"], summary["compile_schoolgate"]
    assert isinstance(compile_sg, dict) and isinstance(compile_us, dict)
    say("\n== summary")
    say(f"corpus: {count:,} lines; medians of {runs} run(s)")

    def row(name: str, figures: dict[str, float]) -> str:
        rss = figures["maxrss_kb"] / 1024
        return f"{name:24s} {figures['lines_per_s']:>10,.0f} lines/s  peak RSS {rss:6.1f} MB"

    say(row("squidGuard:", sg))
    say(
        row("Schoolgate, spool on:", on) + f"  = {on['lines_per_s'] / sg['lines_per_s']:.1f}x squidGuard, "
        f"{on['lines_per_s'] / echo['lines_per_s']:.3f}x the echo floor"
    )
    say(row("Schoolgate, spool off:", off) + f"  = {off['lines_per_s'] / sg['lines_per_s']:.1f}x squidGuard")
    say(
        f"spool cost:              {1 - on['lines_per_s'] / off['lines_per_s']:.1%} of throughput "
        f"({events:,} events written)"
    )
    say(f"echo helper floor:       {echo['lines_per_s']:>10,.0f} lines/s")
    say(
        f"compile: squidGuard -C all {compile_sg['wall_s']:.2f} s; schoolgate lists compile "
        f"{compile_us['wall_s']:.2f} s ({summary['index_bytes'] / 1e6:.1f} MB index)"
    )
    second = memory["second"]
    say(
        f"second helper on the same index: USS {second['uss_kb'] / 1024:.1f} MB, "
        f"PSS {second['pss_kb'] / 1024:.1f} MB, RSS {second['rss_kb'] / 1024:.1f} MB"
    )
    through = summary["squid_throughput"]
    assert isinstance(through, dict)
    for kind in ("allowed", "blocked"):
        line = ", ".join(
            f"{name} {row['median_rps']:,.0f}"
            + ("" if row["cost_vs_no_helper"] is None else f" (cost {row['cost_vs_no_helper']:.1%})")
            for name, row in through[kind].items()
        )
        say(f"through Squid, {kind} URL, requests/s: {line}")
    splash = summary["agreement_splash"]
    assert isinstance(splash, dict)
    say(
        f"the agreement at the proxy, a user who has accepted: cost {splash['cost']:.1%} of requests/s "
        f"(runs' spread {max(splash['spread'].values()):.1%})"
    )
    dns = summary["dns_throughput"]
    assert isinstance(dns, dict)
    rates = dns["throughput"]
    with_zones, without = rates["with the zones"], rates["without the zones"]
    say(
        f"through unbound, queries/s: without the zones {without['median_qps']:,.0f}, with them "
        f"{with_zones['median_qps']:,.0f} ({dns['ratio']:.3f} of the rate; goal 0.9: "
        + ("met)" if dns["goal_met"] else "not met)")
    )
    zones, loaded = dns["zones"], dns["unbound"]["with the zones"]
    rss = {name: row["memory_kb"]["loaded"]["vmrss_kb"] / 1024 for name, row in dns["unbound"].items()}
    say(
        f"zones: rpz export {zones['export_s']:.1f} s, {sum(zones['files_bytes'].values()) / 1e6:.1f} MB; "
        f"unbound with them: VmRSS {rss['with the zones']:.0f} MB "
        f"(without {rss['without the zones']:.0f} MB), "
        f"loads in {loaded['load_s']:.1f} s, reloads in {dns['reload']['median_wall_s']:.1f} s"
    )
    scanning = summary["monitoring_phrases"]
    assert isinstance(scanning, dict)
    scores = scanning["accuracy"]
    say(
        f"risk phrases: {scanning['steady']['terms_per_s_cpu']:,.0f} search terms/s on one core (goal "
        f"{scanning['goal_terms_per_s']:,}: " + ("met" if scanning["goal_met"] else "not met") + "); "
        f"{scores['match_rate']:.1%} of the harmful texts matched, {scores['false_alerts']} of "
        f"{scores['look_alikes']} look-alikes alerted"
    )
    latency = summary["alert_latency"]
    assert isinstance(latency, dict)
    say(
        f"alert latency over {latency['searches']} high-risk searches: median {latency['median_s']:.2f} s, "
        f"p95 {latency['p95_s']:.2f} s (goal < {latency['goal_p95_s']:.0f} s: "
        + ("met)" if latency["goal_met"] else "not met)")
    )
    for database, found in summary["ingest"].items():  # type: ignore[attr-defined]
        say(
            f"ingest into {database}: {found['events_per_s']:,} events/s (goal {found['goal_per_s']:,}: "
            + ("met)" if found["events_per_s"] >= found["goal_per_s"] else "not met)")
        )
    for database, found in summary["monitoring_pages"].items():  # type: ignore[attr-defined]
        worst = max(found["pages"], key=lambda page: page["p95_ms"])
        say(
            f"monitoring pages on {database}: slowest p95 {worst['p95_ms']:.0f} ms ({worst['label']}; goal "
            f"< {found['goal_ms']:.0f} ms: " + ("met" if found["goal_met"] else "not met") + "); "
            f"{found['bytes_per_school_day'] / 1e6:,.0f} MB on disk per school day"
        )
    records = summary["records_pages"]
    assert isinstance(records, dict)
    slowest = max(records["pages"], key=lambda page: page["p95_ms"])
    say(
        f"records pages: {len(records['pages'])} pages, slowest p95 {slowest['p95_ms']:.0f} ms "
        f"({slowest['label']}; goal < {records['goal_ms']:.0f} ms: "
        + ("met)" if records["goal_met"] else "not met)")
    )
    (WORK / "results.json").write_text(json.dumps(summary, indent=2))
    say(f"all figures: {WORK / 'results.json'}")


if __name__ == "__main__":
    main()
