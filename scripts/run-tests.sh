#!/usr/bin/env bash
# Run cmocka test binaries one after another, show their output, and end
# with one line summing them all: "N passed, N failed". A binary that
# crashes or times out before its own summary counts as one failure.
# $TEST_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs each one.
set -uo pipefail

passed=0
failed=0
failed_names=()
limit=${TEST_TIMEOUT:-600}

for t in "$@"; do
    echo "== $t"
    out=$(mktemp)
    # shellcheck disable=SC2086
    timeout --kill-after=10 "$limit" ${TEST_WRAPPER:-} "$t" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" \
        | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" \
        | awk '{s+=$1} END {print s+0}')
    rm -f "$out"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $t exited with status $rc before reporting a failure"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failed_names+=("$t")
done

if [ "${#failed_names[@]}" -gt 0 ]; then
    echo "failing suites: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
