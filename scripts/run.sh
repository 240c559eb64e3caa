#!/usr/bin/env bash
# The main job on the embedded default: install, build, then create a data directory with a
# demo record, verify it and replay it. (The HTTPS server arrives with `rxportal serve`.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
data=${RXPORTAL_DATA:-$(mktemp -d /tmp/rxportal-demo-XXXXXX)/data}
bin=build/rxportal
[ -e "$data/events.db" ] || $bin init --data "$data" --demo
$bin verify --data "$data"
echo "--- replay (decrypted events, as an analyst sees them):"
$bin replay --data "$data"
echo "--- data directory: $data"
