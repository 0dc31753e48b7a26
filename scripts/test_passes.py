"""Run the test suite's two passes side by side: every test on SQLite, and the web tests again on
PostgreSQL (tests/postgresql.py starts a throw-away cluster for them).

Each pass is one process, and most of a pass is one core's work (Python, SQLite in the same process),
so on a machine with two cores the passes together take about as long as the longer one instead of
both one after the other. The SQLite pass writes to the terminal as it goes; the PostgreSQL pass to a
file, shown whole when it ends (two interleaved progress lines would be unreadable). The passes share
nothing: each has its own temporary directories (pytest numbers them per run), its own database, and
servers on free ports.

    python scripts/test_passes.py SQLITE-PYTEST-ARGS... -- POSTGRESQL-PYTEST-ARGS...

Exits with the first failing pass's code, 0 when both pass. `SCHOOLGATE_TEST_SERIAL=1` runs the passes
one after the other (a machine with one core, or to time each alone).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = ROOT / ".venv" / "bin" / "pytest"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def main(argv: list[str]) -> int:
    if "--" not in argv:
        sys.exit("usage: test_passes.py SQLITE-ARGS... -- POSTGRESQL-ARGS...")
    split = argv.index("--")
    sqlite_args, pg_args = argv[:split], argv[split + 1 :]
    pg_command = [sys.executable, str(ROOT / "tests" / "postgresql.py"), str(PYTEST), *pg_args]
    serial = os.environ.get("SCHOOLGATE_TEST_SERIAL") == "1" or (os.cpu_count() or 1) < 2
    started = time.monotonic()
    if serial:
        code = subprocess.run([str(PYTEST), *sqlite_args], cwd=ROOT, check=False).returncode
        pg_code = subprocess.run(pg_command, cwd=ROOT, check=False).returncode
        return code or pg_code
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as pg_log:
        print("test_passes.py: the PostgreSQL pass runs beside this one; its output follows at the end")
        pg = subprocess.Popen(pg_command, cwd=ROOT, stdout=pg_log, stderr=subprocess.STDOUT)
        try:
            code = subprocess.run([str(PYTEST), *sqlite_args], cwd=ROOT, check=False).returncode
            sqlite_done = time.monotonic() - started
            pg_code = pg.wait()
        except BaseException:
            pg.terminate()
            pg.wait()
            raise
        pg_done = time.monotonic() - started
        pg_log.seek(0)
        print("\n---- The PostgreSQL pass ----", flush=True)
        for line in pg_log:
            sys.stdout.write(line)
    print(
        f"test_passes.py: SQLite pass {'passed' if code == 0 else 'FAILED'} ({_minutes(sqlite_done)}), "
        f"PostgreSQL pass {'passed' if pg_code == 0 else 'FAILED'} ({_minutes(pg_done)} from the start)",
        flush=True,
    )
    return code or pg_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
