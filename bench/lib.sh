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
#   make_small_debs DIR N  builds bench-extra-0 .. N-1 (version 1.0, one small
#                          file each, no dependencies) into DIR with dpkg-deb
#   update_chain STORE IMAGE BITS
#                          makes 2^BITS - 1 more images from IMAGE, one
#                          `sheaf image update` apart (a Gray code over the
#                          packages bench-extra-0 .. BITS-1, each step adding
#                          or removing one); prints the last digest. Needs
#                          $sheaf and those packages in STORE.

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

make_small_debs() {
  local dir=$1 count=$2 k d
  mkdir -p "$dir"
  for ((k = 0; k < count; k++)); do
    d="$dir/tree-$k"
    mkdir -p "$d/DEBIAN" "$d/usr/share/bench-$k"
    printf 'Package: bench-extra-%d\nVersion: 1.0\nArchitecture: all\nMaintainer: bench <bench@localhost>\nDescription: bench package %d\n' "$k" "$k" > "$d/DEBIAN/control"
    printf 'payload %d\n' "$k" > "$d/usr/share/bench-$k/data"
    dpkg-deb --root-owner-group -Zxz -b "$d" "$dir/bench-extra-$k.deb" >/dev/null
  done
}

update_chain() {
  local store=$1 current=$2 bits=$3 n g_prev g bit
  local -A member=()
  for ((n = 1; n < (1 << bits); n++)); do
    # The bit that flips between Gray codes n-1 and n.
    g_prev=$(( (n - 1) ^ ((n - 1) >> 1) )); g=$(( n ^ (n >> 1) )); bit=0
    while (( ((g_prev ^ g) >> bit) != 1 )); do bit=$((bit + 1)); done
    if [ -n "${member[$bit]:-}" ]; then
      op=(--remove "bench-extra-$bit"); unset "member[$bit]"
    else
      op=(--add "bench-extra-$bit=1.0"); member[$bit]=1
    fi
    current=$("$sheaf" --store "$store" image update "$current" "${op[@]}" 2>/dev/null | tail -1)
  done
  echo "$current"
}
