#!/usr/bin/env bash
# Soak test (`make soak`, not part of `make check`): curatord runs for
# SOAK_SECONDS (600) with SOAK_FEEDS (10,000) feeds served by a local nginx
# (Debian nginx, 127.0.0.1, a free port) and SOAK_USERS (5,000) users, each
# subscribed to 20 feeds with three interests (tests/soak/soak_gen). Feeds
# start with ten items; every minute a tenth of them gets a new one, and
# every SOAK_DAY (150) seconds the daemon's clock moves a day ahead
# (tests/shim/faultshim.so), so every feed comes due and every user's
# digest is composed and spooled again: polling, scoring and mail all keep
# working the whole time.
#
# Every SOAK_SAMPLE (30) seconds it prints the daemon's memory from
# /proc/PID/status (VmRSS, and RssAnon: the heap, which is what leaks;
# RssFile grows with the memory-mapped database and is not a leak), its
# open file descriptors (/proc/PID/fd), its threads, the items stored, the
# digests spooled and the /healthz time. After the warm-up (SOAK_WARMUP,
# 180 s) neither RssAnon nor the descriptors may grow: the verdict compares
# the last two samples with the first two after warm-up (allowing 10 % +
# 4 MB of heap, 4 descriptors) and gives the heap's slope and its growth
# per new item (the filters keep the scoring window's items in memory, so
# some growth with the data is expected; a leak shows as growth without
# new items, or far more than a few hundred bytes per item). Then SIGTERM:
# the stop time, the exit status and PRAGMA integrity_check.
#
#     tests/soak/soak.sh [BUILD]
#
# Exits 0 when stable, 1 when something grew or failed.
set -euo pipefail
build=${1:-build}
build=$(cd "$build" && pwd)
seconds=${SOAK_SECONDS:-600}
n_feeds=${SOAK_FEEDS:-10000}
n_users=${SOAK_USERS:-5000}
every=${SOAK_SAMPLE:-30}
warmup=${SOAK_WARMUP:-180}
day=${SOAK_DAY:-150}
churn=10
gen=$build/tests/soak/soak_gen
shim=$build/tests/shim/faultshim.so
curatord=$build/curatord

for f in "$gen" "$shim" "$curatord"; do
    [ -e "$f" ] || { echo "soak: $f is missing (make soak builds it)" >&2
                     exit 1; }
done
command -v nginx > /dev/null || { echo "soak: nginx is missing" \
    "(make soak installs it)" >&2; exit 1; }
command -v sqlite3 > /dev/null || { echo "soak: sqlite3 is missing" >&2
                                    exit 1; }

tmp=$(mktemp -d)
nginx_pid= daemon_pid= driver_pid=
cleanup() {
    [ -n "$driver_pid" ] && kill "$driver_pid" 2> /dev/null || :
    [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2> /dev/null || :
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2> /dev/null || :
        for _ in $(seq 50); do [ -e "$tmp/nginx.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the feeds, served by nginx ---------------------------------------------
mkdir -p "$tmp/www" "$tmp/nginx" "$tmp/spool"
"$gen" feeds "$tmp/www" "$n_feeds" 10
port=$(free_port)
user_line=
[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
cat > "$tmp/nginx.conf" <<EOF
$user_line
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    types { }
    default_type application/rss+xml;
    keepalive_requests 100000;
    etag on;
    gzip on;
    gzip_types application/rss+xml;
    server {
        listen 127.0.0.1:$port;
        root $tmp/www;
    }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log"
for _ in $(seq 50); do [ -s "$tmp/nginx.pid" ] && break; sleep 0.1; done
nginx_pid=$(cat "$tmp/nginx.pid")
base=http://127.0.0.1:$port
curl -fsS -o /dev/null "$base/f00001.xml" || {
    echo "soak: nginx does not answer on $base" >&2; exit 1; }

# --- the database and the config --------------------------------------------
t0=$EPOCHREALTIME
"$gen" store "$tmp/curator.db" "$n_feeds" "$n_users" "$base"
echo "soak: $n_feeds feeds on $base, $n_users users x 20 subscriptions" \
    "(made in $(awk -v a="$t0" -v b="$EPOCHREALTIME" \
    'BEGIN { printf "%.1f", b - a }') s); $seconds s, a sample every" \
    "$every s, warm-up $warmup s, a day every $day s"
web_port=$(free_port)
cat > "$tmp/curator.ini" <<EOF
[store]
path = curator.db
[log]
file = curatord.log
level = info
[web]
address = 127.0.0.1
port = $web_port
threads = 4
base_url = https://soak.example.org/
[poll]
interval = 5m
min_interval = 1m
max_interval = 10m
spread = 60s
tick = 1s
timeout = 30s
connections = 64
per_host = 32
[digest]
spool = spool
[score]
filter_dir = $build/filters
[filter keyword]
[filter recency]
[filter dedupe]
EOF
echo 0 > "$tmp/clock"

CURATOR_SHIM_CLOCK=$tmp/clock LD_PRELOAD=$shim \
    ASAN_OPTIONS=verify_asan_link_order=0 \
    "$curatord" -c "$tmp/curator.ini" 2> "$tmp/stderr.log" &
daemon_pid=$!

# --- the driver: new items each minute, a new day every $day s ----------------
(
    round=10 offset=0 start=$SECONDS next_day=$day next_round=60
    while sleep 5; do
        now=$((SECONDS - start))
        if [ "$now" -ge "$next_round" ]; then
            round=$((round + 1)) next_round=$((next_round + 60))
            "$gen" feeds "$tmp/www" "$n_feeds" "$round" "$churn"
            # Spooled digests are done with: keep the disk small.
            find "$tmp/spool" -name '*.eml' -mmin +1 -delete 2> /dev/null || :
        fi
        if [ "$day" -gt 0 ] && [ "$now" -ge "$next_day" ]; then
            offset=$((offset + 86400)) next_day=$((next_day + day))
            echo "$offset" > "$tmp/clock.new"
            mv "$tmp/clock.new" "$tmp/clock"
        fi
    done
) &
driver_pid=$!

# --- sampling ----------------------------------------------------------------
status_kb() {
    awk -v k="$1:" '$1 == k { print $2 }' "/proc/$daemon_pid/status"
}
printf '%6s %9s %9s %9s %9s %5s %4s %8s %8s %8s\n' time VmRSS_kB \
    RssAnon_kB RssFile_kB VmHWM_kB fds thr items sent healthz
samples=()
start=$SECONDS
while :; do
    t=$((SECONDS - start))
    kill -0 "$daemon_pid" 2> /dev/null || {
        echo "soak: curatord died; its log ends with:" >&2
        tail -n 20 "$tmp/curatord.log" "$tmp/stderr.log" >&2; exit 1; }
    rss=$(status_kb VmRSS) anon=$(status_kb RssAnon) file=$(status_kb RssFile)
    hwm=$(status_kb VmHWM) thr=$(status_kb Threads)
    fds=$(find "/proc/$daemon_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    items=$(sqlite3 -readonly "$tmp/curator.db" \
        'SELECT coalesce(max(id), 0) FROM items' 2> /dev/null || echo '?')
    sent=$(sqlite3 -readonly "$tmp/curator.db" \
        "SELECT count(*) FROM outbox WHERE status = 'sent'" 2> /dev/null \
        || echo '?')
    hz=$(curl -s -o /dev/null -w '%{http_code}/%{time_total}s' --max-time 10 \
        "http://127.0.0.1:$web_port/healthz" || :)
    printf '%5ss %9s %9s %9s %9s %5s %4s %8s %8s %8s\n' "$t" "$rss" "$anon" \
        "$file" "$hwm" "$fds" "$thr" "$items" "$sent" "$hz"
    samples+=("$t $anon $fds ${items/\?/0}")
    [ "$t" -ge "$seconds" ] && break
    sleep $((every - (SECONDS - start) % every))
done

# --- verdict ---------------------------------------------------------------
verdict=$(printf '%s\n' "${samples[@]}" | awk -v w="$warmup" '
    $1 >= w { n++; t[n] = $1; a[n] = $2; f[n] = $3; it[n] = $4 }
    END {
        if (n < 4) { print "FAIL too few samples after the warm-up"; exit }
        a0 = a[1] > a[2] ? a[1] : a[2]; a1 = a[n] > a[n-1] ? a[n] : a[n-1]
        f0 = f[1] > f[2] ? f[1] : f[2]; f1 = f[n] > f[n-1] ? f[n] : f[n-1]
        for (i = 1; i <= n; i++) { st += t[i]; sa += a[i] }
        mt = st / n; ma = sa / n
        for (i = 1; i <= n; i++) {
            num += (t[i] - mt) * (a[i] - ma); den += (t[i] - mt) ^ 2 }
        slope = den ? num / den * 60 / 1024 : 0
        ok_mem = a1 - a0 <= a0 * 0.10 + 4096
        ok_fd = f1 - f0 <= 4
        # The filters keep the scoring window in memory: the heap grows
        # with the items stored, which is data, not a leak.
        di = it[n] - it[1]
        per = "none new"
        if (di > 0)
            per = sprintf("%.0f heap bytes per new item",
                          (a[n] - a[1]) * 1024 / di)
        verdict = ok_mem && ok_fd ? "PASS" : "FAIL"
        printf "%s heap (RssAnon) %+.1f MB after warm-up (%.1f -> %.1f MB," \
               " slope %+.2f MB/min; items %+d, %s); descriptors %+d" \
               " (%d -> %d)\n", verdict, (a1 - a0) / 1024, a0 / 1024,
               a1 / 1024, slope, di, per, f1 - f0, f0, f1
    }')

# --- stop ------------------------------------------------------------------
kill "$driver_pid" 2> /dev/null || :
wait "$driver_pid" 2> /dev/null || :
driver_pid=
t0=$EPOCHREALTIME
kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=
stop=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
integrity=$(sqlite3 "$tmp/curator.db" 'PRAGMA integrity_check')
errors=$(grep -c 'level=error' "$tmp/curatord.log" || :)
echo "soak: stopped in $stop s, exit $rc; integrity_check: $integrity;" \
    "$errors error lines in the log"
echo "soak verdict: $verdict"
case $verdict in
PASS*) [ "$rc" -eq 0 ] && [ "$integrity" = ok ] && exit 0 ;;
esac
exit 1
