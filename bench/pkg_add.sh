#!/usr/bin/env bash
# bench/pkg_add.sh: `sheaf pkg add` against its peer, `cp -a TREE NEW && sync -f NEW`.
#
#   bench/pkg_add.sh [--rounds N] [--sheaf PATH] [TREE]
#
# Both sides read the same tree from the page cache and make a durable copy of
# it on the same filesystem. Runs alternate (sheaf, cp, sheaf, cp, ...) so that
# machine noise hits both, and a `sync` before each timed run keeps one run's
# writeback out of the next. Prints each side's median, the ratio of the
# medians, and the median of the per-round ratios.
#
#   cold:  `sheaf pkg add` into an empty store        vs cp -a + sync -f
#   warm:  `sheaf pkg add` of the same tree again     vs cp -a + sync -f
#          (unchanged files are answered by the store's file cache)
#   rehash: `sheaf pkg add --rehash` of the same tree  vs cp -a + sync -f
#          (every file read and hashed again; nothing new is written)
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
    "$repo/bench/fetch-closure.sh" "$cache/debs" >/dev/null
    mkdir -p "$tree.tmp"
    for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$tree.tmp"; done
    mv "$tree.tmp" "$tree"
  fi
fi

source "$repo/bench/lib.sh"
make_work_dir


# Every run writes into a directory of its own and nothing is deleted until
# the end: on an ext4 without a journal (these machines), creating files soon
# after mass deletion makes the kernel scan recently deleted inodes, which
# would measure the benchmark's own clean-up rather than either tool.
# Each takes the round number: they run in $(...) subshells, so a counter
# kept inside them would not advance.
time_sheaf_cold() {
  local store="$work/cold-$1"
  "$sheaf" --store "$store" pkg ls >/dev/null  # an empty store, created outside the timing
  sync
  local t=$(now_ms)
  "$sheaf" --store "$store" pkg add "$tree" --name python3-closure --version 1 >/dev/null 2>&1
  echo $(( $(now_ms) - t ))
}
time_sheaf_warm() {
  sync
  local t=$(now_ms)
  "$sheaf" --store "$work/warm" pkg add "$tree" --name python3-closure --version 1 "$@" >/dev/null 2>&1
  echo $(( $(now_ms) - t ))
}
time_cp() {
  sync
  local t=$(now_ms)
  cp -a "$tree" "$work/copy-$1" && sync -f "$work/copy-$1"
  echo $(( $(now_ms) - t ))
}

files=$(find "$tree" | wc -l)
size=$(du -sb "$tree" | cut -f1)
find "$tree" -type f -exec cat {} + >/dev/null  # warm the page cache for both sides
free_mb=$(df -Pm "$work" | awk 'NR == 2 {print $4}')
need_mb=$(( size / 1000000 * rounds * 4 + 100 ))
[ "$free_mb" -gt "$need_mb" ] || { echo "bench: needs ${need_mb} MB free in $work, has ${free_mb} MB" >&2; exit 3; }
echo "tree: $tree ($files entries, $((size / 1000000)) MB); $rounds rounds each, alternating"

cold_sheaf=() cold_cp=() warm_sheaf=() warm_cp=() rehash_sheaf=() rehash_cp=()
for ((i = 0; i < rounds; i++)); do
  cold_sheaf+=("$(time_sheaf_cold "$i")")
  cold_cp+=("$(time_cp "cold-$i")")
done
"$sheaf" --store "$work/warm" pkg add "$tree" --name python3-closure --version 1 >/dev/null 2>&1
for ((i = 0; i < rounds; i++)); do
  warm_sheaf+=("$(time_sheaf_warm)")
  warm_cp+=("$(time_cp "warm-$i")")
done
for ((i = 0; i < rounds; i++)); do
  rehash_sheaf+=("$(time_sheaf_warm --rehash)")
  rehash_cp+=("$(time_cp "rehash-$i")")
done

compare cold "sheaf pkg add" "cp -a + sync -f" "${cold_sheaf[@]}" "${cold_cp[@]}"
compare warm "sheaf pkg add" "cp -a + sync -f" "${warm_sheaf[@]}" "${warm_cp[@]}"
compare rehash "sheaf pkg add" "cp -a + sync -f" "${rehash_sheaf[@]}" "${rehash_cp[@]}"
