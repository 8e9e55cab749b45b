#!/usr/bin/env bash
# bench/fetch-closure.sh [DIR]: download bookworm's python3 closure (no
# Recommends), exactly as apt resolves it, into DIR (default
# bench/.cache/debs). The mirror is whatever the host's apt sources name.
# Used by the benchmarks, by `tools/dev example`, and by the acceptance test
# Import.TheRealPython3ClosureMatchesDpkg. Idempotent; prints DIR.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo/bench/.cache/debs}
state=$(dirname "$dir")
mkdir -p "$dir/partial"
: > "$state/empty-status"

download() {
  apt-get -q -o Dir::State::status="$state/empty-status" -o APT::Install-Recommends=false \
    -o Dir::Cache::archives="$dir" --download-only -y install python3 >/dev/null
}

if ! download 2>/dev/null; then
  # A fresh machine may have no package lists yet.
  if [ "$(id -u)" = 0 ]; then apt-get -q update >/dev/null; else sudo apt-get -q update >/dev/null; fi
  download
fi
echo "$dir"
