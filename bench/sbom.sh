#!/usr/bin/env bash
# bench/sbom.sh: sheaf's SBOM of the python3 image against cdxgen's, run on
# the image's flattened rootfs.
#
#   bench/sbom.sh [--rounds N] [--sheaf PATH]
#
#   time:     `sheaf sbom IMAGE --format cyclonedx` (from the index and the
#             manifests) vs `sheaf image export --rootfs` plus
#             `cdxgen -t rootfs` (which runs trivy over the files)
#   coverage: every Debian package cdxgen reports (pkg:deb purls) must be in
#             sheaf's SBOM, as a package or as a package's source package;
#             the script exits 1 if one is not
#
# cdxgen comes from the npm registry (npm install @cyclonedx/cdxgen, once,
# into bench/.cache/cdxgen); it refuses nothing as root but says so.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=3
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
for tool in npm node python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
cdxgen_dir="$repo/bench/.cache/cdxgen"
if [ ! -x "$cdxgen_dir/node_modules/.bin/cdxgen" ]; then
  mkdir -p "$cdxgen_dir"
  (cd "$cdxgen_dir" && npm install --no-audit --no-fund --silent @cyclonedx/cdxgen >/dev/null)
fi
cdxgen="$cdxgen_dir/node_modules/.bin/cdxgen"

debs=$("$repo/bench/fetch-closure.sh")
cp "$repo/examples/python3/sheaf.toml" "$repo/examples/python3/sheaf.lock" "$work/"
"$sheaf" --store "$work/store" pkg import "$debs"/*.deb >/dev/null 2>&1 || true
image=$("$sheaf" --store "$work/store" build -f "$work/sheaf.toml" 2>/dev/null | tail -1)

ours=() theirs=()
for ((i = 0; i < rounds; i++)); do
  t0=$(now_ms)
  "$sheaf" --store "$work/store" sbom "$image" --format cyclonedx -o "$work/sheaf.cdx.json" 2>/dev/null
  t1=$(now_ms)
  rm -rf "$work/rootfs"
  "$sheaf" --store "$work/store" image export "$image" --rootfs "$work/rootfs" >/dev/null 2>&1
  "$cdxgen" -t rootfs "$work/rootfs" -o "$work/cdxgen.json" >/dev/null 2>&1
  t2=$(now_ms)
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
echo "python3 image, $rounds rounds"
compare sbom "sheaf sbom" "export + cdxgen" "${ours[@]}" "${theirs[@]}"
python3 - "$work/sheaf.cdx.json" "$work/cdxgen.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.load(open(sys.argv[2]))
names, sources = set(), set()
for c in ours["components"]:
    names.add(c["name"])
    for p in c.get("properties", []):
        if p["name"] == "aquasecurity:trivy:SrcName":
            sources.add(p["value"])
debs = [c for c in theirs.get("components", []) if c.get("purl", "").startswith("pkg:deb/")]
as_binary = [c for c in debs if c["name"] in names]
as_source = [c for c in debs if c["name"] not in names and c["name"] in sources]
missed = sorted(c["purl"] for c in debs if c["name"] not in names and c["name"] not in sources)
debian = [c for c in ours["components"] if c["type"] == "library"]
print(f"coverage  cdxgen: {len(debs)} Debian packages ({len(as_binary)} binary, {len(as_source)} source "
      f"packages); sheaf: {len(debian)} Debian packages; cdxgen packages sheaf's SBOM misses: {len(missed)}")
for m in missed:
    print(f"          missed: {m}")
sys.exit(1 if missed else 0)
PY
