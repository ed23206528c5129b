#!/usr/bin/env bash
# Fetch, cache, start, wait for, break and stop real Elasticsearch servers for tests and CI.
#
# Why this exists: there is no Docker engine on our dev/CI machines, so we
# cannot use the official container image. Instead we use the minimal
# "integ-test-zip" distribution that Elastic publishes to Maven Central
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch:VERSION:zip),
# fetch it with Maven (or curl as fallback), cache it and run it on a system
# JDK 17+. Elasticsearch refuses to run as root, so when run as root the
# server is started as a dedicated system user.
#
# Usage: scripts/elasticsearch.sh start|stop|status|info|pid|kill|freeze|thaw|restart|destroy
#
#   start    download (once) + unzip (once), start the server on
#            127.0.0.1:$STORYRECORDS_ES_PORT, wait until it is at least
#            yellow, and print its URL on stdout (in secure mode a second
#            line follows: the CA certificate's path). The shared instance
#            (no STORYRECORDS_ES_INSTANCE / STORYRECORDS_ES_DATA) starts with
#            an empty data dir unless something already answers on the port;
#            a named instance keeps its data dir, certificates and port.
#   stop     stop the server (SIGTERM, waits); exit 0 if none running.
#   status   print the cluster health JSON, or exit 1 if nothing answers.
#   info     key=value lines: url, ca (secure only), pid (when running), dir, port, secure.
#   pid      the server's (java) pid, or exit 1 when it is not running.
#   kill     SIGKILL the server, as a crash would; the data dir stays.
#   freeze   SIGSTOP the server (it keeps its port but answers nothing).
#   thaw     SIGCONT a frozen server.
#   restart  stop (thawing it first if frozen) and start again, data kept
#            (for the shared instance: with an empty data dir, as `start`).
#   destroy  stop a named instance and delete its directory.
#
# Exit codes: 0 ok, 1 failure, 2 usage, 3 a prerequisite is missing (no JDK
# 17+, or the distribution cannot be downloaded) - the tests' fixtures skip
# on 3 locally and fail on it under CI.
#
# Environment:
#   STORYRECORDS_ES_VERSION   Elasticsearch version          (default 8.19.9)
#   STORYRECORDS_ES_PORT      HTTP port on 127.0.0.1         (default 9200, or the
#                             port a named instance last ran on)
#   STORYRECORDS_ES_INSTANCE  name of a private instance ([A-Za-z0-9_.-]+): its own
#                             directory under the runtime base (instances/NAME) whose
#                             data survives kill, restart and stop
#   STORYRECORDS_ES_DATA      or an explicit directory for such an instance (when run
#                             as root, user STORYRECORDS_ES_USER must be able to reach it)
#   STORYRECORDS_ES_SECURE    1: xpack security on, TLS on the HTTP layer with a CA and
#                             node certificate from bin/elasticsearch-certutil (made once
#                             per instance directory), user `elastic` (default 0)
#   STORYRECORDS_ES_PASSWORD  the `elastic` user's password in secure mode (required
#                             for start, >= 6 characters; set as bootstrap.password in
#                             the keystore; never put on a command line)
#   STORYRECORDS_ES_CACHE     download/unpack cache dir
#                             (default $HOME/.cache/storyrecords/elasticsearch)
#   STORYRECORDS_ES_TIMEOUT   seconds to wait for health     (default 120)
#   STORYRECORDS_ES_HEAP      JVM heap, used for -Xms/-Xmx   (default 512m)
#   STORYRECORDS_ES_USER      user to run as when root  (default storyrecords-es)
#   STORYRECORDS_ES_RUNTIME   base dir for the server's files when run as root
#                             and that user cannot reach the cache dir (e.g.
#                             it is under /root); named instances live here when
#                             root  (default /var/lib/storyrecords-es)
#   ES_JAVA_HOME              JDK 17+ to use (default: JAVA_HOME, the `java`
#                             on PATH, or the newest JDK in /usr/lib/jvm)
set -euo pipefail

VERSION="${STORYRECORDS_ES_VERSION:-8.19.9}"
CACHE="${STORYRECORDS_ES_CACHE:-${HOME:-/root}/.cache/storyrecords/elasticsearch}"
TIMEOUT="${STORYRECORDS_ES_TIMEOUT:-120}"
HEAP="${STORYRECORDS_ES_HEAP:-512m}"
ES_USER="${STORYRECORDS_ES_USER:-storyrecords-es}"
ALT_BASE="${STORYRECORDS_ES_RUNTIME:-/var/lib/storyrecords-es}"
INSTANCE="${STORYRECORDS_ES_INSTANCE:-}"
DATA="${STORYRECORDS_ES_DATA:-}"
PASSWORD="${STORYRECORDS_ES_PASSWORD:-}"
CLUSTER_NAME="storyrecords-test"
GROUP_ID="org.elasticsearch.distribution.integ-test-zip"
ZIP="${CACHE}/elasticsearch-${VERSION}.zip"
DIST="${CACHE}/elasticsearch-${VERSION}"

log() { printf 'elasticsearch.sh: %s\n' "$*" >&2; }
die() { printf 'elasticsearch.sh: ERROR: %s\n' "$*" >&2; exit 1; }
# A missing prerequisite rather than a broken server: exit 3 (see the header).
die_prereq() { printf 'elasticsearch.sh: ERROR: %s\n' "$*" >&2; exit 3; }

is_root() { [ "$(id -u)" -eq 0 ]; }

command -v curl >/dev/null 2>&1 || die_prereq "curl is required but not installed"
case "$TIMEOUT" in '' | *[!0-9]*) die "STORYRECORDS_ES_TIMEOUT must be a number, got '$TIMEOUT'" ;; esac

# --- which instance ------------------------------------------------------------

# A named instance (or explicit data dir) is persistent; otherwise this is the shared,
# throw-away instance in run-PORT under the runtime base (decided once the dist exists).
PERSISTENT=0
IDIR=""
if [ -n "$DATA" ]; then
    case "$DATA" in /*) ;; *) DATA="$PWD/$DATA" ;; esac
    PERSISTENT=1
    IDIR="$DATA"
elif [ -n "$INSTANCE" ]; then
    case "$INSTANCE" in *[!A-Za-z0-9_.-]* | . | ..) die "STORYRECORDS_ES_INSTANCE must match [A-Za-z0-9_.-]+, got '$INSTANCE'" ;; esac
    PERSISTENT=1
    if is_root; then IDIR="${ALT_BASE}/instances/${INSTANCE}"; else IDIR="${CACHE}/instances/${INSTANCE}"; fi
fi

# A persistent instance remembers its port and mode; the environment overrides them.
saved_port=""
saved_secure=""
if ((PERSISTENT)) && [ -s "${IDIR}/instance.env" ]; then
    saved_port="$(sed -n 's/^port=//p' "${IDIR}/instance.env")"
    saved_secure="$(sed -n 's/^secure=//p' "${IDIR}/instance.env")"
fi
PORT="${STORYRECORDS_ES_PORT:-${saved_port:-9200}}"
SECURE="${STORYRECORDS_ES_SECURE:-${saved_secure:-0}}"
case "$PORT" in '' | *[!0-9]*) die "STORYRECORDS_ES_PORT must be a number, got '$PORT'" ;; esac
case "$SECURE" in 1 | true | yes) SECURE=1 ;; 0 | false | no | '') SECURE=0 ;; *) die "STORYRECORDS_ES_SECURE must be 0 or 1, got '$SECURE'" ;; esac

if ((SECURE)); then URL="https://127.0.0.1:${PORT}"; else URL="http://127.0.0.1:${PORT}"; fi

# The shared instance lives in run-PORT under a base chosen after unpacking (start sets
# IDIR); the other commands find the dir it ran in last.
if ((!PERSISTENT)); then
    for cand in "${CACHE}/run-${PORT}" "${ALT_BASE}/run-${PORT}"; do
        if [ -d "$cand" ]; then IDIR="$cand"; break; fi
    done
    LOCKFILE="${CACHE}/.lock-run-${PORT}"
else
    LOCKFILE="${IDIR}.lock"
fi

# --- helpers -----------------------------------------------------------------

ca_path() { printf '%s\n' "${IDIR}/config/certs/ca/ca.crt"; }

# curl the server: in secure mode with the CA and, when known, the elastic user's password
# (handed to curl on stdin, so it never shows in `ps`). Extra arguments go to curl.
es_curl() {
    if ((SECURE)); then
        local -a args=(--cacert "$(ca_path)")
        if [ -n "$PASSWORD" ]; then
            local escaped="${PASSWORD//\\/\\\\}"
            escaped="${escaped//\"/\\\"}"
            printf 'user = "elastic:%s"\n' "$escaped" | curl -K - "${args[@]}" "$@"
        else
            curl "${args[@]}" "$@"
        fi
    else
        curl "$@"
    fi
}

# Print cluster health (yellow or better) and succeed, or fail.
health() {
    es_curl -fsS -m 5 "${URL}/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null
}

# Does an Elasticsearch (any status, even a 401 without a password) answer on the port?
# (Checks the response header: the minimal distribution has no `GET /` handler, it lives
# in the rest-root module.)
es_answers() {
    local headers
    headers="$(es_curl -sS -m 5 -o /dev/null -D - "${URL}/_cluster/health" 2>/dev/null)" || return 1
    grep -qi '^x-elastic-product: *Elasticsearch' <<<"$headers"
}

# Does anything at all answer on the port (HTTP or TLS)?
http_answers() {
    curl -sS -m 5 -o /dev/null "http://127.0.0.1:${PORT}/" 2>/dev/null \
        || curl -ksS -m 5 -o /dev/null "https://127.0.0.1:${PORT}/" 2>/dev/null
}

# Take an exclusive lock on file $1 (fd 9): parallel runs of this script must not download,
# unzip or start the same instance concurrently.
take_lock() {
    mkdir -p "$(dirname "$1")" || die "cannot create $(dirname "$1")"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$1"
        flock -w 900 9 || die "timed out waiting for lock $1"
    fi
}
drop_lock() { exec 9>&-; }

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
        [ -n "$major" ] || die_prereq "ES_JAVA_HOME=$ES_JAVA_HOME does not contain a working bin/java"
        [ "$major" -ge 17 ] || die_prereq "ES_JAVA_HOME=$ES_JAVA_HOME is Java $major; Elasticsearch $VERSION needs Java 17+"
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
    die_prereq "java missing: no JDK 17+ found (checked JAVA_HOME, java on PATH, /usr/lib/jvm/*); install one (e.g. apt-get install -y openjdk-17-jre-headless) or set ES_JAVA_HOME"
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
                die_prereq "mvn failed to fetch ${GROUP_ID}:elasticsearch:${VERSION}:zip (output above) and so did curl; does that version exist on Maven Central? network?"
            fi
        fi
    else
        log "mvn not found; downloading $url with curl ..."
        if ! curl -fsSL --retry 3 -o "$out" "$url"; then
            rm -rf "$tmp"
            die_prereq "download failed: $url (no mvn on PATH, curl failed)"
        fi
    fi
    [ -s "$out" ] || { rm -rf "$tmp"; die_prereq "download produced no elasticsearch-${VERSION}.zip"; }
    mv -f "$out" "$ZIP"
    rm -rf "$tmp"
}

# Unzip archive $1 into dir $2 (unzip, or Python's zipfile where unzip is missing).
extract_zip() {
    if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$1" -d "$2"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -m zipfile -e "$1" "$2"
    else
        die_prereq "need unzip (apt-get install -y unzip) or python3 to unpack $1"
    fi
}

unpack() {
    [ -x "${DIST}/bin/elasticsearch" ] && return 0
    local tmp
    tmp="$(mktemp -d "${CACHE}/.unpack.XXXXXX")"
    log "unpacking $ZIP ..."
    extract_zip "$ZIP" "$tmp" || { rm -rf "$tmp" "$ZIP"; die "corrupt download $ZIP (deleted it; run again)"; }
    chmod +x "${tmp}/elasticsearch-${VERSION}/bin/"* 2>/dev/null || true
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

# Candidate pidfiles (for the shared instance: both bases, so `stop` works whichever was used).
pidfiles() {
    if ((PERSISTENT)); then
        printf '%s\n' "${IDIR}/es.pid"
        return
    fi
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
    [ -n "$pid" ] && alive "$pid" || return 1
    if [ -r "/proc/$pid/cmdline" ]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'org.elasticsearch' || return 1
    fi
    printf '%s\n' "$pid"
}

# The live server pid of this instance, or fail.
current_pid() {
    local f pid
    while IFS= read -r f; do
        if pid="$(live_pid "$f")"; then
            printf '%s\n' "$pid"
            return 0
        fi
    done < <(pidfiles)
    return 1
}

# Is pid $1 alive? A zombie is not: where PID 1 does not reap orphans (some containers),
# a killed server stays a zombie and kill -0 alone would wait for it forever.
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [ -r "/proc/$1/stat" ] || return 0
    [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)" != Z ]
}

# Wait until pid $1 is gone, up to $2 tenths of a second.
wait_gone() {
    local i
    for ((i = 0; i < $2; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

stop_pid() {
    local pid="$1"
    log "stopping Elasticsearch (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || return 0
    kill -CONT "$pid" 2>/dev/null || true # a frozen server only acts on SIGTERM once thawed
    wait_gone "$pid" 600 && return 0 # up to 60 s
    log "pid $pid did not exit after 60 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 100 || die "could not stop pid $pid"
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
        if [ -n "$pid" ] && ! alive "$pid"; then
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

# What `start` prints: the URL, then in secure mode the CA certificate's path.
print_endpoint() {
    printf '%s\n' "$URL"
    if ((SECURE)); then ca_path; fi
}

# Run one of the distribution's CLI tools ($2...) from home $1 with this instance's config
# dir. They run as the caller (root may run them); the instance dir is handed to the server
# user afterwards.
es_tool() {
    local home="$1" tool="$2"
    shift 2
    env -u JAVA_HOME ES_JAVA_HOME="$JAVA_HOME_ES" ES_PATH_CONF="${IDIR}/config" \
        "${home}/bin/${tool}" "$@"
}

# Secure mode: a CA and a node certificate for 127.0.0.1/localhost, made once per instance
# dir (kept across restarts so clients keep trusting the same CA), and the elastic user's
# bootstrap password written into a fresh keystore on every start (never on a command line).
prepare_security() {
    local home="$1" certs="${IDIR}/config/certs"
    if [ ! -s "${certs}/node/node.crt" ] || [ ! -s "${certs}/ca/ca.crt" ]; then
        log "making a CA and node certificate with elasticsearch-certutil ..."
        rm -rf "$certs"
        mkdir -p "$certs"
        es_tool "$home" elasticsearch-certutil ca --pem --silent --days 3650 \
            --out "${certs}/ca.zip" </dev/null >/dev/null || die "elasticsearch-certutil ca failed"
        extract_zip "${certs}/ca.zip" "$certs" || die "cannot unpack ${certs}/ca.zip"
        es_tool "$home" elasticsearch-certutil cert --pem --silent --days 3650 \
            --ca-cert "${certs}/ca/ca.crt" --ca-key "${certs}/ca/ca.key" --name node \
            --dns localhost --ip 127.0.0.1 --ip ::1 \
            --out "${certs}/node.zip" </dev/null >/dev/null || die "elasticsearch-certutil cert failed"
        extract_zip "${certs}/node.zip" "$certs" || die "cannot unpack ${certs}/node.zip"
        rm -f "${certs}/ca.zip" "${certs}/node.zip" "${certs}/ca/ca.key.tmp"
        # Clients (perhaps another user than the server's) read the CA; keys stay private.
        chmod 755 "$certs" "${certs}/ca" "${certs}/node"
        chmod 644 "${certs}/ca/ca.crt" "${certs}/node/node.crt"
        chmod 600 "${certs}/ca/ca.key" "${certs}/node/node.key"
    fi
    rm -f "${IDIR}/config/elasticsearch.keystore"
    es_tool "$home" elasticsearch-keystore create </dev/null >/dev/null || die "elasticsearch-keystore create failed"
    printf '%s' "$PASSWORD" | es_tool "$home" elasticsearch-keystore add -x bootstrap.password >/dev/null \
        || die "elasticsearch-keystore add bootstrap.password failed"
}

# --- commands ----------------------------------------------------------------

cmd_start() {
    local start_ts deadline pid
    start_ts="$(date +%s)"
    deadline=$((start_ts + TIMEOUT))
    if ((SECURE)); then
        [ -n "$PASSWORD" ] || die "STORYRECORDS_ES_SECURE=1 needs STORYRECORDS_ES_PASSWORD (the elastic user's password)"
        [ "${#PASSWORD}" -ge 6 ] || die "STORYRECORDS_ES_PASSWORD must be at least 6 characters"
    fi
    take_lock "$LOCKFILE"

    if ((PERSISTENT)); then
        if pid="$(current_pid)"; then
            if health >/dev/null; then
                log "instance ${IDIR} already runs (pid $pid) at $URL; reusing it"
                print_endpoint
                return 0
            fi
            log "instance ${IDIR} (pid $pid) does not answer (frozen or hung); restarting it, data kept"
            stop_pid "$pid"
        fi
        if es_answers || http_answers; then
            die "another server answers on port $PORT; choose a free STORYRECORDS_ES_PORT for instance ${IDIR}"
        fi
    else
        if es_answers; then
            log "an Elasticsearch already answers at $URL; reusing it (data NOT wiped)"
            wait_healthy "" "" "$deadline"
            print_endpoint
            return 0
        elif http_answers; then
            die "something that is not Elasticsearch answers at $URL; set STORYRECORDS_ES_PORT to a free port"
        fi
        # A process of ours that doesn't answer (hung / half started): replace it.
        if pid="$(current_pid)"; then
            log "our previous server (pid $pid) does not answer; restarting it"
            stop_pid "$pid"
        fi
    fi

    JAVA_HOME_ES="$(find_java)"
    local java_home="$JAVA_HOME_ES"

    # The distribution is shared by every instance: download, unpack and copy it under the
    # cache-wide lock, then go back to this instance's own lock.
    local base home
    drop_lock
    take_lock "${CACHE}/.lock"
    fetch_zip
    unpack
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
    drop_lock
    take_lock "$LOCKFILE"
    if is_root && ! runuser -u "$ES_USER" -- "${java_home}/bin/java" -version >/dev/null 2>&1; then
        die_prereq "java missing for user $ES_USER: cannot run ${java_home}/bin/java as that user; set ES_JAVA_HOME to a JDK 17+ it can read"
    fi

    if ((PERSISTENT)); then
        # Keep data, logs, config (and certificates) of an existing instance dir.
        if is_root; then
            mkdir -p "$(dirname "$IDIR")"
            chmod 755 "$(dirname "$IDIR")" 2>/dev/null || true
        fi
        mkdir -p "${IDIR}/data" "${IDIR}/logs" "${IDIR}/tmp"
        [ -d "${IDIR}/config" ] || cp -a "${home}/config" "${IDIR}/config"
    else
        # Fresh run dir: empty data, logs, config copy (keystore gets created there).
        IDIR="${base}/run-${PORT}"
        rm -rf "$IDIR"
        mkdir -p "${IDIR}/data" "${IDIR}/logs" "${IDIR}/tmp"
        cp -a "${home}/config" "${IDIR}/config"
    fi
    if ((SECURE)); then prepare_security "$home"; fi
    if is_root; then
        chown -R "${ES_USER}:" "$IDIR"
        runuser -u "$ES_USER" -- test -w "${IDIR}/data" \
            || die "user $ES_USER cannot write ${IDIR}/data (a parent dir is not reachable?); put STORYRECORDS_ES_DATA elsewhere"
    fi
    rm -f "${IDIR}/es.pid"

    local -a security=(-E xpack.security.enabled=false)
    if ((SECURE)); then
        security=(
            -E xpack.security.enabled=true
            -E xpack.security.http.ssl.enabled=true
            -E xpack.security.http.ssl.key=certs/node/node.key
            -E xpack.security.http.ssl.certificate=certs/node/node.crt
            -E xpack.security.http.ssl.certificate_authorities=certs/ca/ca.crt
            -E xpack.security.transport.ssl.enabled=false
        )
    fi
    if ((PERSISTENT)); then
        printf 'port=%s\nsecure=%s\n' "$PORT" "$SECURE" >"${IDIR}/instance.env"
    fi

    log "starting Elasticsearch $VERSION on $URL (java: $java_home, home: $home, dir: $IDIR)"
    local rc=0
    (
        cd "$IDIR" # jvm.options writes gc.log / hs_err files relative to cwd
        ulimit -n 65535 2>/dev/null || true # avoids a bootstrap-check warning
        as_es env -u JAVA_HOME \
            ES_JAVA_HOME="$java_home" \
            ES_JAVA_OPTS="-Xms${HEAP} -Xmx${HEAP}" \
            ES_PATH_CONF="${IDIR}/config" \
            ES_TMPDIR="${IDIR}/tmp" \
            timeout "$TIMEOUT" "${home}/bin/elasticsearch" -d -p "${IDIR}/es.pid" \
            -E discovery.type=single-node \
            -E network.host=127.0.0.1 \
            -E http.port="$PORT" \
            -E cluster.name="$CLUSTER_NAME" \
            -E path.data="${IDIR}/data" \
            -E path.logs="${IDIR}/logs" \
            "${security[@]}" \
            -E cluster.routing.allocation.disk.threshold_enabled=false \
            -E action.destructive_requires_name=false \
            </dev/null >"${IDIR}/console.log" 2>&1 9>&- # don't leak the lock fd
    ) || rc=$?
    if [ "$rc" -ne 0 ]; then
        show_logs "$IDIR"
        if [ "$rc" -eq 124 ]; then
            pid="$(live_pid "${IDIR}/es.pid")" && stop_pid "$pid"
            die "Elasticsearch did not finish starting within ${TIMEOUT}s; see log above"
        fi
        die "Elasticsearch process died during startup (launcher exit code $rc); see log above"
    fi
    pid="$(live_pid "${IDIR}/es.pid")" || {
        show_logs "$IDIR"
        die "Elasticsearch process died right after startup (no live pid in ${IDIR}/es.pid); see log above"
    }

    wait_healthy "$pid" "$IDIR" "$deadline"
    log "Elasticsearch is up (pid $pid) after $(($(date +%s) - start_ts))s"
    print_endpoint
}

cmd_stop() {
    local f pid stopped=0
    take_lock "$LOCKFILE"
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
    if out="$(es_curl -fsS -m 5 "${URL}/_cluster/health" 2>/dev/null)"; then
        printf '%s\n' "$out"
    elif es_answers; then
        echo "Elasticsearch answers at $URL but refuses the request (set STORYRECORDS_ES_PASSWORD?)"
        exit 1
    else
        echo "Elasticsearch is not running at $URL"
        exit 1
    fi
}

cmd_info() {
    local pid
    printf 'url=%s\n' "$URL"
    if ((SECURE)) && [ -n "$IDIR" ]; then printf 'ca=%s\n' "$(ca_path)"; fi
    if pid="$(current_pid)"; then printf 'pid=%s\n' "$pid"; fi
    printf 'dir=%s\nport=%s\nsecure=%s\n' "$IDIR" "$PORT" "$SECURE"
}

cmd_pid() {
    current_pid || { log "not running"; exit 1; }
}

cmd_signal() {
    # $1: signal name, $2: what it does (for the log)
    local pid
    pid="$(current_pid)" || die "no running Elasticsearch for this instance"
    kill -"$1" "$pid"
    if [ "$1" = KILL ]; then
        wait_gone "$pid" 300 || die "pid $pid survived SIGKILL for 30 s"
    fi
    log "$2 (pid $pid)"
}

cmd_destroy() {
    ((PERSISTENT)) || die "destroy is for a named instance (STORYRECORDS_ES_INSTANCE or STORYRECORDS_ES_DATA)"
    cmd_stop
    drop_lock
    rm -rf "$IDIR" "$LOCKFILE"
    log "deleted $IDIR"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    info) cmd_info ;;
    pid) cmd_pid ;;
    kill) cmd_signal KILL "killed with SIGKILL" ;;
    freeze) cmd_signal STOP "frozen with SIGSTOP" ;;
    thaw) cmd_signal CONT "thawed with SIGCONT" ;;
    restart)
        cmd_stop
        drop_lock
        cmd_start
        ;;
    destroy) cmd_destroy ;;
    *)
        echo "usage: $0 start|stop|status|info|pid|kill|freeze|thaw|restart|destroy" >&2
        exit 2
        ;;
esac
