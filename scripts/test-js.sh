#!/usr/bin/env bash
# JS client: install the pinned packages, type-check, run node's test runner.
set -euo pipefail
cd "$(dirname "$0")/../clients/js"
npm ci --no-audit --no-fund --loglevel=error
npm test
