#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine: system packages, then a
# virtualenv in .venv with the project and its dev tools. Safe to run again (it is quick then).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in curl unzip java mvn; do
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
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch "$stamp"
fi
echo "setup: ready (.venv)" >&2
