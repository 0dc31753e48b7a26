"""Alert latency: from the Squid helper's answer to a high-risk search to the e-mail at the SMTP server.

    .venv/bin/python bench/alert_latency.py [--searches 50] [--json FILE]

Everything real, as a school runs it: a fresh SQLite database in a throw-away data directory with a
school and its DSL (an e-mail address); an SMTP server on loopback (aiosmtpd, in this process); the real
`schoolgate squid-helper`, fed request lines through a pipe as Squid feeds it, writing its spool; the
real `schoolgate worker` with its default settings (a round every second when there is nothing to
read). Each of `--searches` pupils, one after another and a random 0-2 s apart, searches Google for a
high-risk phrase; the latency of each is the time from the helper's answer line to the alert's e-mail
arriving at the SMTP server. Goal (issue 15): p95 under 10 s with the worker's default settings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHOOLGATE = [sys.executable, "-m", "schoolgate.cli"]
GOAL_P95_S = 10.0
MAIL_WAIT_S = 60.0  # one search whose mail takes longer than this fails the bench
PHRASES = [
    "how to kill myself",
    "i want to kill myself",
    "how to hang myself",
    "how do i end my life",
    "i want to die",
]
SUBJECT = "High alert at Latency Primary"

POLICY = """\
schema_version = 1

[school]
name = "Latency Primary"
timezone = "Europe/London"
block_page = "http://blocked.test/blocked"

[lists.gambling]
format = "domains"
path = "gambling.txt"

[groups.default]
default = "allow"

[categories.gambling]
sources = ["gambling"]

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"
"""


class _Mailbox:
    """What the SMTP server received: (arrival time, subject) of each message."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[float, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        arrived = time.time()
        subject = str(message_from_bytes(envelope.original_content or envelope.content)["Subject"] or "")
        with self.lock:
            self.received.append((arrived, " ".join(subject.split())))
        return "250 Message accepted for delivery"

    def alerts(self) -> list[float]:
        with self.lock:
            return [at for at, subject in self.received if subject == SUBJECT]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(work: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLGATE_", "DJANGO_"))}
    env.update(
        SCHOOLGATE_DATA=str(work / "data"), SCHOOLGATE_HTTPS="0", SCHOOLGATE_SPOOL=str(work / "spool"),
        SCHOOLGATE_SMTP=f"smtp://127.0.0.1:{smtp_port}", SCHOOLGATE_EMAIL_FROM="schoolgate@latency.example",
        SCHOOLGATE_URL="https://schoolgate.latency.example", PYTHONPATH=str(ROOT / "src"),
    )  # fmt: skip
    return env


SETUP = """
from schoolgate.web.commands import setup
setup()
from django.core.management import call_command
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.tenancy.models import School
call_command("migrate", interactive=False, verbosity=0)
school = School.objects.create(name="Latency Primary", slug="latency")
dsl = User.objects.create(username="dsl", display_name="The DSL", email="dsl@latency.example")
Membership.objects.create(user=dsl, school=school, role=Role.DSL)
"""


def measure(searches: int, seed: int = 1) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    chance = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="sglatency-"))
    box = _Mailbox()
    smtp_port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = _env(work, smtp_port)
    helper = worker = None
    try:
        (work / "spool").mkdir()
        (work / "data").mkdir()
        (work / "gambling.txt").write_text("bet.test\n")
        policy, index, key = work / "policy.toml", work / "lists.sgidx", work / "block-page.key"
        policy.write_text(POLICY)
        for argv in (
            ["lists", "compile", "--quiet", "--policy", str(policy), "--index", str(index)],
            ["block-page", "key", str(key)],
        ):
            subprocess.run([*SCHOOLGATE, *argv], env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", SETUP], env=env, check=True)
        worker = subprocess.Popen(
            [*SCHOOLGATE, "worker", "--spool", str(work / "spool"), "--school", "latency"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(work / "worker.log", "wb"),  # noqa: SIM115
        )  # fmt: skip
        helper = subprocess.Popen(
            [*SCHOOLGATE, "squid-helper", "--policy", str(policy), "--index", str(index),
             "--spool", str(work / "spool"), "--block-page-key", str(key), "--concurrency", "on"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(work / "helper.log", "wb"),  # noqa: SIM115
        )  # fmt: skip
        assert helper.stdin is not None and helper.stdout is not None
        latencies: list[float] = []
        for n in range(searches):
            time.sleep(chance.uniform(0.0, 2.0))
            term = chance.choice(PHRASES).replace(" ", "+")
            before = len(box.alerts())
            line = (
                f"{n} https://www.google.com/search?q={term} 10.0.{n // 250}.{n % 250 + 1}/- pupil{n} GET\n"
            )
            helper.stdin.write(line.encode())
            helper.stdin.flush()
            answer = helper.stdout.readline()
            answered = time.time()
            if not answer:
                raise SystemExit(f"the helper stopped: {(work / 'helper.log').read_text()[-2000:]}")
            while len(box.alerts()) <= before:
                if time.time() - answered > MAIL_WAIT_S or worker.poll() is not None:
                    log = (work / "worker.log").read_text(errors="replace")[-3000:]
                    raise SystemExit(f"search {n}: no e-mail within {MAIL_WAIT_S:.0f} s\n{log}")
                time.sleep(0.01)
            latencies.append(box.alerts()[before] - answered)
        ordered = sorted(latencies)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        return {
            "searches": searches,
            "worker_interval_s": 1.0,
            "median_s": round(statistics.median(ordered), 3),
            "p95_s": round(p95, 3),
            "max_s": round(ordered[-1], 3),
            "min_s": round(ordered[0], 3),
            "goal_p95_s": GOAL_P95_S,
            "goal_met": p95 < GOAL_P95_S,
        }
    finally:
        for process in (helper, worker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        controller.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    if args.searches < 1:
        parser.error("--searches: at least 1")
    figures = measure(args.searches)
    print(
        f"alert latency, helper's answer to the e-mail at SMTP, {figures['searches']} high-risk searches, "
        f"worker's default settings: median {figures['median_s']:.2f} s, p95 {figures['p95_s']:.2f} s, "
        f"max {figures['max_s']:.2f} s (goal p95 < {GOAL_P95_S:.0f} s: "
        + ("met)" if figures["goal_met"] else "NOT met)"),
        flush=True,
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
