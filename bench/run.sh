#!/usr/bin/env bash
# bench/run.sh: `sheaf run` of the python3 image against `podman run` of the
# same image loaded into containers-storage.
#
#   bench/run.sh [--rounds N] [--sheaf PATH] [--containers N]
#
#   start:   the time from starting the command to the greeting's end
#            ("hello from sheaf" on stdout, the container gone), with the
#            package trees already made (sheaf) and the image already in
#            containers-storage (podman): the run-many-times case
#   first:   sheaf's first run on a store whose trees are not made yet
#   extra:   N containers of each kind running `sleep` at once: the disk each
#            adds (sheaf: its run directory and upper layer; podman: the
#            growth of its storage) and the memory (MemAvailable's drop,
#            divided by N)
#
# Both use runc, and podman gets the flags these machines need (machine
# notes). Run as root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=11
sheaf="$repo/build/release/src/cli/sheaf"
containers=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sheaf) sheaf=$2; shift 2 ;;
    --containers) containers=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$sheaf" ] || { echo "bench: no sheaf at $sheaf; build with: tools/dev example" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: sheaf run and podman need root" >&2; exit 2; }
for tool in podman skopeo runc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
store="$work/store"
podman_flags=(--runtime runc --cgroup-manager cgroupfs --events-backend file)
run_flags=(--rm --pull=never --network none --ulimit nofile=1024:20000 --ulimit nproc=4096:4096)
name=localhost/sheaf-bench-python:latest

cp "$repo/examples/python3/sheaf.toml" "$repo/examples/python3/sheaf.lock" "$work/"
debs=$("$repo/bench/fetch-closure.sh")
"$sheaf" --store "$store" pkg import "$debs"/*.deb >/dev/null 2>&1 || true
"$sheaf" --store "$store" build -f "$work/sheaf.toml" -o "$work/oci" >/dev/null 2>&1
skopeo copy -q "oci:$work/oci:latest" "containers-storage:$name" >/dev/null 2>&1
trap 'podman "${podman_flags[@]}" rmi -f "$name" >/dev/null 2>&1; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

t0=$(now_ms); out=$("$sheaf" --store "$store" run hello-python); t1=$(now_ms)
[ "$out" = "hello from sheaf" ] || { echo "bench: sheaf run printed: $out" >&2; exit 1; }
first=$((t1 - t0))
podman "${podman_flags[@]}" run "${run_flags[@]}" "$name" >/dev/null  # its first run, unmeasured

ours=() theirs=()
for ((i = 0; i < rounds; i++)); do
  t0=$(now_ms); out=$("$sheaf" --store "$store" run hello-python); t1=$(now_ms)
  [ "$out" = "hello from sheaf" ] || { echo "bench: sheaf run printed: $out" >&2; exit 1; }
  out=$(podman "${podman_flags[@]}" run "${run_flags[@]}" "$name"); t2=$(now_ms)
  [ "$out" = "hello from sheaf" ] || { echo "bench: podman run printed: $out" >&2; exit 1; }
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
echo "python3 image, $rounds rounds"
compare start "sheaf run" "podman run" "${ours[@]}" "${theirs[@]}"
echo "first     sheaf run with no package trees yet: $first ms (makes $(ls "$store/trees" | wc -l) trees)"

# Extra containers: N at once, each sleeping. Memory is the proportional set
# size (PSS) of each container's whole process tree: sheaf, runc and the
# container's processes; podman's conmon and the container's processes (podman
# itself exits). Disk is what each adds on the store's (or storage's)
# filesystem, not counting the overlay mounts.
pss_tree_kib() {  # the PSS of $1 and all its descendants
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
children = {}
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    ppid = int(stat.rsplit(")", 1)[1].split()[1])
    children.setdefault(ppid, []).append(int(pid))
total, todo = 0, [root]
while todo:
    pid = todo.pop()
    todo += children.get(pid, [])
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    except OSError:
        pass
print(total)
PY
}
storage_kib() { du -skx /var/lib/containers/storage 2>/dev/null | awk '{print $1}'; }

pids=()
for ((i = 0; i < containers; i++)); do
  "$sheaf" --store "$store" run hello-python -- -c 'import time; time.sleep(30)' & pids+=($!)
done
for _ in $(seq 100); do [ "$(pgrep -fc '^/usr/bin/python3 -c import time' || true)" -ge "$containers" ] && break; sleep 0.1; done
sleep 1
sheaf_mem=0
for pid in "${pids[@]}"; do sheaf_mem=$((sheaf_mem + $(pss_tree_kib "$pid"))); done
sheaf_mem=$((sheaf_mem / containers))
sheaf_disk=$(( $(du -skx "$store/run" | awk '{print $1}') / containers ))
kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null || true

disk_before=$(storage_kib)
for ((i = 0; i < containers; i++)); do
  podman "${podman_flags[@]}" run -d --name "sheaf-bench-$i" --pull=never --network none \
    --ulimit nofile=1024:20000 --ulimit nproc=4096:4096 "$name" -c 'import time; time.sleep(30)' >/dev/null
done
sleep 1
podman_mem=0
for ((i = 0; i < containers; i++)); do
  conmon=$(podman "${podman_flags[@]}" inspect -f '{{.State.ConmonPid}}' "sheaf-bench-$i")
  podman_mem=$((podman_mem + $(pss_tree_kib "$conmon")))
done
podman_mem=$((podman_mem / containers))
podman_disk=$(( ($(storage_kib) - disk_before) / containers ))
for ((i = 0; i < containers; i++)); do podman "${podman_flags[@]}" rm -f -t 0 "sheaf-bench-$i" >/dev/null 2>&1; done
echo "extra     per container ($containers at once): sheaf ${sheaf_disk} KiB disk, ${sheaf_mem} KiB memory (PSS);" \
     "podman ${podman_disk} KiB disk, ${podman_mem} KiB memory (PSS)"
