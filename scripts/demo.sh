#!/usr/bin/env bash
# `npm run demo`: installs what is missing (npm packages, the offline VS Code tool chain), builds the simulator,
# packages Runwatch when the .vsix is older than its sources, then starts the simulator (seeded brands and runs
# in progress) and VS Code with the .vsix installed and pointed at it. Prints the URL to open and the keys to
# paste. Ctrl-C stops everything.
# Options are passed to scripts/demo.js: --no-browser, --port N, --sim-port N, --scale N.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/esbuild ] || npm ci
bash scripts/vscode-offline/setup.sh
# tsc emits even when a file has a type error; the demo only needs the emitted simulator.
npm run --silent compile-tests || echo "demo: compile-tests reported type errors; continuing with what was emitted" >&2
exec node scripts/demo.js "$@"
