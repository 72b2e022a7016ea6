#!/usr/bin/env bash
# Fails when the Drizzle schema and the committed migrations disagree: drizzle-kit generates into a
# scratch copy of the migrations; any new file there is a schema change nobody generated.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=".migrations-check"
rm -rf "$scratch"
trap 'rm -rf "$scratch"' EXIT
cp -r src/db/migrations "$scratch"
npx drizzle-kit check --dialect postgresql --out "$scratch" >/dev/null
out=$(npx drizzle-kit generate --dialect postgresql --schema ./src/db/schema/index.ts --out "$scratch" 2>&1)
if ! diff -rq src/db/migrations "$scratch" >/dev/null; then
  echo "$out"
  echo "The schema in src/db/schema differs from the committed migrations: run npm run db:generate and commit." >&2
  exit 1
fi
echo "Migrations match the schema."
