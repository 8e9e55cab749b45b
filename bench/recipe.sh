#!/usr/bin/env bash
# bench/recipe.sh: a recipe build in sheaf's sandbox against the same steps
# run directly on the host, and an unchanged recipe answered from the cache.
#
#   bench/recipe.sh [--rounds N] [--sheaf PATH] [--units N]
#
#   greet:   examples/greet/libgreet (one C file, a shared library): sheaf's
#            fixed cost of a build shows here
#   units:   a generated C library of N translation units (default 150),
#            built with make -j$(nproc): a build whose compiling dominates
#   cache:   `sheaf recipe build` of the unchanged recipe, answered from the
#            store, against `make` in the host's already-built tree (nothing
#            to do)
#
# sheaf: `sheaf recipe build --rebuild`, with the build environment locked,
# fetched and composed before the first round (nothing is fetched), so a
# round is: mount the environment, lay out the sources, run each step in
# bwrap, add the output to the store. Host: unpack the same tarball into a
# fresh directory, run the same steps with DESTDIR set, with the host's own
# tool chain (Debian 12's, the same versions the environment locks when the
# host is up to date). Run as root, on Debian 12.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=7
units=150
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: recipe builds mount their environment and need root" >&2; exit 2; }
for tool in bwrap make gcc tar; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
store="$work/store"
cp -r "$repo/examples/greet" "$work/greet"
rm -f "$work"/greet/*.lock "$work"/greet/*/*.lock

# The generated library: N files of a few arithmetic functions each, and a
# Makefile that builds them into one shared library.
gen="$work/units/libunits-1.0"
mkdir -p "$gen"
for ((k = 0; k < units; k++)); do
  cat > "$gen/unit$k.c" <<EOF
#include <stdint.h>
uint64_t unit${k}_mix(uint64_t x) { for (int i = 0; i < 64; ++i) x = (x ^ (x >> 31)) * 0x9e3779b97f4a7c15ull + $k; return x; }
double unit${k}_poly(double x) { double s = 0; for (int i = 0; i < 16; ++i) s = s * x + (double)(i * $k); return s; }
int unit${k}_count(const char *s) { int n = 0; while (*s) n += (*s++ == 'a' + ($k % 26)); return n; }
EOF
done
cat > "$gen/Makefile" <<'EOF'
CC ?= cc
CFLAGS ?= -O2
OBJS := $(patsubst %.c,%.o,$(sort $(wildcard unit*.c)))
all: libunits.so.1
%.o: %.c
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<
libunits.so.1: $(OBJS)
	$(CC) -shared -Wl,-soname,libunits.so.1 -o $@ $(OBJS)
install: libunits.so.1
	install -d $(DESTDIR)/usr/lib
	install -m 0644 libunits.so.1 $(DESTDIR)/usr/lib/libunits.so.1
EOF
tar --sort=name --mtime=2026-12-01T00:00:00Z --owner=0 --group=0 --numeric-owner -C "$work/units" -cf - libunits-1.0 |
  gzip -n > "$work/units/libunits-1.0.tar.gz"
rm -rf "$gen"
cat > "$work/units/libunits.toml" <<EOF
[package]
name = "libunits1"
version = "1.0-1+bench1"

[source.debian]
suites = ["bookworm"]

[[sources]]
path = "libunits-1.0.tar.gz"
sha256 = "$(sha256sum "$work/units/libunits-1.0.tar.gz" | cut -d' ' -f1)"
strip_components = 1

[build]
steps = ["make -j\$(nproc)", "make install"]
EOF

# Everything the rounds need, made once: locks, fetched packages, the
# composed environment, and the package trees the sandbox mounts.
for recipe in "$work/greet/libgreet/libgreet.toml" "$work/units/libunits.toml"; do
  "$sheaf" --store "$store" recipe build "$recipe" >/dev/null 2>"$work/first.log" ||
    { cat "$work/first.log" >&2; exit 1; }
done

# The host's side: the same tarball, the same steps, DESTDIR set.
host_build() {  # TARBALL STEP...
  local tarball=$1; shift
  local dir
  dir=$(mktemp -d "$work/host-XXXXXX")
  mkdir -p "$dir/src" "$dir/dest"
  tar -xzf "$tarball" -C "$dir/src" --strip-components=1
  (cd "$dir/src" && for step in "$@"; do DESTDIR="$dir/dest" sh -e -c "$step" >/dev/null; done)
  rm -rf "$dir"
}

measure() {  # LABEL RECIPE TARBALL STEP...
  local label=$1 recipe=$2 tarball=$3; shift 3
  local ours=() theirs=() t0 t1 t2
  for ((i = 0; i < rounds; i++)); do
    t0=$(now_ms)
    "$sheaf" --store "$store" recipe build --rebuild "$recipe" >/dev/null 2>"$work/round.log" ||
      { cat "$work/round.log" >&2; exit 1; }
    t1=$(now_ms)
    host_build "$tarball" "$@"
    t2=$(now_ms)
    ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
  done
  compare "$label" "sheaf recipe build" "steps on the host" "${ours[@]}" "${theirs[@]}"
}

echo "recipe builds, $rounds rounds ($(nproc) cores)"
measure greet "$work/greet/libgreet/libgreet.toml" "$work/greet/libgreet/libgreet-1.0.tar.gz" \
  "make" "make install PREFIX=/usr"
measure "units" "$work/units/libunits.toml" "$work/units/libunits-1.0.tar.gz" 'make -j$(nproc)' "make install"

# The cache: the unchanged recipe, against make with nothing to do.
built="$work/host-built"
mkdir -p "$built"
tar -xzf "$work/units/libunits-1.0.tar.gz" -C "$built" --strip-components=1
make -C "$built" -j"$(nproc)" >/dev/null
ours=() theirs=()
for ((i = 0; i < rounds; i++)); do
  t0=$(now_ms)
  "$sheaf" --store "$store" recipe build "$work/units/libunits.toml" >/dev/null 2>"$work/round.log"
  t1=$(now_ms)
  make -C "$built" >/dev/null
  t2=$(now_ms)
  grep -q "built before with the same inputs" "$work/round.log" || { echo "bench: not answered from the cache" >&2; exit 1; }
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
compare cache "sheaf recipe build" "make, nothing to do" "${ours[@]}" "${theirs[@]}"
