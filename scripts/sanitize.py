"""Runs the C twin tests once more with the C built under AddressSanitizer and UndefinedBehaviorSanitizer.

The C loops read what the network sends (Squid's lines, URLs, user names); the twin tests feed them
hostile input and compare them with their pure-Python twins. Here the same tests run against a build
of the same files with `-fsanitize=address,undefined`, so a read past a buffer, a use after free or an
overflow that happens to give the right bytes still fails the run.

How: setup.py's extensions are built again, with the sanitizers, into a temporary directory that also
gets a copy of the Python package; pytest then runs the twin tests with that directory first on
PYTHONPATH (so the sanitized modules are the ones imported, which is checked) and the sanitizers'
runtimes preloaded (Python itself is not built with them), and Python's objects allocated with malloc
so that ASan sees a read past one. Leak detection is off: Python keeps memory until exit on purpose.
Any report fails the run.

    .venv/bin/python scripts/sanitize.py [pytest arguments...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWIN_TESTS = [
    "tests/activity/test_speedups.py",
    "tests/gateways/test_speedups.py",
    "tests/engine/test_urls_c.py",
]
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
EXTENSIONS = ("schoolgate.engine._urls", "schoolgate.activity._speedups", "schoolgate.gateways._speedups")


def runtime(name: str) -> str:
    """The path of a sanitizer's runtime library, as the compiler that builds with it knows it."""
    found = subprocess.run(
        ["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not os.path.isabs(found) or not os.path.exists(found):
        sys.exit(f"sanitize: gcc has no {name} (install gcc's libasan and libubsan)")
    return found


def main(arguments: list[str]) -> int:
    preload = f"{runtime('libasan.so')}:{runtime('libubsan.so')}"
    with tempfile.TemporaryDirectory(prefix="schoolgate-sanitize-") as temporary:
        lib = Path(temporary) / "lib"
        env = dict(os.environ, CFLAGS=SANITIZE, LDFLAGS="-fsanitize=address,undefined")
        built = subprocess.run(
            [sys.executable, "setup.py", "-q", "build_ext", "-f", "-b", str(lib), "-t", f"{temporary}/build"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode != 0:
            sys.stderr.write(built.stdout + built.stderr)
            sys.stderr.write("sanitize: the C did not build with the sanitizers\n")
            return 1
        # The Python package beside the sanitized modules, without the normal build of them.
        shutil.copytree(
            ROOT / "src" / "schoolgate",
            lib / "schoolgate",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("*.so", "__pycache__"),
        )
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(lib), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            LD_PRELOAD=preload,
            ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1",
            UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONMALLOC="malloc",  # every object from malloc, where ASan watches it (not Python's pools)
        )
        check = (
            "import importlib, sys\n"
            f"for name in {EXTENSIONS!r}:\n"
            "    path = importlib.import_module(name).__file__ or ''\n"
            f"    if not path.startswith({str(lib)!r}):\n"
            "        sys.exit(f'sanitize: {name} came from {path}, not from the sanitized build')\n"
        )
        if subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=env, check=False).returncode != 0:
            return 1
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TWIN_TESTS, *arguments]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
