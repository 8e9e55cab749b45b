#!/usr/bin/env bash
# bench/multiarch.sh: an image index for amd64 and arm64 from one spec
# (examples/multiarch-python: python3 and tzdata), cold, against one
# architecture's image and against mmdebstrap for arm64.
#
#   bench/multiarch.sh [--rounds N] [--sheaf PATH]
#
#   index:  `sheaf build --locked` of the two-architecture spec into an empty
#           store (fetch every .deb of both sections, import, compose two
#           images and the index) vs the same spec with arch = "amd64" into
#           an empty store: the price of the second architecture. Nothing is
#           emulated, so the aim is at most 2.2x.
#   arm64:  `sheaf build --locked` of the spec with arch = "arm64" into an
#           empty store vs `mmdebstrap --variant=extract --arch=arm64
#           --include=python3,tzdata bookworm` into a tar (unpack only, no
#           maintainer scripts, so no emulation either), each from the host's
#           apt sources (mmdebstrap is given /etc/apt's own sources file).
#           With the lock, sheaf downloads only the .debs it names.
#   arm64-resolve: the same sheaf build without a lock (it downloads and
#           verifies the suites' indexes and resolves, as mmdebstrap does)
#           vs the same mmdebstrap run: like for like.
#
# Each cold run downloads the .debs again (and, without a lock, the
# indexes): the network is part of what is timed, so quote medians and
# ratios. The locks are made once before the rounds. Debian 12, the host's
# apt sources reaching a bookworm mirror; mmdebstrap installed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=3
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "bench: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 2; }
sources=""
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
  [ -f "$f" ] && { sources=$f; break; }
done
[ -n "$sources" ] || { echo "bench: the host has no apt sources for mmdebstrap" >&2; exit 2; }

source "$repo/bench/lib.sh"
make_work_dir
export SOURCE_DATE_EPOCH=1700000000

# Three specs: the example, and the example for one architecture.
for variant in index amd64 arm64; do
  mkdir -p "$work/$variant"
  case $variant in
    index) arch='["amd64", "arm64"]' ;;
    *) arch="\"$variant\"" ;;
  esac
  sed "s/^arch = .*/arch = $arch/" "$repo/examples/multiarch-python/sheaf.toml" > "$work/$variant/sheaf.toml"
  "$sheaf" --store "$work/lock-store" lock -f "$work/$variant/sheaf.toml" >/dev/null 2>"$work/lock.log" ||
    { cat "$work/lock.log" >&2; exit 1; }
done

cold() {  # VARIANT ROUND [unlocked]: prints milliseconds
  local s="$work/store-$1-$2" t0 t1 spec="$work/$1/sheaf.toml" locked=--locked
  if [ "${3:-}" = unlocked ]; then
    mkdir -p "$work/unlocked-$2"
    cp "$spec" "$work/unlocked-$2/sheaf.toml"
    spec="$work/unlocked-$2/sheaf.toml" locked=""
  fi
  sync
  t0=$(now_ms)
  "$sheaf" --store "$s" build -f "$spec" $locked >"$work/out" 2>"$work/build.log" ||
    { cat "$work/build.log" >&2; exit 1; }
  t1=$(now_ms)
  rm -rf "$s" "$work/unlocked-$2"
  echo $((t1 - t0))
}
peer() {  # ROUND: prints milliseconds
  local out="$work/peer-$1" t0 t1
  mkdir -p "$out"
  sync
  t0=$(now_ms)
  mmdebstrap --quiet --variant=extract --arch=arm64 --include=python3,tzdata bookworm "$out/rootfs.tar" \
    "$sources" 2>"$work/peer.log" || { cat "$work/peer.log" >&2; exit 1; }
  t1=$(now_ms)
  rm -rf "$out"
  echo $((t1 - t0))
}

echo "cold builds from the host's mirror, $rounds rounds ($(nproc) cores)"
index=() amd=() arm=() resolve=() mm=()
for ((i = 0; i < rounds; i++)); do
  index+=("$(cold index "$i")")
  amd+=("$(cold amd64 "$i")")
  arm+=("$(cold arm64 "$i")")
  resolve+=("$(cold arm64 "$i" unlocked)")
  mm+=("$(peer "$i")")
done
compare index "sheaf amd64+arm64" "sheaf amd64 only" "${index[@]}" "${amd[@]}"
compare arm64 "sheaf arm64 (locked)" "mmdebstrap arm64" "${arm[@]}" "${mm[@]}"
compare arm64-resolve "sheaf arm64 (resolving)" "mmdebstrap arm64" "${resolve[@]}" "${mm[@]}"
compare index-mm "sheaf amd64+arm64" "mmdebstrap arm64" "${index[@]}" "${mm[@]}"
