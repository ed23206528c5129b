#!/usr/bin/env bash
# Install Docker Compose v2 (the `docker compose` CLI plugin) when it is missing, so that
# tests/test_deploy_files.py can check docker-compose.yml with `docker compose config` (CI
# needs it; no Docker engine is needed for that).
#
# Why it is built from source: our machines reach the Go module proxy but not Docker's download
# site, and no package registry we reach ships Docker's own compose binary. Compose is a Go
# module (github.com/docker/compose/v2), so it is fetched through the proxy (checked against
# go.sum like any module) and built as the main module, whose go.mod (with its exclude and
# replace directives, which `go install pkg@version` refuses) then applies.
#
# Usage: scripts/install-compose.sh     (safe to run again: quick when compose is there)
#
# Environment:
#   STORYRECORDS_COMPOSE_VERSION  compose version to build   (default v2.40.3)
#   STORYRECORDS_COMPOSE_DIR      where the plugin goes       (default: /usr/local/lib/docker/
#                                 cli-plugins as root, else ~/.docker/cli-plugins)
# Needs Go 1.21+ (on PATH or in /usr/local/go); a newer toolchain, if go.mod asks for one, comes
# through the same proxy. Takes about 5 minutes of CPU and 1.5 GB of module and build caches
# the first time (the caches are Go's usual ones, so a second build is quick).
set -euo pipefail

VERSION="${STORYRECORDS_COMPOSE_VERSION:-v2.40.3}"
if [[ $(id -u) -eq 0 ]]; then
    DEST="${STORYRECORDS_COMPOSE_DIR:-/usr/local/lib/docker/cli-plugins}"
else
    DEST="${STORYRECORDS_COMPOSE_DIR:-${HOME}/.docker/cli-plugins}"
fi

log() { printf 'install-compose.sh: %s\n' "$*" >&2; }
die() { printf 'install-compose.sh: ERROR: %s\n' "$*" >&2; exit 1; }

have_compose() {
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        return 0
    fi
    [[ -x ${DEST}/docker-compose ]] && "${DEST}/docker-compose" version 2>/dev/null | grep -q "${VERSION}"
}

if have_compose; then
    log "docker compose is installed"
    exit 0
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || die "Go 1.21+ is needed to build docker compose (not found on PATH or in /usr/local/go)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-buildvcs=false GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

log "fetching github.com/docker/compose/v2@${VERSION} through the Go module proxy ..."
module_dir="$(go mod download -json "github.com/docker/compose/v2@${VERSION}" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n $module_dir && -f ${module_dir}/go.mod ]] || die "go mod download gave no module directory"
cp -r "$module_dir" "${work}/src"
chmod -R u+w "${work}/src"

log "building docker compose ${VERSION} (a few minutes the first time) ..."
(
    cd "${work}/src"
    go build -trimpath \
        -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=${VERSION}" \
        -o "${work}/docker-compose" ./cmd
)
mkdir -p "$DEST"
install -m 0755 "${work}/docker-compose" "${DEST}/docker-compose"
if ! command -v docker >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    # No docker CLI to carry the plugin: the same binary works standalone as docker-compose.
    ln -sf "${DEST}/docker-compose" /usr/local/bin/docker-compose
fi
"${DEST}/docker-compose" version >&2
log "installed ${DEST}/docker-compose"
