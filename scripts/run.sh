#!/usr/bin/env bash
# Quick start: set up, index the two sample articles into the embedded store, serve on :8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export STORYRECORDS_DATA_DIR="${STORYRECORDS_DATA_DIR:-.data}"
.venv/bin/storyrecords demo
echo "serving on http://${STORYRECORDS_HOST:-127.0.0.1}:${STORYRECORDS_PORT:-8080} (docs at /docs); Ctrl-C stops" >&2
exec .venv/bin/storyrecords serve
