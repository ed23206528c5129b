#!/usr/bin/env bash
# Fetch, cache, start, wait for and stop a real Elasticsearch for tests and CI.
#
# Why this exists: there is no Docker engine on our dev/CI machines, so we
# cannot use the official container image. Instead we use the minimal
# "integ-test-zip" distribution that Elastic publishes to Maven Central
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch:VERSION:zip),
# fetch it with Maven (or curl as fallback), cache it and run it on a system
# JDK 17+. Elasticsearch refuses to run as root, so when run as root the
# server is started as a dedicated system user.
#
# Usage: scripts/elasticsearch.sh start|stop|status
#
#   start   download (once) + unzip (once), start the server on
#           127.0.0.1:$STORYRECORDS_ES_PORT with an empty data dir (unless
#           something already answers there), wait until it is at least
#           yellow, and print its URL as the last line on stdout.
#   stop    stop the server started by this script; exit 0 if none running.
#   status  print the cluster health JSON, or exit 1 if nothing answers.
#
# Environment:
#   STORYRECORDS_ES_VERSION   Elasticsearch version          (default 8.19.9)
#   STORYRECORDS_ES_PORT      HTTP port on 127.0.0.1         (default 9200)
#   STORYRECORDS_ES_CACHE     download/unpack cache dir
#                             (default $HOME/.cache/storyrecords/elasticsearch)
#   STORYRECORDS_ES_TIMEOUT   seconds to wait for health     (default 120)
#   STORYRECORDS_ES_HEAP      JVM heap, used for -Xms/-Xmx   (default 512m)
#   STORYRECORDS_ES_USER      user to run as when root  (default storyrecords-es)
#   STORYRECORDS_ES_RUNTIME   base dir for the server's files when run as root
#                             and that user cannot reach the cache dir (e.g.
#                             it is under /root)  (default /var/lib/storyrecords-es)
#   ES_JAVA_HOME              JDK 17+ to use (default: JAVA_HOME, the `java`
#                             on PATH, or the newest JDK in /usr/lib/jvm)
set -euo pipefail

VERSION="${STORYRECORDS_ES_VERSION:-8.19.9}"
PORT="${STORYRECORDS_ES_PORT:-9200}"
CACHE="${STORYRECORDS_ES_CACHE:-${HOME:-/root}/.cache/storyrecords/elasticsearch}"
TIMEOUT="${STORYRECORDS_ES_TIMEOUT:-120}"
HEAP="${STORYRECORDS_ES_HEAP:-512m}"
ES_USER="${STORYRECORDS_ES_USER:-storyrecords-es}"
ALT_BASE="${STORYRECORDS_ES_RUNTIME:-/var/lib/storyrecords-es}"
CLUSTER_NAME="storyrecords-test"
GROUP_ID="org.elasticsearch.distribution.integ-test-zip"
URL="http://127.0.0.1:${PORT}"
ZIP="${CACHE}/elasticsearch-${VERSION}.zip"
DIST="${CACHE}/elasticsearch-${VERSION}"

log() { printf 'elasticsearch.sh: %s\n' "$*" >&2; }
die() { printf 'elasticsearch.sh: ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

case "$PORT" in '' | *[!0-9]*) die "STORYRECORDS_ES_PORT must be a number, got '$PORT'" ;; esac
case "$TIMEOUT" in '' | *[!0-9]*) die "STORYRECORDS_ES_TIMEOUT must be a number, got '$TIMEOUT'" ;; esac
command -v curl >/dev/null 2>&1 || die "curl is required but not installed"

# --- helpers -----------------------------------------------------------------

# Print cluster health (yellow or better) and succeed, or fail.
health() {
    curl -fsS -m 5 "${URL}/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null
}

# Does an Elasticsearch (any status) answer on the port? (Checks the response
# header: the minimal distribution has no `GET /` handler, it lives in the
# rest-root module.)
es_answers() {
    local headers
    headers="$(curl -sS -m 5 -o /dev/null -D - "${URL}/_cluster/health" 2>/dev/null)" || return 1
    grep -qi '^x-elastic-product: *Elasticsearch' <<<"$headers"
}

# Does anything at all answer HTTP on the port?
http_answers() {
    curl -sS -m 5 -o /dev/null "${URL}/" 2>/dev/null
}

# Take an exclusive lock (shared by all commands using this cache) so that
# parallel `start`s don't download/unzip/start concurrently.
take_lock() {
    mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"${CACHE}/.lock"
        flock -w 900 9 || die "timed out waiting for lock ${CACHE}/.lock"
    fi
}

# Major version of the java in JDK dir $1, or nothing.
java_major() {
    local v
    [ -x "$1/bin/java" ] || return 0
    v="$("$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')" || true
    case "$v" in
        1.*) v="${v#1.}"; printf '%s\n' "${v%%.*}" ;;
        '') ;;
        *) v="${v%%.*}"; printf '%s\n' "${v%%[!0-9]*}" ;;
    esac
}

find_java() {
    local cand major java_bin
    if [ -n "${ES_JAVA_HOME:-}" ]; then
        major="$(java_major "$ES_JAVA_HOME")"
        [ -n "$major" ] || die "ES_JAVA_HOME=$ES_JAVA_HOME does not contain a working bin/java"
        [ "$major" -ge 17 ] || die "ES_JAVA_HOME=$ES_JAVA_HOME is Java $major; Elasticsearch $VERSION needs Java 17+"
        printf '%s\n' "$ES_JAVA_HOME"
        return
    fi
    local -a cands=()
    [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
    if java_bin="$(command -v java 2>/dev/null)"; then
        java_bin="$(readlink -f "$java_bin")"
        cands+=("$(dirname "$(dirname "$java_bin")")")
    fi
    if [ -d /usr/lib/jvm ]; then
        while IFS= read -r cand; do cands+=("$cand"); done \
            < <(find /usr/lib/jvm -mindepth 1 -maxdepth 1 -type d | sort -V -r)
    fi
    for cand in "${cands[@]}"; do
        major="$(java_major "$cand")"
        if [ -n "$major" ] && [ "$major" -ge 17 ]; then
            printf '%s\n' "$cand"
            return
        fi
    done
    die "java missing: no JDK 17+ found (checked JAVA_HOME, java on PATH, /usr/lib/jvm/*); install one (e.g. apt-get install -y openjdk-17-jre-headless) or set ES_JAVA_HOME"
}

fetch_zip() {
    [ -s "$ZIP" ] && return 0
    local tmp out url
    tmp="$(mktemp -d "${CACHE}/.download.XXXXXX")"
    out="${tmp}/elasticsearch-${VERSION}.zip"
    url="https://repo1.maven.org/maven2/${GROUP_ID//.//}/elasticsearch/${VERSION}/elasticsearch-${VERSION}.zip"
    if command -v mvn >/dev/null 2>&1; then
        log "downloading Elasticsearch $VERSION from Maven Central via mvn ..."
        if ! mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
            "-Dartifact=${GROUP_ID}:elasticsearch:${VERSION}:zip" \
            "-DoutputDirectory=${tmp}" >"${tmp}/mvn.log" 2>&1; then
            tail -n 40 "${tmp}/mvn.log" >&2 || true
            log "mvn failed (output above); trying a direct download of $url with curl ..."
            if ! curl -fsSL --retry 3 -o "$out" "$url"; then
                rm -rf "$tmp"
                die "mvn failed to fetch ${GROUP_ID}:elasticsearch:${VERSION}:zip (output above) and so did curl; does that version exist on Maven Central? network?"
            fi
        fi
    else
        log "mvn not found; downloading $url with curl ..."
        if ! curl -fsSL --retry 3 -o "$out" "$url"; then
            rm -rf "$tmp"
            die "download failed: $url (no mvn on PATH, curl failed)"
        fi
    fi
    [ -s "$out" ] || { rm -rf "$tmp"; die "download produced no elasticsearch-${VERSION}.zip"; }
    mv -f "$out" "$ZIP"
    rm -rf "$tmp"
}

unpack() {
    [ -x "${DIST}/bin/elasticsearch" ] && return 0
    local tmp
    tmp="$(mktemp -d "${CACHE}/.unpack.XXXXXX")"
    log "unpacking $ZIP ..."
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "$ZIP" -d "$tmp" || { rm -rf "$tmp" "$ZIP"; die "corrupt download $ZIP (deleted it; run again)"; }
    elif command -v python3 >/dev/null 2>&1; then
        python3 -m zipfile -e "$ZIP" "$tmp" || { rm -rf "$tmp" "$ZIP"; die "corrupt download $ZIP (deleted it; run again)"; }
        chmod +x "${tmp}/elasticsearch-${VERSION}/bin/"*
    else
        rm -rf "$tmp"
        die "need unzip (apt-get install -y unzip) or python3 to unpack $ZIP"
    fi
    [ -x "${tmp}/elasticsearch-${VERSION}/bin/elasticsearch" ] || { rm -rf "$tmp"; die "unexpected zip layout in $ZIP"; }
    rm -rf "$DIST"
    mv "${tmp}/elasticsearch-${VERSION}" "$DIST"
    rm -rf "$tmp"
}

ensure_user() {
    id -u "$ES_USER" >/dev/null 2>&1 && return 0
    log "creating system user $ES_USER ..."
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER" \
        || die "could not create system user $ES_USER (Elasticsearch refuses to run as root)"
}

# Run a command as the server user (or as ourselves when not root).
as_es() {
    if is_root; then
        runuser -u "$ES_USER" -- "$@"
    else
        "$@"
    fi
}

# Base directory holding the server's home and run dirs. Normally the cache
# dir; when root and the server user cannot reach it (e.g. under /root, mode
# 700) a copy of the distribution is kept in $ALT_BASE instead.
runtime_base() {
    if is_root && ! runuser -u "$ES_USER" -- test -r "${DIST}/bin/elasticsearch" 2>/dev/null; then
        printf '%s\n' "$ALT_BASE"
    else
        printf '%s\n' "$CACHE"
    fi
}

# Candidate pidfiles (both bases, so `stop` works whichever was used).
pidfiles() {
    printf '%s\n' "${CACHE}/run-${PORT}/es.pid"
    if is_root && [ "$ALT_BASE" != "$CACHE" ]; then
        printf '%s\n' "${ALT_BASE}/run-${PORT}/es.pid"
    fi
}

# Pid from pidfile $1 if it is a live Elasticsearch process.
live_pid() {
    local pid
    [ -s "$1" ] || return 1
    pid="$(tr -dc '0-9' <"$1")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/cmdline" ]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'org.elasticsearch' || return 1
    fi
    printf '%s\n' "$pid"
}

stop_pid() {
    local pid="$1" i
    log "stopping Elasticsearch (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 600; i++)); do # up to 60 s
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "pid $pid did not exit after 60 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    die "could not stop pid $pid"
}

show_logs() {
    local run="$1" f
    for f in "${run}/console.log" "${run}/logs/${CLUSTER_NAME}.log"; do
        if [ -s "$f" ]; then
            printf -- '----- last 40 lines of %s -----\n' "$f" >&2
            tail -n 40 "$f" >&2 || true
        fi
    done
}

wait_healthy() {
    # $1: pid to watch (may be empty), $2: run dir (for logs), $3: deadline (epoch s)
    local pid="$1" run="$2" deadline="$3"
    while :; do
        if health >/dev/null; then return 0; fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            show_logs "$run"
            die "Elasticsearch process died during startup (pid $pid); see log above"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            if [ -n "$run" ]; then show_logs "$run"; fi
            if [ -n "$pid" ]; then stop_pid "$pid"; fi
            die "Elasticsearch at $URL not healthy (yellow) within ${TIMEOUT}s"
        fi
        sleep 1
    done
}

# --- commands ----------------------------------------------------------------

cmd_start() {
    local start_ts deadline f pid
    start_ts="$(date +%s)"
    deadline=$((start_ts + TIMEOUT))
    take_lock

    if es_answers; then
        log "an Elasticsearch already answers at $URL; reusing it (data NOT wiped)"
        wait_healthy "" "" "$deadline"
        printf '%s\n' "$URL"
        return 0
    elif http_answers; then
        die "something that is not Elasticsearch answers at $URL; set STORYRECORDS_ES_PORT to a free port"
    fi

    # A process of ours that doesn't answer (hung / half started): replace it.
    while IFS= read -r f; do
        if pid="$(live_pid "$f")"; then
            log "our previous server (pid $pid) does not answer; restarting it"
            stop_pid "$pid"
        fi
    done < <(pidfiles)

    local java_home
    java_home="$(find_java)"
    fetch_zip
    unpack

    local base home run
    if is_root; then
        ensure_user
        base="$(runtime_base)"
    else
        base="$CACHE"
    fi
    if [ "$base" = "$CACHE" ]; then
        home="$DIST"
    else
        # Server user can't reach the cache: keep a readable copy of the dist.
        home="${base}/elasticsearch-${VERSION}"
        if [ ! -x "${home}/bin/elasticsearch" ]; then
            log "copying distribution to $home (user $ES_USER cannot read $CACHE)"
            mkdir -p "$base"
            chmod 755 "$base"
            rm -rf "${home}.tmp"
            cp -a "$DIST" "${home}.tmp"
            chmod -R a+rX "${home}.tmp"
            mv "${home}.tmp" "$home"
        fi
    fi
    if is_root && ! runuser -u "$ES_USER" -- "${java_home}/bin/java" -version >/dev/null 2>&1; then
        die "java missing for user $ES_USER: cannot run ${java_home}/bin/java as that user; set ES_JAVA_HOME to a JDK 17+ it can read"
    fi

    # Fresh run dir: empty data, logs, config copy (keystore gets created there).
    run="${base}/run-${PORT}"
    rm -rf "$run"
    mkdir -p "${run}/data" "${run}/logs" "${run}/tmp"
    cp -a "${home}/config" "${run}/config"
    if is_root; then
        chown -R "${ES_USER}:" "$run"
    fi

    log "starting Elasticsearch $VERSION on $URL (java: $java_home, home: $home, run dir: $run)"
    local rc=0
    (
        cd "$run" # jvm.options writes gc.log / hs_err files relative to cwd
        ulimit -n 65535 2>/dev/null || true # avoids a bootstrap-check warning
        as_es env -u JAVA_HOME \
            ES_JAVA_HOME="$java_home" \
            ES_JAVA_OPTS="-Xms${HEAP} -Xmx${HEAP}" \
            ES_PATH_CONF="${run}/config" \
            ES_TMPDIR="${run}/tmp" \
            timeout "$TIMEOUT" "${home}/bin/elasticsearch" -d -p "${run}/es.pid" \
            -E discovery.type=single-node \
            -E network.host=127.0.0.1 \
            -E http.port="$PORT" \
            -E cluster.name="$CLUSTER_NAME" \
            -E path.data="${run}/data" \
            -E path.logs="${run}/logs" \
            -E xpack.security.enabled=false \
            -E cluster.routing.allocation.disk.threshold_enabled=false \
            -E action.destructive_requires_name=false \
            </dev/null >"${run}/console.log" 2>&1 9>&- # don't leak the lock fd
    ) || rc=$?
    if [ "$rc" -ne 0 ]; then
        show_logs "$run"
        if [ "$rc" -eq 124 ]; then
            pid="$(live_pid "${run}/es.pid")" && stop_pid "$pid"
            die "Elasticsearch did not finish starting within ${TIMEOUT}s; see log above"
        fi
        die "Elasticsearch process died during startup (launcher exit code $rc); see log above"
    fi
    pid="$(live_pid "${run}/es.pid")" || {
        show_logs "$run"
        die "Elasticsearch process died right after startup (no live pid in ${run}/es.pid); see log above"
    }

    wait_healthy "$pid" "$run" "$deadline"
    log "Elasticsearch is up (pid $pid) after $(($(date +%s) - start_ts))s"
    printf '%s\n' "$URL"
}

cmd_stop() {
    local f pid stopped=0
    take_lock
    while IFS= read -r f; do
        if pid="$(live_pid "$f")"; then
            stop_pid "$pid"
            stopped=1
        fi
        rm -f "$f" 2>/dev/null || true
    done < <(pidfiles)
    if [ "$stopped" -eq 0 ]; then
        if es_answers; then
            log "not stopping the Elasticsearch at $URL: it was not started by this script"
        else
            log "no Elasticsearch started by this script is running"
        fi
    else
        log "stopped"
    fi
}

cmd_status() {
    local out
    if out="$(curl -fsS -m 5 "${URL}/_cluster/health" 2>/dev/null)"; then
        printf '%s\n' "$out"
    else
        echo "Elasticsearch is not running at $URL"
        exit 1
    fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
