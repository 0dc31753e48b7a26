#!/usr/bin/env bash
# Sets up a development or demo environment: a virtualenv in .venv with Schoolgate and its tools.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup: Schoolgate needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi

# Debian packages named on the command line (e.g. `setup.sh squid unbound`) are installed when missing,
# and what building the C part needs (gcc; the headers of Debian's own Python).
packages=("$@")
command -v gcc >/dev/null || packages+=(gcc)
include=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if [ ! -f "$include/Python.h" ]; then
    if [[ "$(command -v "$PYTHON")" == /usr/bin/* ]]; then
        packages+=(python3-dev)
    else
        echo "setup: $PYTHON has no C headers ($include/Python.h): install its development files" >&2
        exit 1
    fi
fi
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.schoolgate-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
    || [ -n "$(find src \( -name '*.c' -o -name '*.h' \) -newer "$stamp")" ]; then
    echo "setup: installing Schoolgate and its development tools into .venv"
    .venv/bin/pip install -q -e '.[dev]'
    touch "$stamp"
fi
