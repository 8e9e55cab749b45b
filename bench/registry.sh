#!/usr/bin/env bash
# bench/registry.sh: sheaf push and pull against Debian's docker-registry on
# 127.0.0.1, side by side with skopeo and podman on the same images.
#
#   bench/registry.sh [--rounds N] [--sheaf PATH]
#
#   The images: bookworm's python3 image (bench/fetch-closure.sh), and the
#   same image with libssl3 at another version (one package apart).
#   push:    sheaf push IMAGE docker://... into an empty registry, against
#            skopeo copy oci:LAYOUT docker://... of the same image (from the
#            layout sheaf build -o wrote) into another empty registry.
#            sheaf also pushes the sheaf document. Target: <= 1.0x.
#   pull:    sheaf pull into an empty store, against podman pull (which also
#            unpacks) and skopeo copy docker://... oci:DIR (which does not).
#            Target: <= 0.5x podman.
#   held:    sheaf pull into a store that fetched the lock's .debs (no image): the
#            layer blobs downloaded (GETs in the registry's access log) and the
#            bytes, against podman's and skopeo's downloads of the same image.
#   second:  after the first image, the second (libssl3 changed): time and
#            layer bytes downloaded, against podman (same storage) and skopeo
#            (same layout directory).
#   packages: ten packages of the closure (libc6 and nine that need only it
#            and each other) pushed with sheaf pkg push; sheaf lock and sheaf
#            fetch of a spec that includes the ten by reference, into an empty
#            store, against skopeo copy of the ten artifacts into one OCI
#            layout (what a user without sheaf would script). The spec's
#            [source.debian] is an unsigned file:// repository of one small
#            package, so no Debian mirror is in the timing.
#
#   --part images|packages   run only one half (default: both)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
part=all
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --part) part=$2; shift 2 ;;
    -h|--help) sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
case "$part" in images|packages|all) ;; *) echo "bench: --part takes images, packages or all" >&2; exit 2 ;; esac
for tool in docker-registry skopeo podman python3 apt-get apt-ftparchive dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
export SOURCE_DATE_EPOCH=1700000000
alt_version=3.0.20-1~deb12u2
podman=(podman --runtime runc --cgroup-manager cgroupfs --events-backend file --root "$work/podman-root"
        --runroot "$work/podman-run")

ms_of() {  # runs a command; prints its wall time in milliseconds
  local t0 t1
  t0=$(now_ms)
  "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
  t1=$(now_ms)
  echo $((t1 - t0))
}

# docker-registry with an empty storage on a free port; sets $port and $reg_log.
registry_pid=""
start_registry() {
  stop_registry
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local root="$work/registry-$port"
  mkdir -p "$root/data"
  reg_log="$root/log"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\nlog:\n  accesslog:\n    disabled: false\n' \
    "$root/data" "$port" > "$root/config.yml"
  docker-registry serve "$root/config.yml" > "$reg_log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "bench: docker-registry did not start" >&2; exit 1
}
stop_registry() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  registry_pid=""
}
trap 'stop_registry; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Layer GETs that sent a body, and their bytes, from the access log.
layer_gets() {  # $1: the manifest JSON file
  python3 - "$reg_log" "$1" <<'PY'
import json, re, sys
layers = {l["digest"] for l in json.load(open(sys.argv[2]))["layers"]}
n = size = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r'"GET /v2/[^ ]+/blobs/(sha256:[0-9a-f]{64}) HTTP/1.1" (\d+) (\d+)', line)
    if m and m.group(1) in layers and m.group(2) == "200":
        n += 1
        size += int(m.group(3))
print(n, size)
PY
}

# The images: python3 from the closure, and the same with another libssl3.
debs=$("$repo/bench/fetch-closure.sh")
alt="$repo/bench/.cache/alt"
mkdir -p "$alt"
if ! ls "$alt"/libssl3_*.deb >/dev/null 2>&1; then
  (cd "$alt" && apt-get download -q -o APT::Sandbox::User=root "libssl3=$alt_version" >/dev/null)
fi
alt_deb=$(ls "$alt"/libssl3_*.deb)
base="$work/base"
mkdir -p "$work/spec"
cp "$repo/examples/python3/sheaf.toml" "$repo/examples/python3/sheaf.lock" "$work/spec/"
"$sheaf" --store "$base" pkg import "$debs"/*.deb "$alt_deb" >/dev/null 2>&1

run_images() {
image=$("$sheaf" --store "$base" build -f "$work/spec/sheaf.toml" -o "$work/layout" 2>/dev/null | tail -1)
image2=$("$sheaf" --store "$base" image update "$image" --set "libssl3=$alt_version" --tag second -o "$work/layout2" \
  2>/dev/null | tail -1)
held="$work/held"  # the image's .debs (the lock's versions) imported, no image
"$sheaf" --store "$held" fetch -f "$work/spec/sheaf.toml" >/dev/null 2>&1

declare -a push_ms=() skopeo_push_ms=() pull_ms=() podman_ms=() skopeo_pull_ms=()
declare -a held_ms=() podman2_ms=() second_ms=() podman_second_ms=() skopeo_second_ms=()
held_layers="" held_bytes="" peer_layers="" peer_bytes=""
second_bytes="" podman_second_bytes="" skopeo_second_bytes=""
for ((i = 0; i < rounds; i++)); do
  # Cold push: each into an empty registry.
  start_registry
  push_ms+=("$(ms_of "$sheaf" --store "$base" push "$image" "docker://127.0.0.1:$port/python:1")")
  start_registry
  skopeo_push_ms+=("$(ms_of skopeo copy -q --dest-tls-verify=false "oci:$work/layout:latest" \
    "docker://127.0.0.1:$port/python:1")")

  # One registry with both images, pushed by sheaf, for the pulls.
  start_registry
  "$sheaf" --store "$base" push "$image" "docker://127.0.0.1:$port/python:1" >/dev/null 2>&1
  "$sheaf" --store "$base" push "$image2" "docker://127.0.0.1:$port/python:2" >/dev/null 2>&1
  skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/python:1" > "$work/manifest1.json"
  skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/python:2" > "$work/manifest2.json"

  # Cold pull into an empty store / storage / directory.
  rm -rf "$work/s" "$work/podman-root" "$work/podman-run" "$work/peer-oci"
  sync
  pull_ms+=("$(ms_of "$sheaf" --store "$work/s" pull "docker://127.0.0.1:$port/python:1")")
  podman_ms+=("$(ms_of "${podman[@]}" pull -q --tls-verify=false "127.0.0.1:$port/python:1")")
  skopeo_pull_ms+=("$(ms_of skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/python:1" \
    "oci:$work/peer-oci:1")")

  # The second image, one package apart, after the first.
  : > "$reg_log"
  second_ms+=("$(ms_of "$sheaf" --store "$work/s" pull "docker://127.0.0.1:$port/python:2")")
  read -r _ second_bytes < <(layer_gets "$work/manifest2.json")
  : > "$reg_log"
  podman_second_ms+=("$(ms_of "${podman[@]}" pull -q --tls-verify=false "127.0.0.1:$port/python:2")")
  read -r _ podman_second_bytes < <(layer_gets "$work/manifest2.json")
  : > "$reg_log"
  skopeo_second_ms+=("$(ms_of skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/python:2" \
    "oci:$work/peer-oci:2")")
  read -r _ skopeo_second_bytes < <(layer_gets "$work/manifest2.json")

  # A store that holds the packages from their .debs.
  rm -rf "$work/h" "$work/podman-root" "$work/podman-run"
  cp -a "$held" "$work/h"
  sync
  : > "$reg_log"
  held_ms+=("$(ms_of "$sheaf" --store "$work/h" pull "docker://127.0.0.1:$port/python:1")")
  read -r held_layers held_bytes < <(layer_gets "$work/manifest1.json")
  : > "$reg_log"
  podman2_ms+=("$(ms_of "${podman[@]}" pull -q --tls-verify=false "127.0.0.1:$port/python:1")")
  read -r peer_layers peer_bytes < <(layer_gets "$work/manifest1.json")
done
stop_registry

layers=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["layers"]))' "$work/manifest1.json")
echo "python3 image $image: $layers layers; second image $image2 (libssl3 $alt_version)"
compare push "sheaf push" "skopeo copy oci: docker:" "${push_ms[@]}" "${skopeo_push_ms[@]}"
compare pull "sheaf pull" "podman pull" "${pull_ms[@]}" "${podman_ms[@]}"
compare pull "sheaf pull" "skopeo copy docker: oci:" "${pull_ms[@]}" "${skopeo_pull_ms[@]}"
compare held "sheaf pull (debs held)" "podman pull" "${held_ms[@]}" "${podman2_ms[@]}"
echo "held:     sheaf downloaded $held_layers of $layers layer blobs ($held_bytes bytes); podman $peer_layers ($peer_bytes bytes)"
compare second "sheaf pull" "podman pull" "${second_ms[@]}" "${podman_second_ms[@]}"
compare second "sheaf pull" "skopeo copy (same dir)" "${second_ms[@]}" "${skopeo_second_ms[@]}"
echo "second:   layer bytes downloaded: sheaf $second_bytes, podman $podman_second_bytes, skopeo $skopeo_second_bytes"
}

run_packages() {
  local ten=(libc6 libgcc-s1 gcc-12-base zlib1g liblzma5 libbz2-1.0 libzstd1 libcrypt1 libffi8 libssl3)
  local name k bytes=0
  # A file:// repository of one small package, for [source.debian].
  make_small_debs "$work/small" 1
  mkdir -p "$work/apt/dists/bench/main/binary-amd64" "$work/apt/pool"
  cp "$work/small/bench-extra-0.deb" "$work/apt/pool/"
  (cd "$work/apt" && apt-ftparchive packages pool > dists/bench/main/binary-amd64/Packages &&
     gzip -9nk dists/bench/main/binary-amd64/Packages &&
     apt-ftparchive -o APT::FTPArchive::Release::Suite=bench -o APT::FTPArchive::Release::Components=main \
       -o APT::FTPArchive::Release::Architectures=amd64 release dists/bench > "$work/Release" &&
     mv "$work/Release" dists/bench/Release)
  start_registry
  mkdir -p "$work/pkgspec"
  {
    printf '[source.debian]\nsuites = ["bench"]\narch = "amd64"\nmirror = "file://%s"\n\n[packages]\ninclude = [' "$work/apt"
    for k in "${!ten[@]}"; do
      name=${ten[$k]}
      "$sheaf" --store "$base" pkg push "$name:amd64" "docker://127.0.0.1:$port/deb/$name:1" >/dev/null 2>&1 ||
        "$sheaf" --store "$base" pkg push "$name" "docker://127.0.0.1:$port/deb/$name:1" >/dev/null
      [ "$k" -gt 0 ] && printf ', '
      printf '"docker://127.0.0.1:%s/deb/%s:1"' "$port" "$name"
    done
    printf ']\n'
  } > "$work/pkgspec/sheaf.toml"
  declare -a sheaf_pk_ms=() skopeo_pk_ms=()
  for ((i = 0; i < rounds; i++)); do
    rm -rf "$work/ps" "$work/pkgspec/sheaf.lock" "$work/pk-oci"
    sync
    local t0 t1
    t0=$(now_ms)
    "$sheaf" --store "$work/ps" lock --allow-unsigned -f "$work/pkgspec/sheaf.toml" >/dev/null 2>"$work/last.err" ||
      { cat "$work/last.err" >&2; exit 1; }
    "$sheaf" --store "$work/ps" fetch -f "$work/pkgspec/sheaf.toml" >/dev/null 2>"$work/last.err" ||
      { cat "$work/last.err" >&2; exit 1; }
    t1=$(now_ms)
    sheaf_pk_ms+=($((t1 - t0)))
    t0=$(now_ms)
    for name in "${ten[@]}"; do
      skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/deb/$name:1" "oci:$work/pk-oci:$name" \
        >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
    done
    t1=$(now_ms)
    skopeo_pk_ms+=($((t1 - t0)))
  done
  stop_registry
  bytes=$(du -sb "$work/pk-oci/blobs" | cut -f1)
  echo "packages: ${ten[*]} ($bytes bytes of blobs in skopeo's layout)"
  compare packages "sheaf lock+fetch" "skopeo copy x10" "${sheaf_pk_ms[@]}" "${skopeo_pk_ms[@]}"
}

if [ "$part" != packages ]; then run_images; fi
if [ "$part" != images ]; then run_packages; fi
