#!/usr/bin/env bash
# Machine setup for CI (.ci/run calls it when present): what the test suite
# needs beyond npm packages. Idempotent and quiet; safe to run again.
set -euo pipefail

# The browser test drives Debian's Chromium through playwright-core
# (never `npx playwright install`, which downloads a browser build of its own).
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  # A mirror outage must not fail the run: the browser test then skips, saying why.
  if ! { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; then
    echo "ci-setup: could not install chromium; the browser test will be skipped"
  fi
fi

# The README's tour (test/docs/readme-tour.test.ts) runs its curl commands.
if ! command -v curl >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq curl >/dev/null
fi
