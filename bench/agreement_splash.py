#!/usr/bin/env python3
"""The agreement page's cost per request through a real Squid, for a user who has accepted.

    .venv/bin/python bench/agreement_splash.py [--requests N] [--concurrency C] [--runs R] [--json FILE]

The Squid bench's method (bench/squid_throughput.py, whose pieces this uses): a local origin, Squids
started as Debian's service runs them from the configuration `schoolgate squid config` writes, and
ApacheBench (`ab -X`, keep-alive) as the load, here with a Basic login (`ab -P`). Two configurations,
both with Schoolgate's filter (the yardstick policy and index, the spool on) and logins:

1. **logins**: `--auth basic`;
2. **logins + agreement**: the same with `--agreement`: Squid's external ACL asks Schoolgate's
   agreement helper about the user (and keeps its answer for a minute, `ttl=60`), reading an
   agreements file that lists 1,500 other users who have not accepted. The user measured is not among
   them: they have accepted, so every request goes through to the origin.

Each configuration gets a warm-up run (discarded), then R rounds in which they take turns, in an order
that alternates from round to round. Printed: each run, the medians, the cost (1 - with / without), and
the noise: the spread (max - min) / median of each configuration's own runs. A request that fails, an
answer that is not 200, or an origin that did not see every request stops the bench with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from tests.servers import free_port, stop

from sg_policy import read_lists_from, yardstick_categories
from squid_throughput import (
    AB,
    ALLOWED_HOST,
    LISTS,
    PYTHON,
    SCHOOLGATE,
    SQUID,
    SQUID_USER,
    BenchError,
    Squid,
    commit,
    helper_trouble,
    let_proxy_user_run_python,
    origin_served,
    parse_ab,
    prepare_schoolgate,
    run,
    say,
    squid_version,
    start_squid,
    stopped_on_signals,
)

USER, PASSWORD = "bench-pupil", "bench-password"
OTHERS = 1500  # users in the agreements file who have not accepted
LOGINS = "logins"
AGREEMENT = "logins + agreement"
THROUGH_SQUID = Path(__file__).resolve().parent / "squid_throughput.py"


def agreements_file(path: Path) -> None:
    """A school's agreements file: this year's KS2 and staff versions, 1,500 users still to accept."""
    text = "I will use the internet kindly and safely.\n\n" * 40
    document = {
        "v": 1,
        "year": 2026,
        "versions": {
            "ks2": {"number": 2, "title": "Our rules for the internet", "text": text},
            "staff": {"number": 1, "title": "Staff acceptable use", "text": text},
        },
        "users": {f"pupil{n:04d}": "ks2" for n in range(OTHERS)},
    }
    path.write_text(json.dumps(document))
    os.chmod(path, 0o644)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000, help="requests per run (default 20,000)")
    parser.add_argument("--concurrency", type=int, default=20, help="ab's concurrent clients (default 20)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per configuration (default 5)")
    parser.add_argument(
        "--warmup", type=int, default=5000, help="requests of the warm-up run (default 5,000)"
    )
    parser.add_argument("--children", type=int, default=8, help="filter helper processes at most (default 8)")
    parser.add_argument("--lists", type=Path, default=LISTS, help="the UT1 lists (default: shared/data/ut1)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1 or args.runs < 1 or args.concurrency > args.requests:
        sys.exit("agreement_splash: --requests, --concurrency and --runs must be at least 1, C at most N")
    if os.geteuid() != 0:
        sys.exit("agreement_splash: run as root (Squid starts as root and runs as `proxy`)")
    if not Path(SQUID).exists() or not Path(AB).exists():
        sys.exit(
            "agreement_splash: needs squid-openssl and apache2-utils: "
            "`scripts/setup.sh squid-openssl apache2-utils`"
        )
    if not args.lists.is_dir():
        sys.exit(f"agreement_splash: the UT1 lists are not at {args.lists}")

    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        say(f"note: load average {load_at_start:.2f} at the start; the figures want a quiet machine")
    restore: list[tuple[Path, int]] = []
    squids: list[Squid] = []
    origin: subprocess.Popen[bytes] | None = None
    work = Path(tempfile.mkdtemp(prefix="sgagreement-"))
    read_lists_from(args.lists, work)
    try:
        with stopped_on_signals():
            let_proxy_user_run_python(restore)
            os.chmod(work, 0o755)
            origin = subprocess.Popen(
                [PYTHON, str(THROUGH_SQUID), "--serve-origin"], stdout=subprocess.PIPE, start_new_session=True
            )
            assert origin.stdout is not None
            origin_port = int(origin.stdout.readline() or 0)
            if not origin_port:
                raise BenchError("the origin server did not start")
            say("== the yardstick policy and index, the password file and the agreements file")
            policy, index, spool, key = prepare_schoolgate(work, args.lists, yardstick_categories(args.lists))
            passwords = work / "passwords"
            run(
                [SCHOOLGATE, "squid", "passwd", str(passwords), USER],
                input=PASSWORD + "\n",
                capture_output=True,
            )
            agreements_file(policy.with_name(f"{policy.stem}-agreements.json"))
            hosts = work / "hosts"
            hosts.write_text(f"127.0.0.1 {ALLOWED_HOST}\n")
            os.chmod(hosts, 0o644)
            for number, name in enumerate((LOGINS, AGREEMENT)):
                state = work / f"squid{number}"
                state.mkdir()
                shutil.chown(state, SQUID_USER, SQUID_USER)
                port = free_port()
                conf = work / f"squid{number}.conf"
                run(
                    [
                        SCHOOLGATE, "squid", "config", "--policy", str(policy), "--index", str(index),
                        "--spool", str(spool), "--block-page-key", str(key),
                        "--listen", f"127.0.0.1:{port}", "--network", "127.0.0.0/8",
                        "--auth", "basic", "--passwords", str(passwords), "--no-login", "none",
                        "--state-dir", str(state), "--hosts-file", str(hosts),
                        "--children", str(args.children), "--output", str(conf),
                        *(["--agreement"] if name == AGREEMENT else []),
                    ]
                )  # fmt: skip
                squids.append(Squid(name, port, conf, state, "squid-helper"))
            say("== starting 2 Squids and the origin on 127.0.0.1")
            for squid in squids:
                start_squid(squid)
            figures = measure(args, squids, origin_port)
            figures.update(
                squid_version=squid_version(),
                load_average_at_start=load_at_start,
                commit=commit(),
                date=time.strftime("%Y-%m-%dT%H:%M:%S"),
            )
            if args.json is not None:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(figures, indent=2))
                say(f"all figures: {args.json}")
    except BenchError as error:
        sys.exit(f"agreement_splash: {error}")
    except KeyboardInterrupt:
        sys.exit("agreement_splash: interrupted; Squid and the origin stopped, temporary files removed")
    finally:
        for process in [*(squid.process for squid in squids), origin]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*(squid.process for squid in squids), origin]:
            stop(process, seconds=15)
        for directory, mode in reversed(restore):
            os.chmod(directory, mode)
        shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, squids: list[Squid], origin_port: int) -> dict[str, object]:
    url = f"http://{ALLOWED_HOST}:{origin_port}/"

    def one(squid: Squid, requests: int) -> float:
        before = origin_served(origin_port)
        rps = timed_ab(url, requests, args.concurrency, squid.port)
        reached = origin_served(origin_port) - before
        trouble = helper_trouble(squid)
        if reached != requests or trouble:
            raise BenchError(
                f"{squid.name}: the origin served {reached} of {requests}; {' | '.join(trouble[-3:])}"
            )
        return rps

    say(f"== warm-up ({args.warmup:,} requests each, discarded)")
    for squid in squids:
        one(squid, args.warmup)
    runs: dict[str, list[float]] = {s.name: [] for s in squids}
    for number in range(args.runs):
        say(f"== round {number + 1} of {args.runs}")
        order = squids if number % 2 == 0 else list(reversed(squids))
        for squid in order:
            rps = one(squid, args.requests)
            runs[squid.name].append(rps)
            say(f"   {squid.name:22s} {rps:>10,.0f} requests/s")
    medians = {name: statistics.median(values) for name, values in runs.items()}
    noise = {name: (max(values) - min(values)) / medians[name] for name, values in runs.items()}
    cost = 1 - medians[AGREEMENT] / medians[LOGINS]
    say(f"\n{'configuration':22s} {'median req/s':>12s}   {'runs':40s} {'spread':>7s}")
    for name, values in runs.items():
        shown = " / ".join(f"{v:,.0f}" for v in values)
        say(f"{name:22s} {medians[name]:>12,.0f}   {shown:40s} {noise[name]:7.1%}")
    say(f"\nthe agreement's cost for a user who has accepted: {cost:.1%} of requests/s "
        f"(the runs' own spread: {max(noise.values()):.1%})")  # fmt: skip
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "runs": args.runs,
        "url": url,
        "runs_rps": runs,
        "median_rps": medians,
        "spread": noise,
        "cost": cost,
        "others_in_file": OTHERS,
    }


def timed_ab(url: str, requests: int, concurrency: int, port: int) -> float:
    """`ab -k -P USER:PASSWORD -X 127.0.0.1:PORT URL`: requests per second; every answer a 200."""
    cmd = [AB, "-q", "-k", "-n", str(requests), "-c", str(concurrency), "-s", "30",
           "-P", f"{USER}:{PASSWORD}", "-X", f"127.0.0.1:{port}", url]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise BenchError(f"ab failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    result = parse_ab(done.stdout)
    if result.complete != requests or result.failed or result.non_2xx:
        raise BenchError(
            f"{result.complete} of {requests} complete, {result.failed} failed, {result.non_2xx} not 2xx"
        )
    return result.rps


if __name__ == "__main__":
    main()
