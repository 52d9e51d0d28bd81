#!/bin/sh
# Install the npm packages that a test folder locks (its package-lock.json)
# into its own node_modules with `npm ci`, unless they are there already
# and the lock has not changed since. No browser is downloaded: the tests
# drive Debian's chromium.
set -eu
dir=$1
stamp=$dir/node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ]; then
    exit 0
fi
if ! command -v npm > /dev/null; then
    echo "deps: npm is missing (apt-get install -y npm)" >&2
    exit 1
fi
echo "deps: npm ci in $dir"
cd "$dir"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
