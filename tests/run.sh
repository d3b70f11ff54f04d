#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine, then runs every test.
# Usage: bash tests/run.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

debs="resource-agents fence-agents pacemaker-resource-agents pacemaker-cli-utils"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=""
    for p in $debs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
fi
python3 -m pip install -q -e '.[test]'
python3 -m ruff check actors transport fencing examples tests
exec python3 -m pytest --cluster -q "$@"
