#!/bin/sh
# The project's test command (`npm test`): typecheck, lint, format check, unit tests, then the
# integration tests inside a loopback-only network namespace. Ends with one plain summary line.
set -u
mkdir -p .test-results
rm -f .test-results/*.json
status=0
run() {
  printf "\n=== %s\n" "$*"
  "$@" || status=1
}
run npx tsc -p tsconfig.json --noEmit
run npx tsc -p web/tsconfig.json --noEmit
# eslint, then the layering check (.dependency-cruiser.cjs: layers, cycles, sockets).
run npm run lint --silent
run npx prettier --check .
# The dashboard is built before the tests (the browser tests serve this build) and must keep
# its initial JavaScript within budget.
run npm run build:web --silent
run node scripts/web-budget.mjs
run npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.test-results/unit.json
run sh scripts/loopback-only.sh npx vitest run --project integration --reporter=default --reporter=json \
  --outputFile.json=.test-results/integration.json
node scripts/test-summary.mjs .test-results/unit.json .test-results/integration.json || status=1
exit $status
