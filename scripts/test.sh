#!/usr/bin/env bash
# The whole test suite: lint, types, contract drift, pytest on both store backends against a real
# Elasticsearch (started here unless STORYRECORDS_TEST_ELASTICSEARCH_URL is given), schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

started_es=0
cleanup() {
    if [[ -n ${server_pid:-} ]]; then kill "$server_pid" 2>/dev/null || true; fi
    if ((started_es)); then scripts/elasticsearch.sh stop || true; fi
}
trap cleanup EXIT

if [[ -z ${STORYRECORDS_TEST_ELASTICSEARCH_URL:-} ]]; then
    echo "== starting Elasticsearch" >&2
    if ! url=$(scripts/elasticsearch.sh start); then
        echo "FAIL: Elasticsearch could not be started (see above); its backend tests cannot run" >&2
        exit 1
    fi
    started_es=1
    export STORYRECORDS_TEST_ELASTICSEARCH_URL="$url"
fi

echo "== ruff" >&2
ruff check storyrecords tests
echo "== mypy" >&2
mypy
echo "== openapi.yaml matches the code" >&2
storyrecords openapi --check openapi.yaml

echo "== pytest" >&2
pytest -W error "$@"

echo "== schemathesis against a live server" >&2
scripts/schemathesis.sh
