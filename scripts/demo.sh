#!/usr/bin/env bash
# `make run`: compile the example school's policy and lists, then show how Schoolgate decides a few
# requests for different people. Later releases start the web app and the gateways here too.
set -euo pipefail
cd "$(dirname "$0")/.."
SG=.venv/bin/schoolgate
POLICY=examples/policy.toml
INDEX=var/lists.sgidx

echo "== Compiling the example policy's lists into $INDEX, then checking the policy"
$SG lists compile --policy "$POLICY" --index "$INDEX"
$SG policy check "$POLICY" --index "$INDEX"

show() {
    local who=$1; shift
    echo
    echo "== $who"
    $SG check --policy "$POLICY" --index "$INDEX" "$@"
}
# A Monday morning in term, and the same Monday at lunchtime.
LESSON=2026-11-23T10:30
LUNCH=2026-11-23T12:30
show "A Key Stage 2 pupil, Monday 10:30" --user ks2-amelia --at $LESSON \
    https://www.bbc.co.uk/bitesize https://www.bet365.com/ https://www.tiktok.com/@school \
    roblox.com:443 http://iwf-test.example/
show "A KS1 classroom tablet (by address)" --ip 10.10.1.23 --at $LESSON \
    https://www.youtube.com/watch?v=abc https://primarygames.com/
show "A member of staff, Monday 10:30 and at lunchtime" --user mr.patel --at $LESSON https://www.amazon.co.uk/
$SG check --policy "$POLICY" --index "$INDEX" --user mr.patel --at $LUNCH https://www.amazon.co.uk/
show "The computing lead (nominated for social media)" --user ms.okafor --at $LESSON \
    https://www.tiktok.com/@school https://discord.com/
show "Someone the filter cannot identify" --at $LESSON https://www.bbc.co.uk/news https://example.org/
echo
echo "Try it yourself:  $SG check --policy $POLICY --index $INDEX --user ks2-oliver https://www.pokerstars.com/"
