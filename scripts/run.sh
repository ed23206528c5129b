#!/usr/bin/env bash
# Quick start: set up, index the two sample articles into the embedded store, serve on :8080.
# The first run also makes a write key named `quickstart` and keeps it, readable by you only,
# in the data directory (later runs reuse it); the store itself keeps only its digest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export STORYRECORDS_DATA_DIR="${STORYRECORDS_DATA_DIR:-.data}"
.venv/bin/storyrecords demo
keyfile="$STORYRECORDS_DATA_DIR/quickstart.key"
.venv/bin/storyrecords keys ensure --name quickstart --scope write --file "$keyfile"
base="http://${STORYRECORDS_HOST:-127.0.0.1}:${STORYRECORDS_PORT:-8080}"
cat >&2 <<MSG
serving on $base (docs at /docs); Ctrl-C stops
write key (scope write) in $keyfile; for example:
  curl -X POST $base/v1/articles -H "Authorization: Bearer \$(cat $keyfile)" \\
    -H 'Content-Type: application/json' -d '{"text": "NATO and Russia met in Brussels."}'
rate limits count in this one worker's memory (one worker: that is the whole count)
MSG
exec .venv/bin/storyrecords serve
