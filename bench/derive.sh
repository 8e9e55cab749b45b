#!/usr/bin/env bash
# bench/derive.sh: what deriving maintainer-script effects costs, on an image
# of PACKAGE... from bookworm (docs/decisions.md, "Maintainer scripts are read,
# not run"): this sheaf against another build of sheaf (the commit before
# the derivation existed), the two alternating.
#
#   bench/derive.sh --against OLD_SHEAF [--rounds N] [--sheaf PATH] PACKAGE...
#
#   import:  `sheaf pkg import` of the image's .debs into an empty store
#            (this sheaf also reads the scripts and each program's first
#            bytes or ELF symbols, and keeps the scripts)
#   build:   `sheaf build --locked` into a new layout, every package already
#            in the store (this sheaf also applies the effects)
#
# The spec has no `env`, so both build the same packages from one lock that
# both read. The .debs come through the host's apt configuration.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
against=""
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --against) against=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench: unknown argument $1" >&2; exit 2 ;;
    *) packages+=("$1"); shift ;;
  esac
done
[ ${#packages[@]} -gt 0 ] || { echo "bench: name the image's packages" >&2; exit 2; }
for b in "$sheaf" "$against"; do
  [ -x "$b" ] || { echo "bench: no sheaf at '$b' (--against is required)" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
export SOURCE_DATE_EPOCH=1700000000

mkdir -p "$work/spec" "$work/debs"
include=$(printf '"%s", ' "${packages[@]}")
cat > "$work/spec/sheaf.toml" <<EOF
[image]
name = "bench-derive"

[source.debian]
suites = ["bookworm", "bookworm-updates", "bookworm-security"]

[packages]
include = [${include%, }]
EOF
"$against" --store "$work/lock-store" lock -f "$work/spec/sheaf.toml" >/dev/null
# The locked .debs, through apt.
awk '/^\[\[package\]\]/{p = 1} p && /^name = /{n = $3} p && /^version = /{v = $3; gsub(/"/, "", n); gsub(/"/, "", v); print n "=" v}' \
  "$work/spec/sheaf.lock" > "$work/wanted"
(cd "$work/debs" && xargs apt-get download -qq < "$work/wanted" >/dev/null 2>&1)
count=$(ls "$work/debs"/*.deb | wc -l)
mb=$(du -sm "$work/debs" | cut -f1)

import_new=() import_old=() build_new=() build_old=()
for ((i = 0; i < rounds; i++)); do
  order=(new old); [ $((i % 2)) = 1 ] && order=(old new)
  for who in "${order[@]}"; do
    bin=$sheaf; [ "$who" = old ] && bin=$against
    sync
    t0=$(now_ms); "$bin" --store "$work/$who-$i" pkg import "$work/debs" >/dev/null 2>&1; t1=$(now_ms)
    eval "import_$who+=(\$((t1 - t0)))"
  done
  for who in "${order[@]}"; do
    bin=$sheaf; [ "$who" = old ] && bin=$against
    t0=$(now_ms)
    "$bin" --store "$work/$who-$i" build -f "$work/spec/sheaf.toml" --locked -o "$work/$who-layout-$i" >/dev/null 2>&1
    t1=$(now_ms)
    eval "build_$who+=(\$((t1 - t0)))"
  done
done
echo "image of ${packages[*]}: $count .debs, $mb MB, $rounds rounds: $sheaf against $against"
compare import "this sheaf" "the other sheaf" "${import_new[@]}" "${import_old[@]}"
compare build "this sheaf" "the other sheaf" "${build_new[@]}" "${build_old[@]}"
