#!/usr/bin/env bash
# Installs what the panel and its tests need on a fresh Debian machine: system packages, then npm packages.
# Safe to run again: it only installs what is missing. The lab installs its own parts (lab/).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
need_apt=()
command -v node >/dev/null || { echo "Node.js 20.19+ is required (node not found)." >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  { echo "Node.js 20.19+ is required (found $(node --version))." >&2; exit 1; }
command -v git >/dev/null || need_apt+=(git)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v make >/dev/null || need_apt+=(make)
command -v g++ >/dev/null || need_apt+=(g++)
command -v python3 >/dev/null || need_apt+=(python3)
if [ "${PANEL_SKIP_BROWSER:-0}" != 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# certutil: the browser tests give chromium an NSS database that trusts the lab CA (no certificate errors ignored).
if [ "${PANEL_SKIP_BROWSER:-0}" != 1 ] && ! command -v certutil >/dev/null; then need_apt+=(libnss3-tools); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  step "Installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  step "Installing npm packages (npm ci; the first time compiles better-sqlite3, about 3 minutes)"
  start=$(date +%s)
  npm ci --no-audit --no-fund --loglevel=error
  echo "npm packages installed in $(( $(date +%s) - start )) s"
else
  echo "npm packages are up to date"
fi
