#!/usr/bin/env bash
# tools/sbom/install_cyclonedx_validator.sh DIR: installs, once, the npm
# packages validate_cyclonedx.cjs needs into DIR/node_modules, from the npm
# registry npm is configured with. Idempotent; exits 1 when npm fails.
set -euo pipefail
dir=$1
mkdir -p "$dir"
# Version 7: the newest that runs on Debian 12's node 18 (8 and later need
# node 20.18); it has the strict CycloneDX 1.5 JSON validator.
library="$dir/node_modules/@cyclonedx/cyclonedx-library/package.json"
if [ ! -f "$library" ] || ! grep -q '"version": "7\.' "$library" ||
   [ ! -d "$dir/node_modules/ajv-formats-draft2019" ]; then
  (cd "$dir" && npm install --no-audit --no-fund --silent \
     @cyclonedx/cyclonedx-library@7 ajv@8 ajv-formats@3 ajv-formats-draft2019@1 >/dev/null)
fi
cp "$(dirname "${BASH_SOURCE[0]}")/validate_cyclonedx.cjs" "$dir/"
