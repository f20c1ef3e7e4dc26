#!/usr/bin/env bash
# Renders the overview in chromium against the running lab and copies it to docs/images/overview.png, the
# README's screenshot. Needs the build (`npm run build`) and the lab (`npm run lab -- up`). `npm test` never
# writes into the work tree; this is the one place the screenshot changes.
set -euo pipefail
cd "$(dirname "$0")/.."
npx playwright test e2e/foundation.spec.ts -g "README screenshot"
mkdir -p docs/images
cp test-results/overview.png docs/images/overview.png
echo "docs/images/overview.png updated"
