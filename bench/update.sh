#!/usr/bin/env bash
# bench/update.sh: a one-package `sheaf image update` of the python3 image,
# side by side with a full sheaf rebuild and with the Dockerfile-era path;
# then `sheaf which` over 1,024 images made by updates.
#
#   bench/update.sh [--rounds N] [--sheaf PATH]
#
#   update:   `sheaf image update IMAGE --set libssl3=<bookworm main's> -o DIR`,
#             the package already in the store (its layer not yet made), in a
#             fresh copy of the store each round
#   rebuild:  `sheaf build --locked -o DIR` of the same set from a spec that
#             pins libssl3, in another fresh copy of the store
#   umoci:    `umoci unpack` of the image, `dpkg-deb -x` of the new .deb over
#             the rootfs, `umoci repack`: swapping the files by hand
#   cached:   the same two, with libssl3's layer already made (for an image
#             since removed): the update is then a manifest edit
#   written:  the bytes each wrote (wchar of /proc/PID/io), against the new
#             layer's size plus 64 KiB
#   which:    1,024 images, every subset of ten small packages added to the
#             python3 image, made by a chain of --add and --remove updates;
#             then `sheaf which 'libssl3@<3.0.22-1~deb12u2'` (median of 21),
#             and the store's size against the sum of 1,024 OCI layouts
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
for tool in umoci dpkg-deb apt-get python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
export SOURCE_DATE_EPOCH=1700000000
alt_version=3.0.20-1~deb12u2

# Runs a command; prints "MILLISECONDS BYTES_WRITTEN": the wall time, and the
# bytes the command and its children handed to write(2) and its kin (wchar in
# /proc/PID/io, read while the process is a zombie). The kernel's count of
# dirtied pages (write_bytes) is no use here: a syncfs charges the caller
# with every dirty page of the filesystem, whoever wrote it.
measure() {
  python3 -c 'import os, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = p.stderr.read()
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
ms = (time.monotonic() - t) * 1000
io = dict(line.split(": ") for line in open("/proc/%d/io" % p.pid).read().splitlines())
if p.wait(): sys.stderr.write(err.decode()); sys.exit(1)
print("%d %d" % (round(ms), int(io["wchar"])))' "$@"
}

debs=$("$repo/bench/fetch-closure.sh")
alt="$repo/bench/.cache/alt"
mkdir -p "$alt"
if ! ls "$alt"/libssl3_*.deb >/dev/null 2>&1; then
  (cd "$alt" && apt-get download -q -o APT::Sandbox::User=root "libssl3=$alt_version" >/dev/null)
fi
alt_deb=$(ls "$alt"/libssl3_*.deb)

# The base store: the closure, the other libssl3, the python3 image.
base="$work/base"
mkdir -p "$work/spec" "$work/pinned"
cp "$repo/examples/python3/sheaf.toml" "$repo/examples/python3/sheaf.lock" "$work/spec/"
"$sheaf" --store "$base" pkg import "$debs"/*.deb "$alt_deb" >/dev/null 2>&1
image=$("$sheaf" --store "$base" build -f "$work/spec/sheaf.toml" -o "$work/layout" 2>/dev/null | tail -1)
sed 's/^include = \["python3"\]/include = ["python3", "libssl3='"$alt_version"'"]/' "$work/spec/sheaf.toml" > "$work/pinned/sheaf.toml"
"$sheaf" --store "$work/lock-store" lock -f "$work/pinned/sheaf.toml" >/dev/null 2>&1

# The same store with libssl3's new layer already made (by an image since
# removed, and gc'd): an update is then a manifest edit.
cached="$work/cached"
cp -a "$base" "$cached"
gone=$("$sheaf" --store "$cached" image update "$image" --set "libssl3=$alt_version" 2>/dev/null | tail -1)
"$sheaf" --store "$cached" image rm "$gone" >/dev/null
"$sheaf" --store "$cached" store gc >/dev/null

fresh_round() {  # $1: the store to copy
  rm -rf "$work/s" "$work/out" "$work/bundle" "$work/peer"
  cp -a "$1" "$work/s"
  sync
}
declare -a update_ms=() rebuild_ms=() umoci_ms=() update_b=() rebuild_b=() umoci_b=()
declare -a cached_ms=() cached_rebuild_ms=() cached_b=() cached_rebuild_b=()
for ((i = 0; i < rounds; i++)); do
  fresh_round "$base"
  read -r ms bytes < <(measure "$sheaf" --store "$work/s" image update "$image" --set "libssl3=$alt_version" -o "$work/out")
  update_ms+=("$ms"); update_b+=("$bytes")
  fresh_round "$base"
  read -r ms bytes < <(measure "$sheaf" --store "$work/s" build -f "$work/pinned/sheaf.toml" --locked -o "$work/out")
  rebuild_ms+=("$ms"); rebuild_b+=("$bytes")
  fresh_round "$cached"
  read -r ms bytes < <(measure "$sheaf" --store "$work/s" image update "$image" --set "libssl3=$alt_version" -o "$work/out")
  cached_ms+=("$ms"); cached_b+=("$bytes")
  fresh_round "$cached"
  read -r ms bytes < <(measure "$sheaf" --store "$work/s" build -f "$work/pinned/sheaf.toml" --locked -o "$work/out")
  cached_rebuild_ms+=("$ms"); cached_rebuild_b+=("$bytes")
  cp -a "$work/layout" "$work/peer"
  sync
  read -r ms bytes < <(measure sh -c '
    umoci unpack --image "$1/peer:latest" "$1/bundle" >/dev/null &&
    dpkg-deb -x "$2" "$1/bundle/rootfs" &&
    umoci repack --image "$1/peer:updated" "$1/bundle" >/dev/null' sh "$work" "$alt_deb")
  umoci_ms+=("$ms"); umoci_b+=("$bytes")
done
updated=$("$sheaf" --store "$work/s" image update "$image" --set "libssl3=$alt_version" 2>/dev/null | tail -1)
layer=$("$sheaf" --store "$work/s" image show --json "$updated" |
  python3 -c 'import json, sys; print([l["size"] for l in json.load(sys.stdin)["layers"] if l["packages"][0]["name"] == "libssl3"][0])')
kib() { echo $(( $(printf '%s\n' "$@" | median | cut -d. -f1) / 1024 )); }

echo "python3 image, libssl3 -> $alt_version, $rounds rounds; the new layer is $((layer / 1024)) KiB"
echo "layer made (the package in the store, its layer not yet made):"
compare update "sheaf image update" "sheaf build (full)" "${update_ms[@]}" "${rebuild_ms[@]}"
compare update "sheaf image update" "umoci unpack+repack" "${update_ms[@]}" "${umoci_ms[@]}"
printf 'written   update %s KiB (target: layer + 64 = %s KiB)   rebuild %s KiB   umoci %s KiB\n' \
  "$(kib "${update_b[@]}")" $((layer / 1024 + 64)) "$(kib "${rebuild_b[@]}")" "$(kib "${umoci_b[@]}")"
echo "layer cached (made before for another image):"
compare update "sheaf image update" "sheaf build (full)" "${cached_ms[@]}" "${cached_rebuild_ms[@]}"
printf 'written   update %s KiB   rebuild %s KiB\n' "$(kib "${cached_b[@]}")" "$(kib "${cached_rebuild_b[@]}")"

# 1,024 images: ten small packages, every subset of them, one update apart.
make_small_debs "$work/small" 11  # bench-extra-10 is for the last, measured update
"$sheaf" --store "$work/s" pkg import "$work/small"/*.deb >/dev/null 2>&1
t0=$(now_ms)
current=$(update_chain "$work/s" "$updated" 10)
t1=$(now_ms)
read -r last_ms last_b < <(measure "$sheaf" --store "$work/s" image update "$current" --add "bench-extra-10=1.0" -o "$work/out-last")
images=$("$sheaf" --store "$work/s" image ls --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
# Timed by bash itself ($EPOCHREALTIME), which adds only its fork and exec.
run_ms() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}
which_runs=() help_runs=()
for ((k = 0; k < 21; k++)); do
  which_runs+=($(run_ms "$sheaf" --store "$work/s" which "libssl3@<3.0.22-1~deb12u2"))
  help_runs+=($(run_ms "$sheaf" --help))
done
matches=$("$sheaf" --store "$work/s" which "libssl3@<3.0.22-1~deb12u2" | wc -l)
sizes=$(SHEAF="$sheaf" python3 - "$work/s" <<'PY'
import json, os, subprocess, sys
store = sys.argv[1]
def blob(d):
    return os.path.join(store, "blobs/sha256", d.split(":")[1])
total = 0
images = json.loads(subprocess.run([os.environ["SHEAF"], "--store", store, "image", "ls", "--json"],
                                   capture_output=True, check=True).stdout)
for i in images:
    m = json.load(open(blob(i["digest"])))
    total += os.path.getsize(blob(i["digest"])) + m["config"]["size"] + sum(l["size"] for l in m["layers"])
used = 0
for root, dirs, files in os.walk(store):
    for f in files:
        st = os.lstat(os.path.join(root, f))
        used += st.st_blocks * 512
print(total, used)
PY
)
read -r layouts store_bytes <<<"$sizes"
echo "images    $images images from 1023 updates in $(( (t1 - t0) / 1000 )) s ($(( (t1 - t0) / 1023 )) ms each)"
printf 'one more  update at %d images: %s ms, %s KiB written\n' "$images" "$last_ms" $((last_b / 1024))
printf 'which     sheaf which over %d images: median %s ms (%d matches); sheaf --help: %s ms\n' "$images" \
  "$(printf '%s\n' "${which_runs[@]}" | median)" "$matches" "$(printf '%s\n' "${help_runs[@]}" | median)"
printf 'store     %.1f MB on disk for %d images; their OCI layouts would hold %.1f MB (%.1fx)\n' \
  "$(awk -v b="$store_bytes" 'BEGIN{print b/1e6}')" "$images" "$(awk -v b="$layouts" 'BEGIN{print b/1e6}')" \
  "$(awk -v a="$layouts" -v b="$store_bytes" 'BEGIN{print a/b}')"
