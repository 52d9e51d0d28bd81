#!/usr/bin/env bash
# Run Curator's benchmarks and, on the same input in the same run, the
# peer: Python's feedparser (Debian python3-feedparser), the reference
# feed parser most readers are measured against.
set -euo pipefail
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/tests/bench/bench_ingest" "$tmp/feed.xml"

/usr/bin/python3 - "$tmp/feed.xml" <<'PY'
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
