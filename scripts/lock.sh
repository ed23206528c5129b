#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml: every package pinned with its hashes.
#   requirements/runtime.txt  what the service needs (the Dockerfile installs exactly this)
#   requirements/dev.txt      runtime + test and lint tools (scripts/setup.sh installs this)
#   requirements/build.txt    the build backend (setuptools), for builds without isolation
# Run after changing dependencies in pyproject.toml; commit the three files.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=".venv/bin/uv"
[[ -x $uv ]] || { .venv/bin/python -m pip install -q "uv>=0.9,<1"; }
common=(--python-version 3.11 --generate-hashes --no-header --quiet)
"$uv" pip compile pyproject.toml "${common[@]}" -o requirements/runtime.txt
"$uv" pip compile pyproject.toml --extra dev "${common[@]}" -o requirements/dev.txt
printf 'setuptools==80.9.0\n' | "$uv" pip compile - "${common[@]}" -o requirements/build.txt
echo "lock: requirements/{runtime,dev,build}.txt refreshed" >&2
