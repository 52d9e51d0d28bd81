#!/bin/sh
# Run the sanitiser's libFuzzer target (tests/fuzz/fuzz_sanitize.c, built
# by `make fuzz`) for $FUZZ_SECONDS seconds (30) on a seed corpus made
# from the tests (tests/fixtures/sanitize/vectors.tsv), growing the corpus
# kept in $CURATOR_BUILD/fuzz/corpus. The target aborts on a crash, an
# unsafe or invalid output, or an output that sanitising changes again.
# The summary is printed as cmocka prints it, for scripts/run-tests.sh.
set -u
build=${CURATOR_BUILD:-build}
secs=${FUZZ_SECONDS:-30}
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=$build/fuzz/fuzz_sanitize
seeds=$build/fuzz/seeds
corpus=$build/fuzz/corpus

echo "[==========] fuzz: sanitize_html, ${secs} s"
if [ ! -x "$fuzzer" ]; then
    echo "[  FAILED  ] fuzz_sanitize: $fuzzer is missing (make fuzz)"
    echo "[  FAILED  ] 1 test(s), listed below:"
    exit 1
fi
mkdir -p "$seeds" "$corpus"
# One seed file per vector input, unescaped.
python3 - "$here/../fixtures/sanitize/vectors.tsv" "$seeds" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
def unesc(s):
    b = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n in 'tnr\\':
                b += {'t': b'\t', 'n': b'\n', 'r': b'\r', '\\': b'\\'}[n]
                i += 2
                continue
            if n == 'x':
                b.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
        b += c.encode()
        i += 1
    return bytes(b)
n = 0
for line in open(src, encoding='utf-8'):
    line = line.rstrip('\n')
    if not line or line.startswith('#'):
        continue
    n += 1
    open('%s/vector-%03d' % (out, n), 'wb').write(unesc(line.split('\t')[0]))
PY
log=$build/fuzz/last-run.log
"$fuzzer" -max_total_time="$secs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -dict="$here/html.dict" \
    -artifact_prefix="$build/fuzz/" -print_final_stats=1 \
    "$corpus" "$seeds" "$here/regressions" > "$log" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
    echo "fuzz_sanitize: $runs runs in ${secs} s, corpus $(ls "$corpus" | wc -l) files, no finding"
    echo "[       OK ] fuzz_sanitize"
    echo "[==========] 1 test(s) run."
    echo "[  PASSED  ] 1 test(s)."
    exit 0
fi
grep -a -A4 'fuzz_sanitize:\|ERROR:' "$log" | head -40
ls "$build"/fuzz/crash-* "$build"/fuzz/timeout-* "$build"/fuzz/oom-* 2>/dev/null \
    | sed 's/^/artifact: /'
echo "[  FAILED  ] fuzz_sanitize (status $rc; log $log)"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 0 test(s)."
echo "[  FAILED  ] 1 test(s), listed below:"
exit 1
