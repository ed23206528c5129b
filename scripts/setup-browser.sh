#!/usr/bin/env bash
# What the browser test (tests/browser/) and the contract lint need beyond scripts/setup.sh:
# Debian's Chromium (/usr/bin/chromium, driven by playwright-core; no browser download) and the
# npm tools pinned in package-lock.json (npm ci). Safe to run again: quick when nothing changed.
# Not needed by the quick start (scripts/run.sh).
#
# Environment:
#   STORYRECORDS_CHROMIUM   the Chromium binary the test uses  (default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${STORYRECORDS_CHROMIUM:-/usr/bin/chromium}"
log() { printf 'setup-browser: %s\n' "$*" >&2; }
die() { printf 'setup-browser: ERROR: %s\n' "$*" >&2; exit 1; }

if [[ ! -x $CHROMIUM ]]; then
    if [[ $CHROMIUM != /usr/bin/chromium ]]; then
        die "STORYRECORDS_CHROMIUM=$CHROMIUM is not an executable"
    fi
    if [[ $(id -u) -ne 0 ]]; then
        die "Chromium is missing; install it as root: apt-get install chromium"
    fi
    command -v apt-get >/dev/null 2>&1 || die "Chromium is missing and there is no apt-get to install it"
    log "installing chromium with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    [[ -x $CHROMIUM ]] || die "apt-get installed chromium but $CHROMIUM is still missing"
fi

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    || die "node and npm are required (Node.js >= 20.19; Debian's own nodejs is too old)"
node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    if (major < 20 || (major === 20 && minor < 19)) {
        console.error(`setup-browser: ERROR: Node.js >= 20.19 needed, this is ${process.version}`);
        process.exit(1);
    }'

# npm ci when node_modules is missing or older than the lock file (or package.json).
stamp=node_modules/.setup-browser-stamp
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
    log "npm ci (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
fi
log "ready ($("$CHROMIUM" --version 2>/dev/null), node $(node --version))"
