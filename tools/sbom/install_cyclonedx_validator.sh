#!/usr/bin/env bash
# tools/sbom/install_cyclonedx_validator.sh DIR: installs, once, the npm
# packages validate_cyclonedx.cjs needs into DIR/node_modules, from the npm
# registry npm is configured with. Idempotent; exits 1 when npm fails.
set -euo pipefail
dir=$1
mkdir -p "$dir"
if [ ! -f "$dir/node_modules/@cyclonedx/cyclonedx-library/package.json" ] ||
   [ ! -d "$dir/node_modules/ajv-formats-draft2019" ]; then
  (cd "$dir" && npm install --no-audit --no-fund --silent \
     @cyclonedx/cyclonedx-library@10 ajv@8 ajv-formats@3 ajv-formats-draft2019@1 >/dev/null)
fi
cp "$(dirname "${BASH_SOURCE[0]}")/validate_cyclonedx.cjs" "$dir/"
