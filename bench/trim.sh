#!/usr/bin/env bash
# bench/trim.sh: trimming the python3 image of examples/trimmed-python
# (python3 and ca-certificates from bookworm, traced while check.py imports
# json, ssl, sqlite3 and decimal), and what the trim keeps.
#
#   bench/trim.sh [--rounds N] [--sheaf PATH]
#
#   trim:   `sheaf trim IMAGE --workloads check.toml` (the script run in the
#           image with its root served through the tracing filesystem, then
#           the image composed again from what it used) against `sheaf run
#           IMAGE` of the same script without tracing: the ratio is what
#           tracing and composing cost over running the workload once.
#   sizes:  the untrimmed and the trimmed image: packages, files (entries of
#           the exported root), uncompressed bytes (the exported root's
#           regular files) and compressed bytes (the layer blobs).
#
# slimtoolkit, the peer, is not packaged for Debian and these machines
# cannot download it; docs/benchmarks.md quotes its published results.
# Run as root (tracing mounts an overlay and a FUSE filesystem), on Debian 12
# with the host's apt sources reaching a bookworm mirror.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: tracing mounts a FUSE filesystem and needs root" >&2; exit 2; }

source "$repo/bench/lib.sh"
make_work_dir
store="$work/store"
cp -r "$repo/examples/trimmed-python" "$work/python"
printf '[[workload]]\nname = "check"\ntimeout = 120\n' > "$work/check.toml"

# The first build: lock, fetch, compose, trace, trim.
t0=$(now_ms)
"$sheaf" --store "$store" build -f "$work/python/sheaf.toml" >"$work/build.out" 2>"$work/build.log" ||
  { cat "$work/build.log" >&2; exit 1; }
t1=$(now_ms)
trimmed=$(tail -n 1 "$work/build.out")
untrimmed=$("$sheaf" --store "$store" image show "$trimmed" --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["trim"]["source"])')
echo "first sheaf build with [trim] (lock, fetch, compose, trace, trim): $((t1 - t0)) ms"

echo "sheaf trim of the python3 image, $rounds rounds ($(nproc) cores)"
ours=() theirs=()
for ((i = 0; i < rounds; i++)); do
  t0=$(now_ms)
  "$sheaf" --store "$store" trim "$untrimmed" --workloads "$work/check.toml" --tag "bench:$i" \
    >/dev/null 2>"$work/round.log" || { cat "$work/round.log" >&2; exit 1; }
  t1=$(now_ms)
  "$sheaf" --store "$store" run "$untrimmed" >/dev/null 2>"$work/round.log" || { cat "$work/round.log" >&2; exit 1; }
  t2=$(now_ms)
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
compare trim "sheaf trim" "sheaf run (untraced)" "${ours[@]}" "${theirs[@]}"

sizes() {
  local image=$1 root="$work/root-$1"
  rm -rf "$root"
  "$sheaf" --store "$store" image export "$image" --rootfs "$root" >/dev/null 2>&1
  "$sheaf" --store "$store" image show "$image" --json | python3 -c '
import json, os, sys
shown = json.load(sys.stdin)
root = sys.argv[1]
files = entries = size = 0
for base, dirs, names in os.walk(root):
    for n in dirs + names:
        entries += 1
        p = os.path.join(base, n)
        if os.path.isfile(p) and not os.path.islink(p):
            files += 1
            size += os.path.getsize(p)
packages = sum(len(l["packages"]) for l in shown["layers"])
compressed = sum(l["size"] for l in shown["layers"])
print(f"{packages:4d} packages  {files:6d} files  {entries:6d} entries  {size / 1048576:7.1f} MiB uncompressed  {compressed / 1048576:6.1f} MiB compressed")
' "$root"
}
printf 'untrimmed: %s\n' "$(sizes "$untrimmed")"
printf 'trimmed:   %s\n' "$(sizes "$trimmed")"
