#!/usr/bin/env bash
# Benchmark: the sanitiser's throughput on the item HTML of the bench
# corpus ($build/bench-corpus, made by gen-corpus.py), beside Python's
# bleach (Debian python3-bleach, html5lib underneath), the sanitiser most
# Python feed readers use, on the same fragments in the same run, with a
# comparable allowlist. MB = 10^6 bytes of input HTML. Exits non-zero
# only when a tool fails; a missed target is reported, not fatal.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
corpus=$build/bench-corpus
out=$build/bench-sanitize
mkdir -p "$out"
[ -f "$corpus/manifest.tsv" ] || $py "$here/gen-corpus.py" "$corpus"

# The item HTML (content and summary) of every 4th feed, as `curator
# parse` gives it, one fragment after another, separated by NUL bytes.
frags=$out/items.html0
mapfile -t files < <(awk -F'\t' -v d="$corpus" \
    '$1 ~ /^feeds\// && n++ % 4 == 0 { print d "/" $1 }' \
    "$corpus/manifest.tsv")
for f in "${files[@]}"; do
    "$build/curator" parse "$f"
    printf '\n\036\n'
done | $py -c '
import json, sys
out = open(sys.argv[1], "wb")
for doc in sys.stdin.read().split("\n\036\n"):
    if not doc.strip():
        continue
    for it in json.loads(doc)["items"]:
        for h in (it.get("content_html"),
                  (it.get("_curator") or {}).get("summary_html")):
            if h:
                out.write(h.encode("utf-8") + b"\0")
' "$frags"

"$build/tests/bench/bench_sanitize" "$frags" | tee "$out/curator.txt"

$py - "$frags" <<'PY' | tee "$out/bleach.txt"
import sys, time
import bleach
frags = [f.decode("utf-8") for f in open(sys.argv[1], "rb").read().split(b"\0")
         if f]
size = sum(len(f.encode("utf-8")) for f in frags)
# What Curator's web profile keeps, in bleach's terms.
tags = ["a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption",
        "cite", "code", "data", "dd", "del", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
        "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "small", "span", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr"]
attrs = {"*": ["title", "lang", "dir"], "a": ["href"],
         "img": ["src", "srcset", "alt", "width", "height"],
         "blockquote": ["cite"], "q": ["cite"], "del": ["cite", "datetime"],
         "ins": ["cite", "datetime"], "time": ["datetime"],
         "ol": ["start", "reversed", "type"], "li": ["value"],
         "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan", "scope"]}
best = None
for _ in range(2):
    t0 = time.perf_counter()
    for f in frags:
        bleach.clean(f, tags=tags, attributes=attrs,
                     protocols=["http", "https", "mailto"], strip=True,
                     strip_comments=True)
    t = time.perf_counter() - t0
    best = t if best is None or t < best else best
print("bench sanitize_html bleach %s: %.1f MB in %d fragments, best of 2: "
      "%.3f s, %.2f MB/s, %.0f fragments/s" % (bleach.__version__, size / 1e6,
      len(frags), best, size / 1e6 / best, len(frags) / best))
PY

ours=$(sed -n 's/^bench sanitize_html curator:.* \([0-9.]*\) MB\/s.*/\1/p' \
    "$out/curator.txt")
theirs=$(sed -n 's/^bench sanitize_html bleach.* \([0-9.]*\) MB\/s.*/\1/p' \
    "$out/bleach.txt")
awk -v c="$ours" -v b="$theirs" 'BEGIN {
    printf "curator sanitize_html vs bleach: %.1f MB/s vs %.2f MB/s, %.0fx" \
           " (target >= 10x)\n", c, b, c / b }'
