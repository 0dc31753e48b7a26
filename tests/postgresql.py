"""Run a command against a throw-away PostgreSQL cluster: `python tests/postgresql.py pytest tests/web`.

The cluster is made with Debian's `initdb` in a temporary directory, listens on a free loopback port
(and a socket in that directory), and is stopped and removed afterwards, whatever the command did.
The command gets SCHOOLGATE_DATABASE pointing at it. As root, the server runs as the `postgres`
user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if not candidates:
        sys.exit(
            f"postgresql.py: {name} not found: install Debian's postgresql (scripts/setup.sh postgresql)"
        )
    return str(candidates[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit("usage: python tests/postgresql.py COMMAND [ARG...]")
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="schoolgate-pg-"))
    data = work / "data"
    if as_root:
        user = pwd.getpwnam("postgres")
        os.chown(work, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    log = work / "server.log"
    started = False
    try:
        subprocess.run(
            [*prefix, _bin("initdb"), "-D", str(data), "-U", "schoolgate", "-A", "trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {port} -k {work} -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
             "start"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        started = True
        env = dict(os.environ, SCHOOLGATE_DATABASE=f"postgresql://schoolgate@127.0.0.1:{port}/schoolgate")
        print(f"postgresql.py: a throw-away PostgreSQL on 127.0.0.1:{port}", flush=True)
        return subprocess.run(argv, env=env, check=False).returncode
    except subprocess.CalledProcessError as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        print(f"postgresql.py: {exc}\n{tail}", file=sys.stderr)
        return 2
    finally:
        if started:
            subprocess.run([*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           check=False, stdout=subprocess.DEVNULL)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
