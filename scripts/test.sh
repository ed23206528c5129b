#!/usr/bin/env bash
# The whole test suite: lint, types, contract drift, pytest on both store backends against a real
# Elasticsearch (started here unless STORYRECORDS_TEST_ELASTICSEARCH_URL is given), schemathesis.
#
# Every step runs even when an earlier one failed, so one run shows everything that is wrong.
# The very last line printed, after every cleanup, is the totals line CI reads:
#     suite: N passed, N failed, N skipped
# where the pytest tests count one each and every other step (ruff, mypy, ...) counts as one.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
failures=()
results=$(mktemp --suffix=.xml)
started_es=0

step() {  # step NAME COMMAND...: run one non-pytest check and count it
    local name=$1
    shift
    echo "== $name" >&2
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAILED: $name" >&2
    fi
}

finish() {
    local code=$?
    if ((started_es)); then scripts/elasticsearch.sh stop >/dev/null 2>&1 || true; fi
    if [[ -s $results ]]; then
        read -r t f s < <(.venv/bin/python - "$results" <<'PY'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
print(tests, bad, sum(int(s.get("skipped", 0)) for s in suites))
PY
        )
        passed=$((passed + t - f - s)) failed=$((failed + f)) skipped=$((skipped + s))
    elif [[ ${pytest_ran:-0} == 1 ]]; then
        failed=$((failed + 1))  # pytest died before writing its report
    fi
    rm -f "$results"
    ((${#failures[@]})) && echo "failed steps: ${failures[*]}" >&2
    echo "suite: $passed passed, $failed failed, $skipped skipped"
    if ((code == 0 && failed > 0)); then code=1; fi
    exit "$code"
}
trap finish EXIT

if ! scripts/setup.sh --elasticsearch || ! scripts/setup-browser.sh \
        || ! scripts/install-compose.sh; then
    failed=$((failed + 1)) failures+=(setup)
    exit 1
fi
export PATH="$PWD/.venv/bin:$PATH"

if [[ -z ${STORYRECORDS_TEST_ELASTICSEARCH_URL:-} ]]; then
    echo "== starting Elasticsearch" >&2
    if ! url=$(scripts/elasticsearch.sh start); then
        echo "FAIL: Elasticsearch could not be started (see above); its backend tests cannot run" >&2
        failed=$((failed + 1)) failures+=(elasticsearch)
        exit 1
    fi
    started_es=1
    export STORYRECORDS_TEST_ELASTICSEARCH_URL="$url"
fi

step ruff ruff check api indexer tests
step mypy mypy
step "openapi.yaml matches the code" storyrecords openapi --check openapi.yaml
step "redocly lint (recommended rules)" node_modules/.bin/redocly lint --format=stylish openapi.yaml

echo "== pytest" >&2
pytest_ran=1
pytest -W error --junitxml="$results" "$@" || true

schemathesis() {  # the fuzzer, with its case count on a plain line of its own
    local log rc
    log=$(mktemp)
    scripts/schemathesis.sh 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    echo "schemathesis: $(grep -Eo '[0-9]+ generated(, [0-9]+ [a-z]+)*' "$log" | tail -1 || echo 'no cases counted')"
    rm -f "$log"
    return "$rc"
}
step schemathesis schemathesis
