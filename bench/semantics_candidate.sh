#!/bin/sh
# Candidate wrapper for shared/bench/squidguard/check_semantics.py (and run_candidate.sh):
# writes the Schoolgate policy equivalent to squidGuard's generated configuration for
# $LISTS_DIR / $CATEGORIES (bench/sg_policy.py) into a temporary directory, compiles the lists,
# then runs the Squid helper on stdin/stdout.
#
#   CANDIDATE_CMD='bench/semantics_candidate.sh' python3 ../shared/bench/squidguard/check_semantics.py
#
# Environment: LISTS_DIR, CATEGORIES (required), BLOCK_URL (optional, the block page).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
VENV=${SCHOOLGATE_VENV:-$ROOT/.venv}
: "${LISTS_DIR:?LISTS_DIR is not set}"
: "${CATEGORIES:?CATEGORIES is not set}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sgsemcand.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
"$VENV/bin/python" "$HERE/sg_policy.py" --lists "$LISTS_DIR" --categories "$CATEGORIES" \
    --block-page "${BLOCK_URL:-http://127.0.0.1/blocked.html}" --out "$WORK/policy.toml"
"$VENV/bin/schoolgate" lists compile --policy "$WORK/policy.toml" --index "$WORK/lists.sgidx" >&2
"$VENV/bin/schoolgate" squid-helper --policy "$WORK/policy.toml" --index "$WORK/lists.sgidx" --no-spool
