#!/usr/bin/env bash
# npm run sdk:generate — writes sdk/openapi.json and sdk/schema.d.ts from the server's document.
# npm run sdk:check    — fails when the committed files differ from what the code generates now.
set -euo pipefail
cd "$(dirname "$0")/.."
out="sdk"
if [ "${1:-}" = "check" ]; then out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT; fi
node --import tsx scripts/openapi.ts > "$out/openapi.json"
npx openapi-typescript "$out/openapi.json" -o "$out/schema.d.ts" >/dev/null
if [ "${1:-}" = "check" ]; then
  if ! diff -q sdk/openapi.json "$out/openapi.json" >/dev/null || ! diff -q sdk/schema.d.ts "$out/schema.d.ts" >/dev/null; then
    echo "sdk/ is out of date with the API: run npm run sdk:generate and commit." >&2
    exit 1
  fi
  echo "SDK types match the OpenAPI document."
fi
