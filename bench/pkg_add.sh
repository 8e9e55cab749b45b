#!/usr/bin/env bash
# bench/pkg_add.sh: `sheaf pkg add` against its peer, `cp -a TREE NEW && sync -f NEW`.
#
#   bench/pkg_add.sh [--rounds N] [--sheaf PATH] [TREE]
#
# Both sides read the same tree from the page cache and make a durable copy of
# it on the same filesystem. Runs alternate (sheaf, cp, sheaf, cp, ...) so that
# machine noise hits both, and a `sync` before each timed run keeps one run's
# writeback out of the next. Prints each side's median and the ratio.
#
#   cold:  `sheaf pkg add` into an empty store        vs cp -a + sync -f
#   warm:  `sheaf pkg add` of the same tree again     vs cp -a + sync -f
#
# Without TREE, it unpacks the python3 closure (bookworm, no Recommends) that
# the host's apt sources resolve, into bench/.cache/python3-tree, once.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=9
sheaf="$repo/build/release/src/cli/sheaf"
tree=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) tree=$1; shift ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }

if [ -z "$tree" ]; then
  cache="$repo/bench/.cache"
  tree="$cache/python3-tree"
  if [ ! -d "$tree" ]; then
    # The closure as apt resolves it, from the host's configured mirror.
    mkdir -p "$cache/debs/partial"
    : > "$cache/empty-status"
    apt-get -q -o Dir::State::status="$cache/empty-status" -o APT::Install-Recommends=false \
      -o Dir::Cache::archives="$cache/debs" --download-only -y install python3 >/dev/null
    mkdir -p "$tree.tmp"
    for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$tree.tmp"; done
    mv "$tree.tmp" "$tree"
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sheaf-bench-XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
clean() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"/*; sync; }

time_sheaf_cold() {
  clean
  "$sheaf" --store "$work/store" pkg ls >/dev/null  # an empty store, created outside the timing
  sync
  local t=$(now_ms); "$sheaf" --store "$work/store" pkg add "$tree" --name python3-closure --version 1 >/dev/null 2>&1; echo $(( $(now_ms) - t ))
}
time_sheaf_warm() { sync; local t=$(now_ms); "$sheaf" --store "$work/store" pkg add "$tree" --name python3-closure --version 1 >/dev/null 2>&1; echo $(( $(now_ms) - t )); }
time_cp() { rm -rf "$work/copy"; sync; local t=$(now_ms); cp -a "$tree" "$work/copy" && sync -f "$work/copy"; echo $(( $(now_ms) - t )); }

files=$(find "$tree" | wc -l)
size=$(du -sb "$tree" | cut -f1)
find "$tree" -type f -exec cat {} + >/dev/null  # warm the page cache for both sides
echo "tree: $tree ($files entries, $((size / 1000000)) MB); $rounds rounds each, alternating"

cold_sheaf=() cold_cp=() warm_sheaf=() warm_cp=()
for ((i = 0; i < rounds; i++)); do
  cold_sheaf+=("$(time_sheaf_cold)")
  cold_cp+=("$(time_cp)")
done
clean
"$sheaf" --store "$work/store" pkg add "$tree" --name python3-closure --version 1 >/dev/null 2>&1
for ((i = 0; i < rounds; i++)); do
  warm_sheaf+=("$(time_sheaf_warm)")
  warm_cp+=("$(time_cp)")
done

report() {
  local label=$1; shift
  local a b
  a=$(printf '%s\n' "${@:1:$rounds}" | median)
  b=$(printf '%s\n' "${@:$((rounds + 1))}" | median)
  printf '%-6s sheaf pkg add %6s ms   cp -a + sync -f %6s ms   ratio %s\n' "$label" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')"
}
report cold "${cold_sheaf[@]}" "${cold_cp[@]}"
report warm "${warm_sheaf[@]}" "${warm_cp[@]}"
