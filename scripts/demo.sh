#!/usr/bin/env bash
# `make run`: the demo school. Compiles the example lists, loads the demo school into the web
# application's database (SQLite under var/), publishes its filtering policy, runs its last school day
# and the week before through the Squid helper and the monitoring worker (alerts, the activity log and
# last week's report), then serves the web application on http://127.0.0.1:8000 and the block page on
# http://127.0.0.1:8080, with the worker reading the block page's review requests, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
SG=.venv/bin/schoolgate
export SCHOOLGATE_DATA=${SCHOOLGATE_DATA:-var}
export SCHOOLGATE_INDEX=${SCHOOLGATE_INDEX:-$SCHOOLGATE_DATA/lists.sgidx}
export SCHOOLGATE_POLICY=${SCHOOLGATE_POLICY:-$SCHOOLGATE_DATA/policy.toml}
# Guest logins (Devices > Guest logins) are written to this password file, and taken out when they end;
# no Squid reads it in the demo.
export SCHOOLGATE_PROXY_PASSWORDS=${SCHOOLGATE_PROXY_PASSWORDS:-$SCHOOLGATE_DATA/proxy-passwords}
export SCHOOLGATE_HTTPS=0   # plain HTTP, on this machine only
WEB=${SCHOOLGATE_WEB_LISTEN:-127.0.0.1:8000}
BLOCK=${SCHOOLGATE_BLOCK_PAGE_LISTEN:-127.0.0.1:8080}

echo "== The demo school"
$SG web demo

echo
echo "== Compiling the published policy's lists into $SCHOOLGATE_INDEX"
$SG lists compile --policy "$SCHOOLGATE_POLICY" --index "$SCHOOLGATE_INDEX" --quiet

echo
echo "== Its last school day and the week before, through the Squid helper and the monitoring worker"
$SG web demo-day --policy "$SCHOOLGATE_POLICY" --index "$SCHOOLGATE_INDEX"

[ -f "$SCHOOLGATE_DATA/block-page.key" ] || $SG block-page key "$SCHOOLGATE_DATA/block-page.key" >/dev/null
echo
echo "== How the published policy decides: a pupil at 10:30, a teacher at lunchtime (Monday)"
$SG check --policy "$SCHOOLGATE_POLICY" --index "$SCHOOLGATE_INDEX" --at 2026-11-23T10:30 \
    --user amelia.hughes https://www.bbc.co.uk/bitesize https://www.bet365.com/
$SG check --policy "$SCHOOLGATE_POLICY" --index "$SCHOOLGATE_INDEX" --at 2026-11-23T12:30 \
    --user r.patel https://www.amazon.co.uk/

$SG block-page serve --listen "$BLOCK" --key "$SCHOOLGATE_DATA/block-page.key" \
    --policy "$SCHOOLGATE_POLICY" --spool "$SCHOOLGATE_DATA/spool" --web-address "http://$WEB" &
BLOCK_PID=$!
$SG worker &
WORKER_PID=$!
trap 'kill $BLOCK_PID $WORKER_PID 2>/dev/null || true' EXIT
echo
echo "== Block page: http://$BLOCK/   Web application: http://$WEB/   Monitoring worker: running"
echo "   (Ctrl-C stops all three; log in as s.ahmed, the DSL, to see the alerts and last week's report)"
$SG web serve --listen "$WEB"
