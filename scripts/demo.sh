#!/usr/bin/env bash
# One command from a fresh machine to a running panel on the local lab:
# installs everything, builds the panel, builds and starts the lab (a real Kubernetes control plane
# seeded with the GitOps repo, plus the apps around it), then starts the panel and prints how to sign in.
# LAB_GITOPS_REPO=/path/to/your/repo seeds the lab from your own repository instead of the owner's fixture
# (../shared/fixtures/k8s_nas) or, without it, the example stack in examples/media-stack.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
PORT="${PORT:-3000}"
export LAB_PANEL_PORT="$PORT"
DEMO_DIR="${DEMO_DIR:-$PWD/.data/demo}"
mkdir -p "$DEMO_DIR"
chmod 700 "$DEMO_DIR"
t0=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

# First, where the lab's cluster comes from and what is ahead, with the time each phase takes on 2 cores.
shared_dir="${K8S_NAS_SHARED_DIR:-$PWD/../shared}"
if [ -n "${LAB_GITOPS_REPO:-}" ]; then
  echo "k8s-nas-panel demo: the lab is seeded from $LAB_GITOPS_REPO (LAB_GITOPS_REPO)"
elif [ -d "$shared_dir/fixtures/k8s_nas" ]; then
  echo "k8s-nas-panel demo: the lab is seeded from $(cd "$shared_dir/fixtures/k8s_nas" && pwd) (the owner's fixture; LAB_GITOPS_REPO=/path/to/repo seeds it from another)"
else
  echo "k8s-nas-panel demo: the lab is seeded from $PWD/examples/media-stack (the example media stack; $shared_dir/fixtures/k8s_nas is absent; LAB_GITOPS_REPO=/path/to/repo seeds it from another)"
fi
phase() { printf '  %-44s %s\n' "$1" "$2"; }
echo "Phases (times measured on 2 cores):"
if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  phase "1. install what is missing" "npm packages installed already: seconds"
else
  phase "1. install what is missing" "npm ci about 3 min (compiles better-sqlite3), plus any Debian packages"
fi
if [ -f .next/standalone/server.js ]; then phase "2. build the panel" "built already: seconds, or about 1 min if the code changed"
else phase "2. build the panel" "about 1 min"; fi
if bash lab/cluster/build-binaries.sh --is-cached 2>/dev/null; then
  phase "3. the lab's Kubernetes and Gitea binaries" "cached: seconds"
else
  phase "3. the lab's Kubernetes and Gitea binaries" "built once from the Go module proxy: about 7 min for Kubernetes, 3.5 min for Gitea"
fi
phase "4. start the lab (control plane, apps, Argo CD)" "about 25 s"
phase "5. the panel behind the lab's nginx" "a few seconds"
# `npm run demo -- --plan`: only this plan, nothing started.
if [ "${1:-}" = "--plan" ]; then exit 0; fi

step "Installing what is missing"
bash scripts/setup.sh

step "Building the panel"
if [ ! -f .next/standalone/server.js ] || [ -n "$(find app components lib server proxy.ts instrumentation.ts package-lock.json -newer .next/standalone/server.js -print -quit 2>/dev/null)" ]; then
  npm run build
else
  echo "build is up to date"
fi

secrets="$DEMO_DIR/secrets.env"
if [ ! -f "$secrets" ] || ! grep -q '^PANEL_METRICS_TOKEN=' "$secrets"; then
  password="$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-16)"
  {
    echo "DEMO_ADMIN_PASSWORD='$password'"
    echo "PANEL_ADMIN_PASSWORD_HASH='$(printf '%s' "$password" | npx tsx --conditions=react-server scripts/hash-password.ts --stdin)'"
    echo "AUTH_SECRET='$(openssl rand -base64 33)'"
    echo "PANEL_METRICS_TOKEN='$(openssl rand -hex 24)'"
  } > "$secrets"
  chmod 600 "$secrets"
fi
# shellcheck disable=SC1090
source "$secrets"
# The lab's Prometheus scrapes the panel with the panel's metrics token, as in the cluster.
export LAB_PANEL_METRICS_TOKEN="$PANEL_METRICS_TOKEN"

step "Building the lab's Kubernetes binaries (first time: many minutes; cached afterwards)"
bash lab/cluster/build-binaries.sh

step "Starting the lab"
npx tsx lab/cli.ts up
LAB_DIR="${LAB_DIR:-$PWD/.lab}"

step "Giving the panel its ServiceAccount and least-privilege RBAC from deploy/"
npx tsx lab/cli.ts panel-kubeconfig

step "Putting the panel behind the lab's nginx over HTTPS, as an ingress would"
DEMO_URL="$(npx tsx lab/cli.ts panel-front demo "$PORT")"
export DEMO_URL DEMO_TRUSTED_PROXY=127.0.0.2

step "Writing the panel's configuration"
npx tsx scripts/demo-config.ts "$LAB_DIR/lab.json" "$DEMO_DIR/config.yaml"
# shellcheck disable=SC1090
source "$DEMO_DIR/config.yaml.env"
if [ -f "$LAB_DIR/lab.json" ]; then
  GITOPS_TOKEN="$(node -e 'const l=require(process.argv[1]); process.stdout.write(l.apps?.forge?.token ?? "")' "$LAB_DIR/lab.json")"
  GITOPS_GIT_PASSWORD="$(node -e 'const l=require(process.argv[1]); process.stdout.write(l.apps?.git?.password ?? "")' "$LAB_DIR/lab.json")"
  export GITOPS_TOKEN GITOPS_GIT_PASSWORD
fi

cat <<TXT

  k8s-nas-panel is starting on the local lab.
    URL:       $DEMO_URL   (HTTPS through the lab's nginx; the panel itself listens on 127.0.0.1:$PORT)
    Sign in:   admin / $DEMO_ADMIN_PASSWORD   (kept in $secrets)
    TLS:       the certificate is from the lab's own CA, $LAB_DIR/tls/ca.crt: import it into your
               browser's certificate authorities to open the URL without a warning
    Lab:       npm run lab -- status   |   stop it with: npm run lab -- down
  Press Ctrl-C to stop the panel.

TXT
export PANEL_CONFIG="$DEMO_DIR/config.yaml" PANEL_DATA_DIR="$DEMO_DIR/data" PANEL_ADMIN_PASSWORD_HASH AUTH_SECRET PANEL_METRICS_TOKEN
PORT="$PORT" HOSTNAME=127.0.0.1 exec node scripts/start-standalone.mjs
