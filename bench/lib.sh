# bench/lib.sh: what every benchmark shares. Source it after setting `rounds`.
#
#   make_work_dir          sets $work to a fresh directory, removed on exit
#   now_ms                 milliseconds since the epoch
#   median                 the median of the numbers on stdin, one per line
#   compare LABEL SHEAF_NAME PEER_NAME SHEAF_RUNS... PEER_RUNS...
#                          prints both medians, the ratio of the medians and
#                          the median of the per-round ratios: each sheaf run
#                          is paired with the peer run right after it, which
#                          saw the same machine. Each side has $rounds runs.

make_work_dir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/sheaf-bench-XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

compare() {
  local label=$1 ours=$2 peer=$3; shift 3
  local sheaf_runs=("${@:1:$rounds}") peer_runs=("${@:$((rounds + 1))}")
  local a b r k
  a=$(printf '%s\n' "${sheaf_runs[@]}" | median)
  b=$(printf '%s\n' "${peer_runs[@]}" | median)
  r=$(for ((k = 0; k < rounds; k++)); do
        awk -v a="${sheaf_runs[$k]}" -v b="${peer_runs[$k]}" 'BEGIN { printf "%.4f\n", a / b }'
      done | median)
  printf '%-9s %s %5s ms   %-22s %5s ms   ratio of medians %.2fx   median ratio %.2fx\n' \
    "$label" "$ours" "$a" "$peer" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')" "$r"
}
