#!/usr/bin/env bash
# bench/rebuild.sh: `sheaf rebuild` of GNU hello (examples/gnu-hello, from
# bookworm's source package) against its original build, and that build
# against dpkg-buildpackage on the host, as a reference.
#
#   bench/rebuild.sh [--rounds N] [--sheaf PATH]
#
#   rebuild:   `sheaf rebuild hello` (the environment and sources read from
#              the build record, a fresh sandbox, the ids compared) against
#              `sheaf recipe build --rebuild` of the same recipe (the lock
#              read, nothing fetched, a fresh sandbox, the output added):
#              the aim is <= 1.1x
#   reference: `sheaf recipe build --rebuild` against `dpkg-buildpackage -b
#              -uc -us` of the same source files (dpkg-source -x into a
#              fresh directory first) with the host's tool chain. Not like
#              for like: Debian's packaging runs debhelper (man pages,
#              stripping, dwz, shlibdeps, the .deb), where the recipe runs
#              configure, make and make install. Needs debhelper, help2man
#              and texinfo on the host (apt-get install debhelper help2man
#              texinfo); without them this part is skipped, and says so.
#
# Both sheaf sides start with the build environment composed and the
# source files in the store. Run as root, on Debian 12.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: recipe builds mount their environment and need root" >&2; exit 2; }
command -v bwrap >/dev/null || { echo "bench: bwrap is missing (apt-get install bubblewrap)" >&2; exit 2; }

source "$repo/bench/lib.sh"
make_work_dir
store="$work/store"
cp -r "$repo/examples/gnu-hello" "$work/hello"
recipe="$work/hello/hello/hello.toml"

# The first build: lock, fetch, compose, and the source files into the store.
"$sheaf" --store "$store" recipe build "$recipe" >/dev/null 2>"$work/first.log" ||
  { cat "$work/first.log" >&2; exit 1; }
id=$("$sheaf" --store "$store" recipe build "$recipe" 2>/dev/null)

echo "sheaf rebuild of GNU hello 2.10-3, $rounds rounds ($(nproc) cores)"
ours=() theirs=()
for ((i = 0; i < rounds; i++)); do
  t0=$(now_ms)
  "$sheaf" --store "$store" rebuild "$id" >/dev/null 2>"$work/round.log" || { cat "$work/round.log" >&2; exit 1; }
  t1=$(now_ms)
  "$sheaf" --store "$store" recipe build --locked --rebuild "$recipe" >/dev/null 2>"$work/round.log" ||
    { cat "$work/round.log" >&2; exit 1; }
  t2=$(now_ms)
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
compare rebuild "sheaf rebuild" "sheaf recipe build" "${ours[@]}" "${theirs[@]}"

# The reference: Debian's own packaging of the same source, on the host.
missing=()
for tool in dpkg-buildpackage dh help2man makeinfo; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "reference skipped: the host lacks ${missing[*]} (apt-get install dpkg-dev debhelper help2man texinfo)"
  exit 0
fi
# The source files, from the store's cache, by the sha256 the lock pins.
src="$work/source"
mkdir -p "$src"
awk '/^\[\[source\]\]/{s=1} s && /name = "hello_/{print}' "$work/hello/hello/hello.lock" |
  sed -E 's/.*name = "([^"]+)", sha256 = "([0-9a-f]+)".*/\1 \2/' |
  while read -r name sha; do cp "$store/cache/apt/sources/$sha" "$src/$name"; done
host_build() {
  local dir
  dir=$(mktemp -d "$work/host-XXXXXX")
  (cd "$dir" && dpkg-source -x "$src/hello_2.10-3.dsc" hello >/dev/null 2>&1 &&
    cd hello && dpkg-buildpackage -b -uc -us >/dev/null 2>&1)
  rm -rf "$dir"
}
ours=() theirs=()
for ((i = 0; i < rounds; i++)); do
  t0=$(now_ms)
  "$sheaf" --store "$store" recipe build --locked --rebuild "$recipe" >/dev/null 2>"$work/round.log" ||
    { cat "$work/round.log" >&2; exit 1; }
  t1=$(now_ms)
  host_build
  t2=$(now_ms)
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
compare reference "sheaf recipe build" "dpkg-buildpackage -b" "${ours[@]}" "${theirs[@]}"
