#!/usr/bin/env bash
# bench/audit.sh: `sheaf audit --all` over 1,024 images and 1,000 OSV
# records, side by side with the time it takes to read those records.
#
#   bench/audit.sh [--rounds N] [--sheaf PATH]
#
#   The images: the python3 image and every subset of ten small packages
#   added to it (bench/lib.sh update_chain), 1,024 in one store.
#   The records: 1,000 hand-shaped OSV files (seeded, so every run writes the
#   same): 600 for the image's own source packages (fixed above or below the
#   installed version, last_affected, introduced later, versions lists), 300
#   for packages the image lacks, 100 for Debian 11.
#   audit:   sheaf audit --all --osv DIR
#   read:    sheaf audit IMAGE --osv DIR for one image: starting, reading and
#            parsing the 1,000 files, and one image's matching
#   python:  python3 json.load of the same files, for scale
#   Target: audit under 2x read.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
sheaf="$repo/build/release/src/cli/sheaf"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }

source "$repo/bench/lib.sh"
make_work_dir
store="$work/store"
debs=$("$repo/bench/fetch-closure.sh")
cp "$repo/examples/python3/sheaf.toml" "$repo/examples/python3/sheaf.lock" "$work/"
"$sheaf" --store "$store" pkg import "$debs"/*.deb >/dev/null 2>&1 || true
image=$("$sheaf" --store "$store" build -f "$work/sheaf.toml" 2>/dev/null | tail -1)
make_small_debs "$work/small" 10
"$sheaf" --store "$store" pkg import "$work/small"/*.deb >/dev/null 2>&1
update_chain "$store" "$image" 10 >/dev/null
images=$("$sheaf" --store "$store" image ls --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')

"$sheaf" --store "$store" sbom "$image" --format cyclonedx -o "$work/image.cdx.json" 2>/dev/null
mkdir -p "$work/osv"
python3 - "$work/image.cdx.json" "$work/osv" <<'PY'
import json, os, random, sys
bom = json.load(open(sys.argv[1]))
sources = {}
for c in bom["components"]:
    props = {p["name"]: p["value"] for p in c.get("properties", [])}
    if "aquasecurity:trivy:SrcName" in props:
        sources[props["aquasecurity:trivy:SrcName"]] = props["aquasecurity:trivy:SrcVersion"]
names = sorted(sources)
rng = random.Random(8)
def record(i, eco, name, affected):
    return {"schema_version": "1.6.0", "id": f"BENCH-{i:04d}", "modified": "2024-01-01T00:00:00Z",
            "aliases": [f"CVE-2024-{10000 + i}"], "summary": f"bench record {i}",
            "database_specific": {"severity": rng.choice(["low", "medium", "high"])},
            "affected": [dict(package={"ecosystem": eco, "name": name}, **affected)]}
for i in range(1000):
    if i < 600:
        name = names[i % len(names)]
        v = sources[name]
        kind = i % 5
        if kind == 0:   affected = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": v + "+fix1"}]}]}
        elif kind == 1: affected = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.0.1"}]}]}
        elif kind == 2: affected = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": v}]}]}
        elif kind == 3: affected = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": v + "+later"}, {"fixed": v + "+later2"}]}]}
        else:           affected = {"versions": ["0.1-1", v]}
        doc = record(i, "Debian:12", name, affected)
    elif i < 900:
        doc = record(i, "Debian:12", f"bench-absent-{i}", {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.9"}]}]})
    else:
        doc = record(i, "Debian:11", names[i % len(names)], {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99"}]}]})
    with open(os.path.join(sys.argv[2], f"BENCH-{i:04d}.json"), "w") as f:
        json.dump(doc, f, indent=2)
PY

run_ms() {  # timed by bash itself; the audit's exit status 1 (findings) is expected
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || true
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'
}
all=() one=() py=()
for ((i = 0; i < rounds; i++)); do
  all+=($(run_ms "$sheaf" --store "$store" audit --all --osv "$work/osv"))
  one+=($(run_ms "$sheaf" --store "$store" audit "$image" --osv "$work/osv"))
  py+=($(run_ms python3 -c 'import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)): json.load(open(os.path.join(d, f)))' "$work/osv"))
done
findings=$("$sheaf" --store "$store" audit --all --osv "$work/osv" --json 2>/dev/null |
  python3 -c 'import json, sys; r = json.load(sys.stdin); print(sum(len(i["findings"]) for i in r))' || true)
echo "$images images, 1000 OSV records, $rounds rounds; $findings findings in all"
compare audit "sheaf audit --all" "sheaf audit (1 image)" "${all[@]}" "${one[@]}"
compare audit "sheaf audit --all" "python3 json.load" "${all[@]}" "${py[@]}"
