#!/usr/bin/env bash
# Polling benchmark: the generated corpus (tests/bench/gen-corpus.py, 2,000
# RSS and Atom feeds, about 100 MB, in $build/bench-corpus/feeds) served by
# a local nginx (Debian nginx; a config written to a temporary folder:
# 127.0.0.1 only, a free port, ETag and gzip on), then, in one run:
#
#   - Curator's full refresh: `curatord` started on a database that has
#     the feeds and no items, its first poll round (fetch, parse, sanitise
#     and store everything) timed by the daemon itself (the "poll round"
#     log line: from choosing the due feeds to the last commit; start-up
#     and the scoring that follows are not in it); and `curator poll --all`,
#     the command line's refresh, which also indexes the new items for
#     search and scores them before it exits;
#   - curl --parallel --parallel-max 64 fetching the same URLs, the floor
#     (identity encoding), and with --compressed (gzip, as Curator asks);
#   - sfeed_update on the same list (sfeed's own script, default jobs);
#   - Curator's second refresh, where every answer is a 304, beside curl's
#     conditional round (-z) on the same URLs;
#   - the peak RSS of `curator poll` and of `curatord` over a full and an
#     all-304 round.
#
# Fast tools: best wall time of 3 runs. MB = 10^6 bytes. Exits non-zero
# only when a tool fails; missed targets are reported, not fatal.
#
#     tests/bench/poll-bench.sh [BUILD]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
corpus=$build/bench-corpus
curator=$build/curator
curatord=$build/curatord
runs=3

[ -f "$corpus/manifest.tsv" ] || /usr/bin/python3 "$here/gen-corpus.py" \
    "$corpus"
command -v nginx > /dev/null || { echo "poll-bench: nginx is missing" \
    "(make bench installs it)" >&2; exit 1; }

tmp=$(mktemp -d)
nginx_pid=
daemon_pid=
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2> /dev/null || :
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2> /dev/null || :
        # nginx removes its pid file once its workers are gone.
        for _ in $(seq 50); do [ -e "$tmp/nginx.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- nginx on 127.0.0.1 ----------------------------------------------------
port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/nginx"
user_line=
[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
cat > "$tmp/nginx.conf" <<EOF
$user_line
worker_processes auto;
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
    default_type application/xml;
    sendfile on;
    keepalive_requests 100000;
    etag on;
    # curl -z sends one date for every file: 304 when not newer.
    if_modified_since before;
    gzip on;
    gzip_types application/xml;
    server {
        listen 127.0.0.1:$port;
        root $corpus/feeds;
    }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log"
for _ in $(seq 50); do [ -s "$tmp/nginx.pid" ] && break; sleep 0.1; done
nginx_pid=$(cat "$tmp/nginx.pid")
base=http://127.0.0.1:$port
mapfile -t names < <(awk -F'\t' '$1 ~ /^feeds\// { sub("^feeds/", "", $1);
    print $1 }' "$corpus/manifest.tsv")
n=${#names[@]}
read -r corpus_bytes corpus_items < <(awk -F'\t' \
    '$1 ~ /^feeds\// { b += $3; i += $4 } END { print b, i }' \
    "$corpus/manifest.tsv")
curl -fsS -o /dev/null "$base/${names[0]}" || {
    echo "poll-bench: nginx does not answer on $base" >&2; exit 1; }
gz=$(curl -fsS -D - -o /dev/null -H 'Accept-Encoding: gzip' \
    "$base/${names[0]}" | tr -d '\r' | awk -F': ' \
    'tolower($1) == "content-encoding" { print $2 }')
echo "bench poll: nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') on $base" \
    "serving $n feeds, $(awk -v b="$corpus_bytes" \
    'BEGIN { printf "%.1f", b / 1e6 }') MB, $corpus_items items" \
    "(ETag on, gzip ${gz:-off})"

# --- the lists -------------------------------------------------------------
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<opml version="2.0"><head><title>bench</title></head><body>'
    for f in "${names[@]}"; do
        echo "<outline type=\"rss\" text=\"$f\" xmlUrl=\"$base/$f\"/>"
    done
    echo '</body></opml>'
} > "$tmp/feeds.opml"
for f in "${names[@]}"; do
    printf 'url = "%s/%s"\noutput = "/dev/null"\n' "$base" "$f"
done > "$tmp/curl.cfg"
{
    echo "sfeedpath=\"$tmp/sfeed\""
    echo 'feeds() {'
    for f in "${names[@]}"; do echo "feed \"${f%.xml}\" \"$base/$f\""; done
    echo '}'
} > "$tmp/sfeedrc"

# --- Curator's database: the feeds, no items --------------------------------
mkdir -p "$tmp/cur/spool"
cat > "$tmp/cur/curator.ini" <<EOF
[store]
path = curator.db
[log]
level = warn
[web]
enabled = false
[poll]
tick = 1s
spread = 0
[digest]
spool = spool
EOF
cfg=$tmp/cur/curator.ini
"$curator" -c "$cfg" opml import "$tmp/feeds.opml" > "$tmp/import.out"
cp "$tmp/cur/curator.db" "$tmp/empty.db"
fresh_db() {
    rm -f "$tmp/cur/curator.db" "$tmp/cur/curator.db-wal" \
        "$tmp/cur/curator.db-shm"
    cp "$tmp/empty.db" "$tmp/cur/curator.db"
}

failed=0
# best RUNS CMD...: secs (best wall time), peak_kb (largest peak RSS) and
# out (the last run's standard output).
best() {
    local r t0 t1 s k runs_left=$1
    shift
    secs= peak_kb=0
    for ((r = 0; r < runs_left; r++)); do
        [ -n "${before_each:-}" ] && $before_each
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%M' -o "$tmp/rss" "$@" > "$tmp/out" || return 1
        t1=$EPOCHREALTIME
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        k=$(tail -n1 "$tmp/rss")
        if [ -z "$secs" ] || awk -v a="$s" -v b="$secs" \
                'BEGIN { exit !(a < b) }'; then
            secs=$s
        fi
        ((k > peak_kb)) && peak_kb=$k
    done
    out=$(cat "$tmp/out")
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }

# --- full refresh -----------------------------------------------------------
before_each=fresh_db
if best $runs "$curator" -c "$cfg" poll --all; then
    cur_full=$secs cur_full_kb=$peak_kb
    echo "bench poll_full curator: $secs s, peak $(mb "$peak_kb") MB ($out)"
    case $out in
    "polled $n feeds: $corpus_items new items, 0 unchanged (304), 0 errors"*)
        ;;
    *) echo "bench poll_full curator: WARNING: expected $n feeds and" \
            "$corpus_items new items" ;;
    esac
else
    echo "bench poll_full curator: FAILED" >&2
    failed=1
fi
before_each=
# (-s does not silence --parallel's meter in curl 7.88.)
quiet=(--no-progress-meter -f)
if best $runs curl --parallel --parallel-max 64 "${quiet[@]}" \
        -K "$tmp/curl.cfg"; then
    curl_full=$secs
    echo "bench poll_full curl --parallel --parallel-max 64: $secs s (the" \
        "floor; identity encoding)"
else
    echo "bench poll_full curl: FAILED" >&2
    failed=1
fi
if best 1 curl --parallel --parallel-max 64 --compressed "${quiet[@]}" \
        -K "$tmp/curl.cfg"; then
    echo "bench poll_full curl --parallel --parallel-max 64 --compressed:" \
        "$secs s (gzip, as Curator asks)"
    curl_gz=$secs
fi
mkdir -p "$tmp/sfeed"
if best 1 sfeed_update "$tmp/sfeedrc"; then
    sfeed_full=$secs
    echo "bench poll_full sfeed_update: $secs s ($(dpkg-query -W \
        -f='sfeed ${Version}' sfeed), its default jobs;" \
        "$(cat "$tmp/sfeed"/* | wc -l) items)"
else
    echo "bench poll_full sfeed_update: FAILED" >&2
    failed=1
fi

# --- all-304 refresh: the database of the last full refresh ------------------
if best $runs "$curator" -c "$cfg" poll --all; then
    cur_304=$secs cur_304_kb=$peak_kb
    echo "bench poll_304 curator: $secs s, peak $(mb "$peak_kb") MB ($out)"
    case $out in
    "polled $n feeds: 0 new items, $n unchanged (304), 0 errors"*) ;;
    *) echo "bench poll_304 curator: WARNING: expected $n feeds unchanged" ;;
    esac
else
    echo "bench poll_304 curator: FAILED" >&2
    failed=1
fi
if best $runs curl --parallel --parallel-max 64 "${quiet[@]}" \
        -z "$(date -u -R -d '+1 day')" -K "$tmp/curl.cfg"; then
    curl_304=$secs
    echo "bench poll_304 curl --parallel --parallel-max 64 -z: $secs s"
else
    echo "bench poll_304 curl -z: FAILED" >&2
    failed=1
fi

# --- curatord: a full round and an all-304 round ------------------------------
# Its peak RSS (VmHWM) once every feed has been polled; the second round
# starts after every feed is made due again.
# daemon_round: start curatord on the database as it is, wait for its
# first poll round to end (its "poll round" log line), then stop it. Sets
# round_s (the round's own time, as the daemon logs it), daemon_s (from
# the start, start-up included) and daemon_kb (peak RSS so far).
daemon_round() {
    local t0=$EPOCHREALTIME log=$tmp/curatord.log line=
    sed -i 's/^level = .*/level = info/' "$cfg"
    "$curatord" -c "$cfg" 2> "$log" &
    daemon_pid=$!
    for _ in $(seq 2400); do
        line=$(grep -m1 'poll round ' "$log" || :)
        [ -n "$line" ] && break
        kill -0 "$daemon_pid" 2> /dev/null || break
        sleep 0.05
    done
    daemon_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" \
        'BEGIN { printf "%.2f", b - a }')
    daemon_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$daemon_pid/status" \
        2> /dev/null || echo 0)
    kill "$daemon_pid" 2> /dev/null || :
    wait "$daemon_pid" || :
    daemon_pid=
    sed -i 's/^level = .*/level = warn/' "$cfg"
    round_s=$(sed -n 's/.*poll round .* seconds=\([0-9.]*\).*/\1/p' \
        <<< "$line")
    round_line=$line
}
d_full_kb=0 d_full_s= d_full_wall=
for ((r = 0; r < runs; r++)); do
    fresh_db
    daemon_round
    if [ -z "$round_s" ]; then
        echo "bench poll_full curatord: FAILED: no poll round ended (its" \
            "log: $(tail -n 3 "$tmp/curatord.log"))" >&2
        failed=1
        break
    fi
    case $round_line in
    *"feeds=$n failed=0 unchanged=0 new=$corpus_items "*) ;;
    *) echo "bench poll_full curatord: WARNING: expected $n feeds and" \
            "$corpus_items new items: $round_line" ;;
    esac
    if [ -z "$d_full_s" ] || awk -v a="$round_s" -v b="$d_full_s" \
            'BEGIN { exit !(a < b) }'; then
        d_full_s=$round_s d_full_wall=$daemon_s
    fi
    ((daemon_kb > d_full_kb)) && d_full_kb=$daemon_kb
done
if [ -n "$d_full_s" ]; then
    echo "bench poll_full curatord: $d_full_s s for the round (best of" \
        "$runs; ${d_full_wall} s from its start, start-up included)," \
        "peak RSS $(mb "$d_full_kb") MB"
fi
# The all-304 round: the last full round's database, every feed due.
sqlite3 "$tmp/cur/curator.db" "UPDATE feeds SET next_poll = 0"
daemon_round
d_304_kb=$daemon_kb
if [ -n "$round_s" ]; then
    echo "bench poll_304 curatord: $round_s s for the round, peak RSS" \
        "$(mb "$d_304_kb") MB"
else
    echo "bench poll_304 curatord: FAILED: no poll round ended" >&2
    failed=1
fi
daemon_peak_kb=$((d_full_kb > d_304_kb ? d_full_kb : d_304_kb))

ratios() { # NAME SECS: a full refresh against the floor and sfeed
    [ -n "$2" ] || return 0
    [ -n "${curl_full:-}" ] && awk -v c="$2" -v f="$curl_full" \
        -v g="${curl_gz:-}" -v l="$1" 'BEGIN {
        printf "%s full refresh vs curl --parallel: %.2fx the floor" \
               " (target <= 2.5x)", l, c / f
        if (g != "")
            printf "; %.2fx curl --compressed", c / g
        printf "\n" }'
    [ -n "${sfeed_full:-}" ] && awk -v c="$2" -v s="$sfeed_full" \
        -v l="$1" 'BEGIN {
        printf "%s full refresh vs sfeed_update: %.1fx faster" \
               " (target >= 15x)\n", l, s / c }'
    return 0
}
ratios "curatord" "${d_full_s:-}"
ratios "curator poll --all" "${cur_full:-}"
if [ -n "${cur_304:-}" ] && [ -n "${curl_304:-}" ]; then
    awk -v c="$cur_304" -v f="$curl_304" 'BEGIN {
        printf "curator all-304 refresh vs curl -z: %.2fx (target <= 2.5x)\n",
               c / f }'
fi
echo "curatord peak RSS: $(mb "$daemon_peak_kb") MB (target < 64 MB);" \
    "curator poll peak RSS: $(mb "${cur_full_kb:-0}") MB full," \
    "$(mb "${cur_304_kb:-0}") MB all-304"
exit $failed
