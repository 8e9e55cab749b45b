#!/usr/bin/env bash
# bench/lock_fetch.sh: `sheaf lock` + `sheaf fetch` against its peer, apt's
# empty-status download of the same closure.
#
#   bench/lock_fetch.sh [--rounds N] [--sheaf PATH] [--package NAME]
#
# Both sides use the host's apt sources (bookworm, bookworm-updates,
# bookworm-security, main) over the network, so the numbers include the
# mirror's noise; runs alternate (sheaf, apt, sheaf, apt, ...) so both see it.
#
#   cold:    an empty store (no repository cache): `sheaf lock` (verify three
#            InRelease files, fetch and check three Packages.xz, parse, solve,
#            write sheaf.lock) then `sheaf fetch` (download 41 .debs, check
#            them, and import them into the store)
#            vs empty apt lists and archives: `apt-get update` then
#            `apt-get --download-only install NAME` into an empty dpkg status
#            (Acquire::Languages=none, so apt fetches no translations)
#   cached:  the same store and lists again: `sheaf lock --update` (InRelease
#            asked for again and verified, indexes and parsed indexes from the
#            cache) then `sheaf fetch` (everything already in the store)
#            vs `apt-get update` (If-Modified-Since) then the same
#            download-only install (everything already in the archives)
#   up to date: plain `sheaf lock` + `sheaf fetch` with a lock that still
#            satisfies the spec (no network at all) vs the cached apt run
#
# sheaf's cold run does more than apt's: it also imports every package into
# the store, which apt leaves to dpkg.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
package=python3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --package) package=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: apt-get needs root for its lock files" >&2; exit 2; }

source "$repo/bench/lib.sh"
make_work_dir

cat > "$work/sheaf.toml" <<TOML
[source.debian]
suites = ["bookworm", "bookworm-updates", "bookworm-security"]
components = ["main"]

[packages]
include = ["$package"]
TOML

apt_opts() {  # the apt state of round $1
  local d="$work/apt-$1"
  echo -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o Dir::Cache::archives="$d/archives" \
       -o Dir::State::status="$work/empty-status" -o APT::Install-Recommends=false -o Acquire::Languages=none
}
: > "$work/empty-status"

# Each round has its own store and apt state; nothing is deleted until the end.
time_sheaf() {  # round, extra lock arguments
  local store="$work/store-$1" t
  sync
  t=$(now_ms)
  "$sheaf" --store "$store" lock -f "$work/sheaf.toml" ${2:-} >/dev/null 2>&1
  "$sheaf" --store "$store" fetch -f "$work/sheaf.toml" >/dev/null 2>&1
  echo $(( $(now_ms) - t ))
}
time_apt() {  # round
  local d="$work/apt-$1" t
  mkdir -p "$d/lists/partial" "$d/cache" "$d/archives/partial"
  sync
  t=$(now_ms)
  # shellcheck disable=SC2046
  apt-get -qq $(apt_opts "$1") update >/dev/null
  # shellcheck disable=SC2046
  apt-get -qq -y $(apt_opts "$1") --download-only install "$package" >/dev/null
  echo $(( $(now_ms) - t ))
}

cold_sheaf=() cold_apt=() cached_sheaf=() cached_apt=() fresh_sheaf=() fresh_apt=()
for ((i = 0; i < rounds; i++)); do
  rm -f "$work/sheaf.lock"
  cold_sheaf+=("$(time_sheaf "$i")")
  cold_apt+=("$(time_apt "$i")")
done
n_debs=$(ls "$work/apt-0/archives"/*.deb | wc -l)
n_locked=$(grep -c '^\[\[package\]\]' "$work/sheaf.lock")
for ((i = 0; i < rounds; i++)); do
  cached_sheaf+=("$(time_sheaf "$i" --update)")
  cached_apt+=("$(time_apt "$i")")
done
for ((i = 0; i < rounds; i++)); do
  fresh_sheaf+=("$(time_sheaf "$i")")
  fresh_apt+=("$(time_apt "$i")")
done

echo "lock + fetch of $package: sheaf locked $n_locked packages, apt downloaded $n_debs; $rounds rounds"
compare cold "sheaf lock+fetch" "apt update+download" "${cold_sheaf[@]}" "${cold_apt[@]}"
compare cached "sheaf lock --update+fetch" "apt update+download" "${cached_sheaf[@]}" "${cached_apt[@]}"
compare "up to date" "sheaf lock+fetch" "apt update+download" "${fresh_sheaf[@]}" "${fresh_apt[@]}"
