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
ruff check api indexer tests
echo "== mypy" >&2
mypy
echo "== openapi.yaml matches the code" >&2
storyrecords openapi --check openapi.yaml

echo "== pytest" >&2
results=$(mktemp --suffix=.xml)
pytest -W error --junitxml="$results" "$@"

echo "== schemathesis against a live server" >&2
scripts/schemathesis.sh

# One closing line for whoever reads the end of the log: the pytest totals (all green here).
python - "$results" <<'PY'
import sys
import xml.etree.ElementTree as ET

suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite[0]
total, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
skipped = int(suite.get("skipped"))
print(f"suite: {total - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
