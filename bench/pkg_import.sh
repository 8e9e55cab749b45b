#!/usr/bin/env bash
# bench/pkg_import.sh: `sheaf pkg import` against its peer, `dpkg-deb -x`.
#
#   bench/pkg_import.sh [--rounds N] [--sheaf PATH] [DEBDIR]
#
# Both sides unpack the same .deb files, read from the page cache, on the same
# filesystem. Runs alternate (sheaf, dpkg, sheaf, dpkg, ...) so that machine
# noise hits both, and a `sync` before each timed run keeps one run's
# writeback out of the next. Prints each side's median, the ratio of the
# medians, and the median of the per-round ratios.
#
#   cold:    `sheaf pkg import DEBDIR` into an empty store
#            vs `for d in DEBDIR/*.deb; do dpkg-deb -x $d OUT; done`
#            and vs the same followed by `sync -f OUT` (sheaf's result is
#            durable when it exits; dpkg-deb's is not)
#   reimport: the same import into a store that already holds every package
#            (hash each .deb, find its origin, done) vs the plain dpkg-deb -x
#
# Also prints sheaf's CPU time over wall time, to show that the import uses
# every core. Without DEBDIR it uses bookworm's python3 closure (41 .deb
# files), fetched once with bench/fetch-closure.sh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=9
sheaf="$repo/build/release/src/cli/sheaf"
debs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) debs=$1; shift ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
[ -n "$debs" ] || debs=$("$repo/bench/fetch-closure.sh")

source "$repo/bench/lib.sh"
make_work_dir


# Every run writes into a directory of its own and nothing is deleted until
# the end (see bench/pkg_add.sh: deleting many files on these machines slows
# the next file creations down).
time_sheaf_cold() {
  local store="$work/cold-$1"
  "$sheaf" --store "$store" pkg ls >/dev/null  # an empty store, created outside the timing
  sync
  local t=$(now_ms)
  "$sheaf" --store "$store" pkg import "$debs" >/dev/null 2>&1
  echo $(( $(now_ms) - t ))
}
time_sheaf_reimport() {
  sync
  local t=$(now_ms)
  "$sheaf" --store "$work/cold-0" pkg import "$debs" >/dev/null 2>&1
  echo $(( $(now_ms) - t ))
}
time_dpkg() {  # round, then "sync" to make the result durable too
  local out="$work/dpkg-$1" d
  mkdir -p "$out"
  sync
  local t=$(now_ms)
  for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$out"; done
  [ "${2:-}" = sync ] && sync -f "$out"
  echo $(( $(now_ms) - t ))
}

count=$(ls "$debs"/*.deb | wc -l)
size=$(cat "$debs"/*.deb | wc -c)
cat "$debs"/*.deb >/dev/null  # warm the page cache for both sides
echo "debs: $debs ($count files, $((size / 1000000)) MB); $rounds rounds each, alternating; $(nproc) cores"

cold_sheaf=() cold_dpkg=() cold_dpkg_sync=() re_sheaf=() re_dpkg=()
for ((i = 0; i < rounds; i++)); do
  cold_sheaf+=("$(time_sheaf_cold "$i")")
  cold_dpkg+=("$(time_dpkg "cold-$i")")
  cold_dpkg_sync+=("$(time_dpkg "cold-sync-$i" sync)")
done
for ((i = 0; i < rounds; i++)); do
  re_sheaf+=("$(time_sheaf_reimport)")
  re_dpkg+=("$(time_dpkg "re-$i")")
done

compare cold "sheaf pkg import" "dpkg-deb -x" "${cold_sheaf[@]}" "${cold_dpkg[@]}"
compare cold "sheaf pkg import" "dpkg-deb -x + sync -f" "${cold_sheaf[@]}" "${cold_dpkg_sync[@]}"
compare reimport "sheaf pkg import" "dpkg-deb -x" "${re_sheaf[@]}" "${re_dpkg[@]}"

# CPU use of one more cold import: user+sys over wall, out of $(nproc).
"$sheaf" --store "$work/cpu" pkg ls >/dev/null
sync
/usr/bin/time -f '%e %U %S' -o "$work/cpu.time" "$sheaf" --store "$work/cpu" pkg import "$debs" >/dev/null 2>&1
read -r wall user sys < "$work/cpu.time"
awk -v w="$wall" -v u="$user" -v s="$sys" -v n="$(nproc)" \
  'BEGIN { printf "cpu       one cold import: %.2f s wall, %.2f s user + %.2f s sys = %.2f cores busy of %d\n", w, u, s, (u + s) / w, n }'
