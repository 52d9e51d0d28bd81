#!/usr/bin/env bash
# Run Curator's benchmarks and, on the same input in the same run, the
# peers: Python's feedparser (Debian python3-feedparser), the reference
# feed parser most readers are measured against; xmllint --stream (Debian
# libxml2-utils), the floor for a streaming XML parse; and sfeed (Debian
# sfeed), a small C feed parser.
#
# Then, on a generated corpus (tests/bench/gen-corpus.py, in
# $build/bench-corpus), the time, throughput and peak RSS of each tool's
# command line on (a) one 50 MB RSS feed and (b) 2,000 RSS and Atom feeds,
# about 100 MB. Fast tools: best wall time of 3 runs. MB = 10^6 bytes,
# for sizes and memory alike. Exits non-zero only when a tool fails;
# missed targets are reported, not fatal.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/tests/bench/bench_ingest" "$tmp/feed.xml"

$py - "$tmp/feed.xml" <<'PY'
import sys, time, statistics
import feedparser
data = open(sys.argv[1], 'rb').read()
times = []
for _ in range(5):
    start = time.perf_counter()
    d = feedparser.parse(data)
    times.append((time.perf_counter() - start) * 1e3)
    assert len(d.entries) == 1000, len(d.entries)
m = statistics.median(times)
print("bench parse_1000_items (peer: python3-feedparser %s): median %.2f ms,"
      " %.0f items/s" % (feedparser.__version__, m, 1000 / (m / 1e3)))
PY

# --- Corpus ----------------------------------------------------------------
corpus=$(mkdir -p "$build/bench-corpus" && cd "$build/bench-corpus" && pwd)
$py "$here/gen-corpus.py" "$corpus"
curator=$(cd "$build" && pwd)/curator
manifest=$corpus/manifest.tsv
big=$corpus/big.xml
big_bytes=$(awk -F'\t' '$1 == "big.xml" { print $3 }' "$manifest")
big_items=$(awk -F'\t' '$1 == "big.xml" { print $4 }' "$manifest")
mapfile -t files < <(awk -F'\t' -v d="$corpus" \
    '$1 ~ /^feeds\// { print d "/" $1 }' "$manifest")
read -r n_files corpus_bytes corpus_items < <(awk -F'\t' \
    '$1 ~ /^feeds\// { n++; b += $3; i += $4 } END { print n, b, i }' \
    "$manifest")
# Every 20th feed, for feedparser.
mapfile -t subset < <(printf '%s\n' "${files[@]}" | awk 'NR % 20 == 1')
read -r sub_bytes sub_items < <(awk -F'\t' \
    '$1 ~ /^feeds\// && n++ % 20 == 0 { b += $3; i += $4 }
     END { print b, i }' "$manifest")
versions="$("$curator" --version 2>&1 | head -n1), xmllint $(xmllint \
    --version 2>&1 | sed -n 's/.*libxml version \([0-9]*\).*/\1/p'), sfeed \
$(dpkg-query -W -f='${Version}' sfeed), feedparser $($py -c \
    'import feedparser; print(feedparser.__version__)')"
echo "bench corpus: $n_files feeds, $(awk -v b="$corpus_bytes" \
    'BEGIN { printf "%.1f", b / 1e6 }') MB, $corpus_items items;" \
    "big.xml: $(awk -v b="$big_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" \
    "MB, $big_items items (tools: $versions)"
# Confined parsing: in-process against a parse worker (worker.h).
"$build/tests/bench/bench_worker" "$big" "$corpus/feeds"

# One run of each tool on each file given, one process per file, as a
# shell loop; stops at the first failure with its status.
# shellcheck disable=SC2317  # run through bash -c
tool_loop() {
    local tool=$1 f r
    shift
    for f in "$@"; do
        case $tool in
        curator) "$CURATOR" parse "$f" > /dev/null ;;
        xmllint) xmllint --stream --noout "$f" ;;
        sfeed) sfeed < "$f" > /dev/null ;;
        true) /bin/true < "$f" ;;
        esac || {
            r=$?
            echo "bench: $tool failed on $f (exit $r)" >&2
            exit "$r"
        }
    done
}
export -f tool_loop
export CURATOR=$curator

failed=0
# measure RUNS CMD...: sets secs (best wall time), cpu (least CPU time,
# user and system, of the command and its children: what a machine busy
# with other work disturbs least) and peak_kb (largest peak RSS). Returns
# the command's status.
measure() {
    local runs=$1 r t0 t1 s c k best='' best_cpu=''
    shift
    peak_kb=0
    for ((r = 0; r < runs; r++)); do
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" || return 1
        t1=$EPOCHREALTIME
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        read -r k c < <(tail -n1 "$tmp/rss" | awk '{ print $1, $2 + $3 }')
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" \
                'BEGIN { exit !(a < b) }'; then
            best=$s
        fi
        if [ -z "$best_cpu" ] || awk -v a="$c" -v b="$best_cpu" \
                'BEGIN { exit !(a < b) }'; then
            best_cpu=$c
        fi
        ((k > peak_kb)) && peak_kb=$k
    done
    secs=$best
    cpu=$best_cpu
}

# report NAME TOOL SECS CPU BYTES ITEMS PEAK_KB [NOTE]: one line, and
# remember the throughputs (by wall and, unless CPU is -, by CPU time)
# for the ratios.
declare -A mbs mbs_cpu
report() {
    local line
    line=$(awk -v s="$3" -v c="$4" -v b="$5" -v i="$6" -v k="$7" 'BEGIN {
        printf "%.2f s, %.1f MB/s, %.0f items/s, peak %.1f MB",
               s, b / 1e6 / s, i / s, k * 1024 / 1e6
        if (c != "-" && c > 0)
            printf "; CPU %.2f s, %.1f MB/s", c, b / 1e6 / c }')
    echo "bench $1 $2: $line${8:+ ($8)}"
    mbs[$1 $2]=$(awk -v s="$3" -v b="$5" 'BEGIN { print b / 1e6 / s }')
    if [ "$4" != - ]; then
        mbs_cpu[$1 $2]=$(awk -v c="$4" -v b="$5" \
            'BEGIN { if (c > 0) print b / 1e6 / c }')
    fi
}

fail() {
    echo "bench $1 $2: FAILED" >&2
    failed=1
}

# (a) the 50 MB feed.
for tool in curator xmllint sfeed; do
    if measure 3 bash -c 'tool_loop "$@"' _ "$tool" "$big"; then
        report parse_50mb "$tool" "$secs" "$cpu" "$big_bytes" "$big_items" \
            "$peak_kb"
        [ "$tool" = curator ] && curator_peak_kb=$peak_kb
    else
        fail parse_50mb "$tool"
    fi
done
if measure 1 $py -c '
import sys, feedparser
d = feedparser.parse(sys.argv[1])
open(sys.argv[2], "w").write("%d\n" % len(d.entries))' "$big" "$tmp/fp-n"; then
    report parse_50mb feedparser "$secs" "$cpu" "$big_bytes" "$big_items" \
        "$peak_kb" "1 run"
    fp_items=$(cat "$tmp/fp-n")
else
    fail parse_50mb feedparser
fi

# Do they all see every item? (Not timed.)
cur_items=$("$curator" parse "$big" 2> /dev/null | $py -c \
    'import json, sys; print(len(json.load(sys.stdin)["items"]))' \
    2> /dev/null || echo "?")
sfeed_items=$(sfeed < "$big" | wc -l || :)
for t in "curator $cur_items" "sfeed $sfeed_items" \
        "feedparser ${fp_items:-?}"; do
    read -r tool n <<< "$t"
    [ "$n" = "$big_items" ] ||
        echo "bench parse_50mb $tool: WARNING: $n items, expected $big_items"
done

# (b) the corpus. One process per file, as a CLI is used; the spawn cost
# is in the figures, so also show it alone.
measure 3 bash -c 'tool_loop "$@"' _ true "${files[@]}"
echo "bench parse_corpus process spawn alone (/bin/true per file):" \
    "$(awk -v s="$secs" -v n="$n_files" -v k="$peak_kb" 'BEGIN {
    printf "%.2f s, %.2f ms per file, peak %.1f MB (the loop shell;" \
           " a lower peak cannot show)", s, s * 1e3 / n, k * 1024 / 1e6 }')"
for tool in curator xmllint sfeed; do
    if measure 3 bash -c 'tool_loop "$@"' _ "$tool" "${files[@]}"; then
        report parse_corpus "$tool" "$secs" "$cpu" "$corpus_bytes" \
            "$corpus_items" "$peak_kb" "one process per file"
    else
        fail parse_corpus "$tool"
    fi
done
if measure 1 $py -c '
import sys, time, feedparser
t0 = time.perf_counter()
for f in sys.argv[2:]:
    feedparser.parse(f)
open(sys.argv[1], "w").write("%f\n" % (time.perf_counter() - t0))' \
        "$tmp/fp-s" "${subset[@]}"; then
    # Scale the subset's parse time to the whole corpus by bytes.
    s=$(awk -v s="$(cat "$tmp/fp-s")" -v a="$sub_bytes" -v b="$corpus_bytes" \
        'BEGIN { print s * b / a }')
    i=$(awk -v a="$sub_items" -v b="$sub_bytes" -v c="$corpus_bytes" \
        'BEGIN { print a * c / b }')
    note="${#subset[@]}-file subset, $(awk -v b="$sub_bytes" \
        'BEGIN { printf "%.1f", b / 1e6 }') MB, $sub_items items,"
    note="$note in one process, scaled to the corpus by bytes"
    report parse_corpus feedparser "$s" - "$corpus_bytes" "$i" "$peak_kb" \
        "$note"
else
    fail parse_corpus feedparser
fi

# --- Against the targets ---------------------------------------------------
ratio() { # NAME: curator's throughput over xmllint's and over feedparser's
    local c=${mbs[$1 curator]:-} x=${mbs[$1 xmllint]:-} \
        f=${mbs[$1 feedparser]:-} label=$2 \
        cc=${mbs_cpu[$1 curator]:-} xc=${mbs_cpu[$1 xmllint]:-} \
        fc=${mbs_cpu[$1 feedparser]:-}
    if [ -n "$c" ] && [ -n "$x" ]; then
        awk -v c="$c" -v x="$x" -v cc="$cc" -v xc="$xc" -v l="$label" '
        BEGIN {
            printf "curator vs xmllint --stream%s: %.0f%% of its throughput",
                   l, 100 * c / x
            if (cc != "" && xc != "")
                printf " (by CPU time: %.0f%%)", 100 * cc / xc
            printf " (target >= 75%%)\n" }'
    fi
    if [ -n "$c" ] && [ -n "$f" ]; then
        awk -v c="$c" -v f="$f" -v cc="$cc" -v fc="$fc" -v l="$label" '
        BEGIN {
            printf "curator vs feedparser%s: %.1fx", l, c / f
            if (cc != "" && fc != "")
                printf " (by CPU time: %.1fx)", cc / fc
            printf " (target >= 50x)\n" }'
    fi
}
ratio parse_50mb ""
ratio parse_corpus " on the corpus"
if [ -n "${curator_peak_kb:-}" ]; then
    awk -v k="$curator_peak_kb" 'BEGIN {
        printf "curator peak memory on 50 MB: %.1f MB (target < 32 MB)\n",
               k * 1024 / 1e6 }'
fi
"$here/sanitize-bench.sh" "$build" || failed=1
"$here/poll-bench.sh" "$build" || failed=1
CURATOR_BUILD=$build "$build/tests/bench/bench_score" || failed=1
CURATOR_BUILD=$build "$build/tests/bench/bench_digest" || failed=1
"$here/web-bench.sh" "$build" || failed=1
exit $failed
