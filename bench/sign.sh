#!/usr/bin/env bash
# bench/sign.sh: the trust policy's cost, side by side with skopeo.
#
#   bench/sign.sh [--rounds N] [--sheaf PATH]
#
#   The image: bookworm's python3 image (bench/fetch-closure.sh), signed with
#   sheaf sign by a fresh ed25519 GnuPG key and pushed with its signature to
#   Debian's docker-registry on 127.0.0.1 (lookaside in a file:// directory).
#   The policy: signedBy that key for the registry, reject otherwise.
#   check:   sheaf verify IMAGE --policy P of the image pulled into a store
#            (the policy check alone: read policy.json, pick the scope, read
#            the signature from the store, gpgv, the payload, the identity),
#            against sheaf --help as the floor (process start, store open
#            excluded). Target: <= 2 ms over the floor. For where the time
#            goes: gpgv alone on the same signature, and sheaf verify under
#            a policy that accepts anything (no signature checked).
#   sigstore: the same image signed with sheaf sign --key (an ECDSA P-256
#            key of sheaf key generate) and pulled under a sigstoreSigned
#            policy. sheaf verify IMAGE --policy of the stored image against
#            sheaf --help (target: <= 2 ms over the floor); and sheaf verify
#            docker://REF --key against src/testing/cosign_check.py verify,
#            the independent Python checker, on the same registry image
#            (Debian has no cosign, and its skopeo has sigstore disabled).
#   pull:    sheaf pull with the policy into an empty store, against
#            skopeo copy --policy from the registry into an empty OCI
#            directory (which checks the same signature and does not unpack),
#            and podman pull --signature-policy into empty storage (which
#            checks it and unpacks, as sheaf does).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=15
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
for tool in docker-registry skopeo podman gpg gpgv python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

source "$repo/bench/lib.sh"
make_work_dir
export SOURCE_DATE_EPOCH=1700000000

ns_of() {  # runs a command; prints its wall time in microseconds
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}
ms_of() { echo $(( $(ns_of "$@") / 1000 )); }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work/registry" "$port" > "$work/registry.yml"
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.05; done

# The key, registries.d and the policy.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key 'bench <bench@example.invalid>' ed25519 sign never
fpr=$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --export "$fpr" > "$work/key.gpg"
mkdir -p "$work/registries.d"
printf 'docker:\n  127.0.0.1:%s:\n    lookaside: file://%s/lookaside\n' "$port" "$work" > "$work/registries.d/bench.yaml"
# podman reads registries.d from $HOME/.config/containers when it exists.
mkdir -p "$work/home/.config/containers"
cp -r "$work/registries.d" "$work/home/.config/containers/registries.d"
podman=(env HOME="$work/home" podman --runtime runc --cgroup-manager cgroupfs --events-backend file
        --root "$work/podman-root" --runroot "$work/podman-run")
printf '{"default": [{"type": "reject"}], "transports": {"docker": {"127.0.0.1:%s": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "%s"}]}}}\n' \
  "$port" "$work/key.gpg" > "$work/policy.json"
printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' > "$work/open.json"

# The python3 image, signed and pushed.
debs=$("$repo/bench/fetch-closure.sh")
mkdir -p "$work/spec"
cp "$repo/examples/python3/sheaf.toml" "$repo/examples/python3/sheaf.lock" "$work/spec/"
"$sheaf" --store "$work/base" pkg import "$debs"/*.deb >/dev/null 2>&1
image=$("$sheaf" --store "$work/base" build -f "$work/spec/sheaf.toml" 2>/dev/null | tail -1)
ref="docker://127.0.0.1:$port/python:1"
"$sheaf" --store "$work/base" sign "$image" --identity "$ref" --sign-by "$fpr" >/dev/null
"$sheaf" --store "$work/base" push "$image" "$ref" --registries.d "$work/registries.d" >/dev/null 2>&1
"$sheaf" --store "$work/pulled" pull "$ref" --policy "$work/policy.json" --registries.d "$work/registries.d" >/dev/null 2>&1
signature="$work/lookaside/python@sha256=${image#sha256:}/signature-1"

# The sigstore signature of the same image, pushed as its .sig tag.
mkdir -p "$work/empty"
"$sheaf" --store "$work/base" key generate --no-passphrase -o "$work/cosign" >/dev/null 2>&1
"$sheaf" --store "$work/base" sign "$image" --identity "$ref" --key "$work/cosign.key" >/dev/null 2>&1
"$sheaf" --store "$work/base" push "$image" "$ref" --registries.d "$work/registries.d" >/dev/null 2>&1
printf '{"default": [{"type": "reject"}], "transports": {"docker": {"127.0.0.1:%s": [{"type": "sigstoreSigned", "keyPath": "%s"}]}}}\n' \
  "$port" "$work/cosign.pub" > "$work/sigstore.json"
"$sheaf" --store "$work/sigstore-pulled" pull "$ref" --policy "$work/sigstore.json" --registries.d "$work/registries.d" >/dev/null 2>&1
checker=(/usr/bin/python3 "$repo/src/testing/cosign_check.py" verify --registry "127.0.0.1:$port" --repository python
         --digest "$image" --key "$work/cosign.pub" --identity "127.0.0.1:$port/python:1")
"${checker[@]}" >/dev/null

declare -a verify_us=() help_us=() gpgv_us=() open_us=() pull_ms=() skopeo_ms=() podman_ms=()
declare -a sigstore_us=() remote_us=() checker_us=()
for ((i = 0; i < rounds; i++)); do
  sigstore_us+=("$(ns_of "$sheaf" --store "$work/sigstore-pulled" verify "$image" --policy "$work/sigstore.json")")
  remote_us+=("$(ns_of "$sheaf" --store "$work/sigstore-pulled" verify "$ref" --key "$work/cosign.pub" --registries.d "$work/empty")")
  checker_us+=("$(ns_of "${checker[@]}")")
  verify_us+=("$(ns_of "$sheaf" --store "$work/pulled" verify "$image" --policy "$work/policy.json")")
  help_us+=("$(ns_of "$sheaf" --help)")
  gpgv_us+=("$(ns_of gpgv --keyring "$work/key.gpg" --output /dev/null "$signature")")
  open_us+=("$(ns_of "$sheaf" --store "$work/pulled" verify "$image" --policy "$work/open.json")")
done
for ((i = 0; i < rounds; i++)); do
  rm -rf "$work/s" "$work/peer-oci" "$work/podman-root" "$work/podman-run"
  sync
  pull_ms+=("$(ms_of "$sheaf" --store "$work/s" pull "$ref" --policy "$work/policy.json" --registries.d "$work/registries.d")")
  skopeo_ms+=("$(ms_of skopeo --policy "$work/policy.json" --registries.d "$work/registries.d" copy -q \
    --src-tls-verify=false --remove-signatures "$ref" "oci:$work/peer-oci:1")")
  podman_ms+=("$(ms_of "${podman[@]}" pull -q --tls-verify=false --signature-policy "$work/policy.json" "$ref")")
done

echo "python3 image $image, signed by $fpr; $rounds rounds"
v=$(printf '%s\n' "${verify_us[@]}" | median)
h=$(printf '%s\n' "${help_us[@]}" | median)
g=$(printf '%s\n' "${gpgv_us[@]}" | median)
o=$(printf '%s\n' "${open_us[@]}" | median)
d=$(for ((k = 0; k < rounds; k++)); do echo $(( verify_us[k] - help_us[k] )); done | median)
printf 'check     sheaf verify %6.2f ms   sheaf --help %6.2f ms   difference of medians %.2f ms   median difference %.2f ms\n' \
  "$(awk -v x="$v" 'BEGIN{print x/1000}')" "$(awk -v x="$h" 'BEGIN{print x/1000}')" \
  "$(awk -v a="$v" -v b="$h" 'BEGIN{print (a-b)/1000}')" "$(awk -v x="$d" 'BEGIN{print x/1000}')"
printf '          of which: gpgv alone %.2f ms; sheaf verify under an accept-anything policy %.2f ms (%.2f ms over the floor)\n' \
  "$(awk -v x="$g" 'BEGIN{print x/1000}')" "$(awk -v x="$o" 'BEGIN{print x/1000}')" "$(awk -v a="$o" -v b="$h" 'BEGIN{print (a-b)/1000}')"
sv=$(printf '%s\n' "${sigstore_us[@]}" | median)
sd=$(for ((k = 0; k < rounds; k++)); do echo $(( sigstore_us[k] - help_us[k] )); done | median)
printf 'sigstore  sheaf verify %6.2f ms   sheaf --help %6.2f ms   difference of medians %.2f ms   median difference %.2f ms\n' \
  "$(awk -v x="$sv" 'BEGIN{print x/1000}')" "$(awk -v x="$h" 'BEGIN{print x/1000}')" \
  "$(awk -v a="$sv" -v b="$h" 'BEGIN{print (a-b)/1000}')" "$(awk -v x="$sd" 'BEGIN{print x/1000}')"
compare remote "sheaf verify --key" "cosign_check.py" \
  $(for x in "${remote_us[@]}"; do echo $(( x / 1000 )); done) $(for x in "${checker_us[@]}"; do echo $(( x / 1000 )); done)
compare pull "sheaf pull --policy" "skopeo copy --policy" "${pull_ms[@]}" "${skopeo_ms[@]}"
compare pull "sheaf pull --policy" "podman pull --sig…" "${pull_ms[@]}" "${podman_ms[@]}"
