#!/usr/bin/env bash
# Fuzz the live API from openapi.yaml: no 5xx, every response as documented.
# Runs against the embedded store with the samples loaded, on a spare port. One worker:
# with two, hypothesis' lambda introspection races in CPython's ast module (a tool error).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
port="${SCHEMATHESIS_PORT:-18080}"
data=$(mktemp -d)
export STORYRECORDS_DATA_DIR="$data"
# A write key, so writes are fuzzed past the 401; a budget fuzzing cannot spend (429s are
# documented, but a run that hits them tests nothing else).
export STORYRECORDS_RATE_LIMIT="${SCHEMATHESIS_RATE_LIMIT:-1000000/minute}"
storyrecords demo >/dev/null
key=$(storyrecords keys create --name schemathesis --scope write)
storyrecords serve --port "$port" >"$data/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 1
done
PYTHONPATH="$PWD" SCHEMATHESIS_HOOKS=tests.fuzz.schemathesis_hooks \
    st --config-file tests/fuzz/schemathesis.toml run openapi.yaml --url "http://127.0.0.1:$port" --header "Authorization: Bearer $key" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --workers 1 \
    --suppress-health-check too_slow --request-timeout 30 \
    || { echo "schemathesis found problems; server log:" >&2; tail -n 50 "$data/server.log" >&2; exit 1; }
