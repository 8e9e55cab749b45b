#!/usr/bin/env bash
# bench/build.sh: `sheaf build` of the python3 image against its peer, the
# script-free Dockerfile-era pipeline over the same .deb files.
#
#   bench/build.sh [--rounds N] [--sheaf PATH] [--no-size]
#   bench/build.sh --against OLD_SHEAF [--rounds N] [--sheaf PATH]
#
#   cold:    an empty store, the locked .debs already on disk:
#            `sheaf pkg import DEBS` then `sheaf build --locked -o LAYOUT`
#            vs `mmdebstrap --variant=extract --include=python3` from a
#            loopback HTTP repository holding exactly those .debs, then
#            `umoci init`, `umoci new` and `umoci raw add-layer` of its tar
#   durable: the same cold runs, with the peer followed by `sync -f` on its
#            output: sheaf's store writes are durable (syncfs) when it exits,
#            the peer's are not. A `sync` runs before each timed cold run.
#   warm:    `sheaf build --locked -o LAYOUT` again, every package (and its
#            layer) already in the store, into a new layout
#            vs the same peer pipeline again (it has no cache to reuse)
#   memory:  the peak RSS of each step of a cold run (a run of its own)
#   size:    the image's bytes against `mmdebstrap --variant=essential
#            --include=python3` (which runs maintainer scripts) from the
#            host's apt sources; once, not per round. --no-size skips it.
#
# The .debs are bench/fetch-closure.sh's (apt's own python3 closure) and the
# implicit packages the lock adds (libc-bin, for the example's C.UTF-8); the
# lock is made once from the host's mirror and must name exactly those files.
# The peer includes the implicit packages too.
#
# --against OLD_SHEAF times this sheaf against another build of sheaf (the
# commit before a change) instead of the peer: cold and warm, the two
# binaries alternating (which goes first alternates by round), on the
# example's spec without its `env` (so that an older sheaf, which adds no
# implicit packages, builds the same 41 packages from a lock both read).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
size=1
against=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --no-size) size=0; shift ;;
    --against) against=$2; shift 2 ;;
    -h|--help) sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
for tool in mmdebstrap umoci apt-ftparchive python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install mmdebstrap umoci apt-utils python3)" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir

closure=$("$repo/bench/fetch-closure.sh")
mkdir -p "$work/spec" "$work/repo" "$work/debs"
for f in "$closure"/*.deb; do ln "$f" "$work/debs/" 2>/dev/null || cp "$f" "$work/debs/"; done
debs="$work/debs"

if [ -n "$against" ]; then
  [ -x "$against" ] || { echo "bench: no sheaf at $against" >&2; exit 2; }
  export SOURCE_DATE_EPOCH=1700000000
  sed '/^env = /d' "$repo/examples/python3/sheaf.toml" > "$work/spec/sheaf.toml"
  "$against" --store "$work/lock-store" lock -f "$work/spec/sheaf.toml" >/dev/null 2>&1
  cold() {  # BINARY STORE LAYOUT
    "$1" --store "$2" pkg import "$debs"/*.deb >/dev/null 2>&1
    "$1" --store "$2" build -f "$work/spec/sheaf.toml" --locked -o "$3" >/dev/null 2>&1
  }
  warm() { "$1" --store "$2" build -f "$work/spec/sheaf.toml" --locked -o "$3" >/dev/null 2>&1; }
  # One unmeasured run of each: both must build from the .debs alone.
  k=0
  for b in "$sheaf" "$against"; do
    k=$((k + 1))
    if ! cold "$b" "$work/check-store-$k" "$work/check-layout-$k"; then
      echo "bench: $b cannot build the spec from the .debs" >&2; exit 1
    fi
  done
  cold_new=() cold_old=() warm_new=() warm_old=()
  for ((i = 0; i < rounds; i++)); do
    order=(new old); [ $((i % 2)) = 1 ] && order=(old new)
    for who in "${order[@]}"; do
      bin=$sheaf; [ "$who" = old ] && bin=$against
      sync
      t0=$(now_ms); cold "$bin" "$work/$who-store-$i" "$work/$who-layout-$i"; t1=$(now_ms)
      eval "cold_$who+=(\$((t1 - t0)))"
    done
    for who in "${order[@]}"; do
      bin=$sheaf; [ "$who" = old ] && bin=$against
      t0=$(now_ms); warm "$bin" "$work/$who-store-$i" "$work/$who-warm-$i"; t1=$(now_ms)
      eval "warm_$who+=(\$((t1 - t0)))"
    done
  done
  echo "python3 image without its env ($(ls "$debs"/*.deb | wc -l) .debs), $rounds rounds: $sheaf against $against"
  compare cold "this sheaf" "the other sheaf" "${cold_new[@]}" "${cold_old[@]}"
  compare warm "this sheaf" "the other sheaf" "${warm_new[@]}" "${warm_old[@]}"
  exit 0
fi

cp "$repo/examples/python3/sheaf.toml" "$work/spec/sheaf.toml"
"$sheaf" --store "$work/lock-store" lock -f "$work/spec/sheaf.toml" >/dev/null 2>&1
# The implicit packages (libc-bin) are not in apt's closure of python3: the
# same files, from the same mirror, through apt.
implicit=$(sed -n 's/^implicit = \[\(.*\)\]$/\1/p' "$work/spec/sheaf.lock" | tr -d '"' | tr ',' ' ')
for name in $implicit; do
  version=$(awk -v n="$name" '/^name = /{p = ($3 == "\"" n "\"")} p && /^version = /{gsub(/"/, "", $3); print $3; exit}' "$work/spec/sheaf.lock")
  (cd "$debs" && apt-get download -qq "$name=$version" >/dev/null 2>&1) ||
    { echo "bench: cannot download $name $version" >&2; exit 1; }
done
peer_include=python3
for name in $implicit; do peer_include="$peer_include,$name"; done

# The peer's repository: a flat apt repository of the same files, on loopback.
for f in "$debs"/*.deb; do ln "$f" "$work/repo/" 2>/dev/null || cp "$f" "$work/repo/"; done
(cd "$work/repo" && apt-ftparchive packages . > Packages && apt-ftparchive release . > Release)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/repo" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/Release" >/dev/null && break; sleep 0.1; done

# Runs a command and prints its peak RSS in KiB (the largest process it waited for).
peak_rss() {
  python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if r.returncode: sys.stderr.write(r.stderr.decode()); sys.exit(r.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

export SOURCE_DATE_EPOCH=1700000000
sheaf_cold() {  # round $1
  local s="$work/store-$1"
  "$sheaf" --store "$s" pkg import "$debs"/*.deb >/dev/null 2>&1
  "$sheaf" --store "$s" build -f "$work/spec/sheaf.toml" --locked -o "$work/layout-$1" >/dev/null 2>&1
}
peer() {  # round $1
  local out="$work/peer-$1"
  mkdir -p "$out"
  mmdebstrap --quiet --variant=extract --include="$peer_include" bookworm "$out/rootfs.tar" \
    "deb [trusted=yes] http://127.0.0.1:$port/ ./" 2>/dev/null
  umoci init --layout "$out/layout"
  umoci new --image "$out/layout:latest"
  umoci raw add-layer --image "$out/layout:latest" "$out/rootfs.tar"
  peer_done=$(now_ms)
  sync -f "$out/layout"  # what sheaf's syncfs does; timed apart (see "durable")
}

# One unmeasured run of each: the lock must match the .debs (no download).
if "$sheaf" --store "$work/check" pkg import "$debs"/*.deb >/dev/null 2>&1 &&
   "$sheaf" --store "$work/check" build -f "$work/spec/sheaf.toml" --locked 2>&1 | grep -q '^fetched'; then
  echo "bench: the lock names .debs that bench/fetch-closure.sh did not download; remove bench/.cache and retry" >&2
  exit 1
fi
peer warmup

cold_sheaf=() cold_peer=() cold_durable=() warm_sheaf=() warm_peer=()
for ((i = 0; i < rounds; i++)); do
  sync
  t0=$(now_ms); sheaf_cold "$i"; t1=$(now_ms)
  sync
  t1b=$(now_ms); peer "$i"; t2=$(now_ms)
  cold_sheaf+=($((t1 - t0))); cold_peer+=($((peer_done - t1b))); cold_durable+=($((t2 - t1b)))
  t0=$(now_ms); "$sheaf" --store "$work/store-$i" build -f "$work/spec/sheaf.toml" --locked -o "$work/warm-$i" >/dev/null 2>&1
  t1=$(now_ms); peer "w$i"
  warm_sheaf+=($((t1 - t0))); warm_peer+=($((peer_done - t1)))
done
# Memory, in runs of their own (the measuring wrapper costs time).
rm -rf "$work/store-m" "$work/peer-m"
rss_import=$(peak_rss "$sheaf" --store "$work/store-m" pkg import "$debs"/*.deb)
rss_build=$(peak_rss "$sheaf" --store "$work/store-m" build -f "$work/spec/sheaf.toml" --locked -o "$work/layout-m")
mkdir -p "$work/peer-m"
rss_mmdebstrap=$(peak_rss mmdebstrap --quiet --variant=extract --include="$peer_include" bookworm "$work/peer-m/rootfs.tar" \
  "deb [trusted=yes] http://127.0.0.1:$port/ ./")
umoci init --layout "$work/peer-m/layout"
umoci new --image "$work/peer-m/layout:latest"
rss_umoci=$(peak_rss umoci raw add-layer --image "$work/peer-m/layout:latest" "$work/peer-m/rootfs.tar")

echo "python3 image, $(ls "$debs"/*.deb | wc -l) .debs, $rounds rounds"
compare cold "sheaf import+build" "mmdebstrap+umoci" "${cold_sheaf[@]}" "${cold_peer[@]}"
compare durable "sheaf import+build" "the same + sync -f" "${cold_sheaf[@]}" "${cold_durable[@]}"
compare warm "sheaf build" "mmdebstrap+umoci" "${warm_sheaf[@]}" "${warm_peer[@]}"
printf 'memory    peak RSS: sheaf pkg import %d MB, sheaf build %d MB; mmdebstrap %d MB, umoci %d MB\n' \
  $((rss_import / 1024)) $((rss_build / 1024)) $((rss_mmdebstrap / 1024)) $((rss_umoci / 1024))

if [ "$size" = 1 ]; then
  image_bytes=$(python3 - "$work/layout-0" <<'PY'
import json, os, sys
layout = sys.argv[1]
index = json.load(open(os.path.join(layout, "index.json")))
digest = index["manifests"][0]["digest"].split(":")[1]
manifest = json.load(open(os.path.join(layout, "blobs/sha256", digest)))
blobs = [l["size"] for l in manifest["layers"]] + [manifest["config"]["size"], index["manifests"][0]["size"]]
print(sum(blobs))
PY
)
  unpacked=$(for b in "$work/layout-0"/blobs/sha256/*; do gzip -dc "$b" 2>/dev/null | wc -c; done | awk '{s += $1} END {print s}')
  mirror=$( (ls /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) | head -1)
  t0=$(now_ms)
  mmdebstrap --quiet --variant=essential --include=python3 bookworm "$work/essential.tar" "$mirror" 2>/dev/null
  t1=$(now_ms)
  essential=$(stat -c %s "$work/essential.tar")
  essential_gz=$(gzip -1 -c "$work/essential.tar" | wc -c)
  printf 'size      sheaf image %.1f MB compressed (%.1f MB of tars)   mmdebstrap essential rootfs %.1f MB tar (%.1f MB gzip -1, built in %.1f s)   ratio %.2fx (compressed)\n' \
    "$(awk -v b="$image_bytes" 'BEGIN{print b/1e6}')" "$(awk -v b="$unpacked" 'BEGIN{print b/1e6}')" \
    "$(awk -v b="$essential" 'BEGIN{print b/1e6}')" "$(awk -v b="$essential_gz" 'BEGIN{print b/1e6}')" \
    "$(awk -v t=$((t1 - t0)) 'BEGIN{print t/1000}')" "$(awk -v a="$image_bytes" -v b="$essential_gz" 'BEGIN{print a/b}')"
fi
