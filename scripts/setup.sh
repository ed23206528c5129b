#!/usr/bin/env bash
# Install what the project needs on a fresh Debian machine, then a virtualenv in .venv with the
# project and its dev tools, exactly as pinned (with hashes) in requirements/dev.txt.
# Safe to run again (it is quick then).
#
#   scripts/setup.sh                  the service and its tests' Python tools (no Java)
#   scripts/setup.sh --elasticsearch  also Java and Maven, to run a local Elasticsearch
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(curl)
if [[ ${1:-} == --elasticsearch ]]; then
    tools+=(java mvn unzip)
    tools+=(redis-server)  # the test run: rate limits shared by two workers (tests/e2e)
fi
need=()
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing ${need[*]}; install them (as root: apt-get install curl unzip openjdk-17-jre-headless maven)" >&2
        exit 1
    fi
    pkgs=()
    for tool in "${need[@]}"; do
        case "$tool" in
            java) pkgs+=(openjdk-17-jre-headless) ;;
            mvn) pkgs+=(maven) ;;
            *) pkgs+=("$tool") ;;
        esac
    done
    echo "setup: installing ${pkgs[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp || requirements/dev.txt -nt $stamp ]]; then
    pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
    # --no-deps: the lock is complete (uv resolved it, extras included), so pip only installs
    # it. Resolving again let pip 23 take a dependency's extra (weasel's smart-open[http]) as
    # an unpinned requirement and refuse the whole install once a newer release came out.
    "${pip[@]}" --require-hashes --no-deps -r requirements/build.txt
    "${pip[@]}" --require-hashes --no-deps -r requirements/dev.txt
    .venv/bin/python -m pip check  # ...and what it installed must still fit together
    # The project itself: its dependencies are all in the lock already.
    "${pip[@]}" --no-deps --no-build-isolation -e .
    touch "$stamp"
fi
echo "setup: ready (.venv)" >&2
