#!/bin/sh
# Run every libFuzzer target built in $CURATOR_BUILD/fuzz/ (by `make
# fuzz`; see tests/fuzz/fuzz.mk) for $FUZZ_SECONDS seconds each (20), or
# only the targets named as arguments ("feed" or "fuzz_feed").
#
# Each target starts from seeds made from the tests: tests/fixtures/,
# config/, the inputs written in tests/unit/*.c, and the feed suites in
# ../shared/conformance/ (a warning, not a failure, when that is
# missing); plus every input under tests/fuzz/regressions/fuzz_NAME/,
# each an input that once failed, so that a fixed bug stays fixed (the
# sanitiser's older regressions sit in tests/fuzz/regressions/ itself).
# The corpus each run grows is kept in $CURATOR_BUILD/fuzz/NAME/corpus,
# with the log and any crashing input beside it. A target aborts on a
# crash, a leak, undefined behaviour or a broken invariant.
#
# Each target's result is printed as cmocka prints a suite of one test,
# for scripts/run-tests.sh; the status is 1 if any target failed.

# The seeds_* functions are called by name:
# shellcheck disable=SC2317
set -u
build=${CURATOR_BUILD:-build}
secs=${FUZZ_SECONDS:-20}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=$top/../shared/conformance
regress=$here/regressions

if [ ! -d "$shared" ]; then
    echo "warning: $shared is missing: fuzzing without the conformance" \
         "seeds" >&2
    shared=
fi

# Seed makers in Python: the modes are described in each function.
seedpy() {
    python3 - "$@" <<'PY'
import glob, os, re, sys

# seedpy MODE OUT ARGS...: seeds into the folder OUT (a dictionary into
# OUT.dict for inidict).
mode, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out, exist_ok=True)
count = 0

def put(data, name):
    global count
    count += 1
    with open(os.path.join(out, '%s-%04d' % (name, count)), 'wb') as f:
        f.write(data)

def unesc_tsv(s):
    # tests/fixtures/sanitize/vectors.tsv escapes: \t \n \r \\ \xHH
    b, i = bytearray(), 0
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

C_ESC = {'n': b'\n', 't': b'\t', 'r': b'\r', '\\': b'\\',
         '"': b'"', "'": b"'", 'a': b'\a', 'b': b'\b', 'f': b'\f',
         'v': b'\v', '?': b'?'}

def c_literals(path):
    # Every C string literal, adjacent ones joined, escapes decoded.
    src = open(path, encoding='utf-8', errors='replace').read()
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    lits, cur, i, last_end = [], None, 0, -1
    while i < len(src):
        c = src[i]
        if c == "'":
            j = src.find("'", i + (3 if src[i + 1] == '\\' else 2))
            i = j + 1 if j > 0 else len(src)
            continue
        if c != '"':
            if not c.isspace() and cur is not None:
                lits.append(bytes(cur))
                cur = None
            i += 1
            continue
        b, i = bytearray(), i + 1
        while i < len(src) and src[i] != '"':
            if src[i] == '\\':
                n = src[i + 1]
                if n == 'x':
                    m = re.match(r'[0-9a-fA-F]+', src[i + 2:])
                    b.append(int(m.group(0), 16) & 0xFF)
                    i += 2 + len(m.group(0))
                    continue
                if n in '01234567':
                    m = re.match(r'[0-7]{1,3}', src[i + 1:])
                    b.append(int(m.group(0), 8) & 0xFF)
                    i += 1 + len(m.group(0))
                    continue
                b += C_ESC.get(n, n.encode())
                i += 2
                continue
            b += src[i].encode()
            i += 1
        i += 1
        cur = (cur or bytearray()) + b
    if cur is not None:
        lits.append(bytes(cur))
    return lits

if mode == 'tsv':
    for path in args:
        for line in open(path, encoding='utf-8'):
            line = line.rstrip('\n')
            if line and not line.startswith('#'):
                put(unesc_tsv(line.split('\t')[0]), 'vector')
elif mode == 'literals':
    # literals REGEX FILE...: the literals that match REGEX
    pat = re.compile(args[0].encode())
    for path in args[1:]:
        for lit in set(c_literals(path)):
            if pat.search(lit):
                put(lit, os.path.basename(path).split('.')[0])
elif mode == 'dates':
    # dates FILE-OR-DIR...: the text of date elements and members
    pat = re.compile(rb'<((?:\w+:)?(?:pubDate|date|updated|published|'
                     rb'issued|modified|created|lastBuildDate))\b[^>]*>'
                     rb'([^<]{1,200})</\1>|"date_(?:published|modified)"'
                     rb'\s*:\s*"([^"]{1,200})"')
    seen = set()
    for arg in args:
        files = [arg] if os.path.isfile(arg) else glob.glob(
            os.path.join(arg, '**', '*'), recursive=True)
        for path in files:
            if not os.path.isfile(path):
                continue
            data = open(path, 'rb').read()
            for m in pat.finditer(data):
                d = m.group(2) or m.group(3)
                if d not in seen and len(seen) < 3000:
                    seen.add(d)
                    put(d, 'date')
elif mode == 'jsonfeeds':
    # jsonfeeds FILE-OR-DIR...: JSON Feed documents among them
    for arg in args:
        files = [arg] if os.path.isfile(arg) else glob.glob(
            os.path.join(arg, '**', '*.json'), recursive=True)
        for path in files:
            data = open(path, 'rb').read()
            if b'jsonfeed.org/version' in data:
                put(data, 'jsonfeed')
elif mode == 'inidict':
    # inidict CONFIG.C: a libFuzzer dictionary of sections and keys
    src = open(args[0], encoding='utf-8').read()
    pairs = re.findall(r'\{\s*"(\w+)",\s*"(\w+)",\s*KEY_', src)
    words = sorted({'[%s]' % s for s, _ in pairs} | {'[feeds]'})
    words += sorted({'%s = ' % k for _, k in pairs})
    words += ['\n', '=', ';', ' ; comment', 'yes', 'off', '90s', '15m',
              '2h', '1d', '2w', '512K', '16M', '1G', '127.0.0.1', '::1',
              'https://example.org/feed.xml', 'file:///tmp/x.xml', '../',
              'debug', 'coaching:2, onboarding', 'demo@example.org',
              'pixel.example.com, stats.example.org']
    with open(out + '.dict', 'w') as f:
        for w in words:
            f.write('"%s"\n' % ''.join(
                c if 32 <= ord(c) < 127 and c not in '"\\'
                else '\\x%02x' % ord(c) for c in w))
PY
}

# seeds_NAME DIR: write the seeds NAME needs into DIR; set 'extra' to
# the other corpus folders it reads, 'max_len' and 'dict'.
seeds_sanitize() {
    seedpy tsv "$1" "$top/tests/fixtures/sanitize/vectors.tsv"
    find "$regress" -maxdepth 1 -type f -exec cp {} "$1/" \;
    extra='' max_len=4096 dict=$here/html.dict
}

seeds_feed() {
    extra="$top/tests/fixtures $top/config/samples $shared"
    max_len=65536 dict=$here/xml.dict
}

seeds_json_feed() {
    seedpy jsonfeeds "$1" "$top/tests/fixtures" ${shared:+"$shared"}
    seedpy literals "$1" 'jsonfeed\.org' "$top"/tests/unit/*.c
    # The XML fixtures as JSON Feed, through `curator parse`.
    if [ -x "$build/curator" ]; then
        for f in "$top"/tests/fixtures/*.xml "$top"/config/samples/*.xml \
                 ${shared:+"$shared"/realworld/*/*.xml}; do
            [ -f "$f" ] || continue
            "$build/curator" parse "$f" > "$1/parsed-${f##*/}.json" \
                2>/dev/null || rm -f "$1/parsed-${f##*/}.json"
        done
    fi
    extra='' max_len=65536 dict=$here/json.dict
}

seeds_date() {
    seedpy literals "$1" '(?s)^.{1,120}$' "$top/tests/unit/test_date.c"
    seedpy dates "$1" "$top/tests/fixtures" "$top/config/samples" \
        ${shared:+"$shared"}
    extra='' max_len=512 dict=
}

seeds_opml() {
    seedpy literals "$1" '<opml|<outline' "$top"/tests/unit/*.c \
        "$top"/tests/integration/*.c
    extra='' max_len=16384 dict=$here/xml.dict
}

seeds_config() {
    cp "$top"/config/*.ini "$1/"
    seedpy literals "$1" '\[[a-z]+\]' "$top"/tests/unit/test_config.c
    seedpy inidict "$1" "$top/curator/config.c"
    extra='' max_len=4096 dict=$1.dict
}

# A target with no seed maker here: its regressions, tests/fuzz/NAME.dict
# when there is one.
seeds_default() {
    extra='' max_len=16384 dict=
    [ -f "$here/$name.dict" ] && dict=$here/$name.dict
}

failed=0
found=0
if [ $# -gt 0 ]; then
    list=$(for t in "$@"; do echo "$build/fuzz/fuzz_${t#fuzz_}"; done)
else
    list=$(ls "$build"/fuzz/fuzz_* 2>/dev/null)
fi
for fuzzer in $list; do
    name=${fuzzer##*/fuzz_}
    echo "[==========] fuzz: $name, ${secs} s"
    if [ ! -x "$fuzzer" ]; then
        echo "[  FAILED  ] fuzz_$name: $fuzzer is missing (make fuzz)"
        echo "[==========] 1 test(s) run."
        echo "[  PASSED  ] 0 test(s)."
        echo "[  FAILED  ] 1 test(s), listed below:"
        failed=1
        continue
    fi
    found=1
    work=$build/fuzz/$name
    seeds=$work/seeds
    rm -rf "$seeds" "$seeds.dict"
    mkdir -p "$seeds" "$work/corpus"
    rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
    case $name in
    sanitize|feed|json_feed|date|opml|config)
        "seeds_$name" "$seeds" ;;
    *)
        seeds_default ;;
    esac
    dirs="$work/corpus $seeds $extra"
    [ -d "$regress/fuzz_$name" ] && dirs="$dirs $regress/fuzz_$name"
    log=$work/last-run.log
    # shellcheck disable=SC2086  # the folders hold no spaces
    "$fuzzer" -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=2048 ${dict:+-dict="$dict"} \
        -artifact_prefix="$work/" -print_final_stats=1 $dirs \
        > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
    if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
        echo "fuzz_$name: $runs runs in ${secs} s, corpus" \
             "$(find "$work/corpus" -type f | wc -l) files, no finding"
        echo "[       OK ] fuzz_$name"
        echo "[==========] 1 test(s) run."
        echo "[  PASSED  ] 1 test(s)."
        continue
    fi
    failed=1
    grep -a -A12 "^fuzz_$name: \|ERROR:\|runtime error" "$log" | head -40
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
             "$work"/oom-*; do
        [ -f "$a" ] && echo "artifact: $a (once fixed, keep it in" \
            "tests/fuzz/regressions/fuzz_$name/ if it is new)"
    done
    echo "[  FAILED  ] fuzz_$name (status $rc; log $log)"
    echo "[==========] 1 test(s) run."
    echo "[  PASSED  ] 0 test(s)."
    echo "[  FAILED  ] 1 test(s), listed below:"
done
if [ "$found" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "[==========] fuzz"
    echo "[  FAILED  ] no target in $build/fuzz/ (make fuzz)"
    echo "[  FAILED  ] 1 test(s), listed below:"
    failed=1
fi
exit "$failed"
