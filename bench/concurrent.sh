#!/usr/bin/env bash
# bench/concurrent.sh: four `sheaf build`s started together against one empty
# store, against the same four run one after another (also in one empty
# store), from the same loopback apt repository.
#
#   bench/concurrent.sh [--rounds N] [--sheaf PATH] [--link-rate MB_PER_S]
#
# The images are bookworm's nginx-light, sqlite3, redis-server and curl; they
# share libc6, libssl3 and more. The repository holds apt's own closure of
# the four (no Recommends, from the host's apt sources), indexed by
# apt-ftparchive, signed with a throwaway gpg key, and served on 127.0.0.1
# by src/testing/http_server.py (python3), whose log counts what was sent.
# --link-rate caps all its transfers together at that many MB/s, as the
# link to a real mirror does; without it the loopback is as fast as it goes.
#
#   together:    the four builds started at once; wall time until the last ends
#   one by one:  the same four, each started when the one before ended
#
# Each round runs both, in fresh stores, alternating which goes first. Every
# build locks (no sheaf.lock is kept between runs), fetches, and composes.
# Prints the medians, the ratio of the medians and the median of the per-round
# ratios, then the .deb bytes the server sent for each side, and how many
# .debs were sent more than once.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
link_rate=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --link-rate) link_rate=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
for tool in apt-get apt-ftparchive gpg python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install apt-utils gnupg python3 curl)" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
images=(nginx-light sqlite3 redis-server curl)

# 1. The repository: apt's closure of the four, from the host's mirror
#    (cached in bench/.cache/concurrent between runs).
debs="$repo/bench/.cache/concurrent/debs"
mkdir -p "$debs/partial"
: > "$repo/bench/.cache/concurrent/empty-status"
download() {
  apt-get -q -o Dir::State::status="$repo/bench/.cache/concurrent/empty-status" -o APT::Install-Recommends=false \
    -o Dir::Cache::archives="$debs" --download-only -y install "${images[@]}" >/dev/null
}
download 2>/dev/null || { apt-get -q update >/dev/null; download; }
mkdir -p "$work/repo/pool/main" "$work/repo/dists/bookworm/main/binary-amd64"
# Named as in Debian's pool, without the epoch apt writes into the name as "%3a".
for f in "$debs"/*.deb; do
  name=$(basename "$f" | sed 's/_[0-9]*%3a/_/')
  ln "$f" "$work/repo/pool/main/$name" 2>/dev/null || cp "$f" "$work/repo/pool/main/$name"
done
(
  cd "$work/repo"
  apt-ftparchive packages pool/main > dists/bookworm/main/binary-amd64/Packages
  xz -k dists/bookworm/main/binary-amd64/Packages
  apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm -o APT::FTPArchive::Release::Codename=bookworm \
    -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
    release dists/bookworm > dists/bookworm/Release
)
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg -q --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "sheaf bench key" ed25519 sign never 2>/dev/null
gpg -q --batch --clearsign -o "$work/repo/dists/bookworm/InRelease" "$work/repo/dists/bookworm/Release"
gpg -q --batch --export > "$work/key.gpg"

total_rate=$(awk -v r="$link_rate" 'BEGIN { printf "%d", r * 1e6 }')
python3 "$repo/src/testing/http_server.py" "$work/repo" "$work/server.log" --total-rate "$total_rate" > "$work/port" &
server=$!
trap 'kill $server 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(head -1 "$work/port")
curl -sf "http://127.0.0.1:$port/dists/bookworm/Release" >/dev/null || { echo "bench: the server did not start" >&2; exit 1; }

spec() {  # the spec of image $2 in project directory $1 (no lock beside it)
  rm -rf "$1"
  mkdir -p "$1"
  cat > "$1/sheaf.toml" <<TOML
[image]
name = "$2"

[source.debian]
suites = ["bookworm"]
arch = "amd64"
mirror = "http://127.0.0.1:$port"
keyring = "$work/key.gpg"

[packages]
include = ["$2"]
TOML
}

export SOURCE_DATE_EPOCH=1700000000
# The bytes of .debs the server sent after entry $1 of its log, and how many
# .debs it sent more than once.
sent_since() {
  python3 - "$work/server.log.jsonl" "$1" <<'PY'
import collections, json, sys
entries = [json.loads(line) for line in open(sys.argv[1])][int(sys.argv[2]):]
debs = [e for e in entries if e["path"].endswith(".deb")]
times = collections.Counter(e["path"] for e in debs if e["status"] in ("200", "206"))
print(sum(e["bytes"] for e in debs), sum(1 for n in times.values() if n > 1))
PY
}
log_lines() { if [ -f "$work/server.log.jsonl" ]; then wc -l < "$work/server.log.jsonl"; else echo 0; fi; }

run_together() {  # round
  local store="$work/together-$1" pids=() image
  for image in "${images[@]}"; do spec "$work/t$1/$image" "$image"; done
  for image in "${images[@]}"; do
    "$sheaf" --store "$store" build -f "$work/t$1/$image/sheaf.toml" > "$work/t$1/$image.out" 2> "$work/t$1/$image.err" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || { echo "bench: a build failed:" >&2; cat "$work/t$1"/*.err >&2; exit 1; }; done
}
run_one_by_one() {  # round
  local store="$work/sequential-$1" image
  for image in "${images[@]}"; do
    spec "$work/s$1/$image" "$image"
    "$sheaf" --store "$store" build -f "$work/s$1/$image/sheaf.toml" > "$work/s$1/$image.out" 2> "$work/s$1/$image.err" ||
      { echo "bench: a build failed:" >&2; cat "$work/s$1/$image.err" >&2; exit 1; }
  done
}

# One unmeasured run, which also checks that the digests agree.
run_one_by_one warmup
run_together warmup
for image in "${images[@]}"; do
  cmp -s "$work/swarmup/$image.out" "$work/twarmup/$image.out" ||
    { echo "bench: $image differs between the two ways of building" >&2; exit 1; }
done

together=() sequential=() bytes_together=() bytes_sequential=() twice_together=0
for ((i = 0; i < rounds; i++)); do
  for side in $( ((i % 2)) && echo "s t" || echo "t s"); do
    sync
    from=$(log_lines)
    t0=$(now_ms)
    if [ "$side" = t ]; then run_together "$i"; else run_one_by_one "$i"; fi
    elapsed=$(( $(now_ms) - t0 ))
    read -r bytes twice < <(sent_since "$from")
    if [ "$side" = t ]; then
      together+=("$elapsed"); bytes_together+=("$bytes"); twice_together=$((twice_together + twice))
    else
      sequential+=("$elapsed"); bytes_sequential+=("$bytes")
    fi
  done
  rm -rf "$work/together-$i" "$work/sequential-$i"
done

packages=$(ls "$work/repo/pool/main" | wc -l)
link="loopback at full speed"
[ "$total_rate" -gt 0 ] && link="loopback capped at $link_rate MB/s in all"
echo "four bookworm builds (${images[*]}), $packages .debs in the repository, $link, $rounds rounds"
compare builds "together" "one by one" "${together[@]}" "${sequential[@]}"
printf 'bytes     .debs sent: together %s MB, one by one %s MB (medians); .debs sent twice while together: %d\n' \
  "$(printf '%s\n' "${bytes_together[@]}" | median | awk '{ printf "%.1f", $1 / 1e6 }')" \
  "$(printf '%s\n' "${bytes_sequential[@]}" | median | awk '{ printf "%.1f", $1 / 1e6 }')" "$twice_together"
