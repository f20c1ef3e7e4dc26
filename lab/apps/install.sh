#!/usr/bin/env bash
# Installs the Debian programs the lab's application layer runs: qBittorrent (headless),
# Prometheus, Alertmanager, nginx, git with its http-backend, fcgiwrap, openssl, unzip (the
# tests check the apps' backup archives with it), bubblewrap (the lab executor's sandbox),
# xmlstarlet (which the seeded init containers install), certutil (NSS), so the browser tests'
# chromium trusts the lab CA, sqlite3 (the backup Jobs' image runs the host's sqlite3 in the lab)
# and busybox (the backup script's tests run it with busybox's applets too, as in that image).
# It also installs the PyPI qBittorrent exporter (prometheus-qbittorrent-exporter, pinned with its
# dependencies in qbittorrent-exporter.requirements.txt) into a virtualenv in the lab cache, which the
# lab executor runs for the exporter Deployments the panel proposes.
# Idempotent: does nothing when every program is already present.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${K8S_NAS_PANEL_CACHE:-$HOME/.cache/k8s-nas-panel}"
qbt_version="$(sed -n 's/^prometheus-qbittorrent-exporter==//p' "$here/qbittorrent-exporter.requirements.txt")"
venv="$cache/venvs/qbittorrent-exporter-$qbt_version"

install_qbittorrent_exporter() {
  if [ -x "$venv/bin/qbittorrent-exporter" ] && diff -q <("$venv/bin/pip" freeze --disable-pip-version-check 2>/dev/null | sort) <(sort "$here/qbittorrent-exporter.requirements.txt") >/dev/null; then
    return 0
  fi
  echo "lab apps: installing prometheus-qbittorrent-exporter $qbt_version from PyPI into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q -r "$here/qbittorrent-exporter.requirements.txt"
  echo "lab apps: qbittorrent-exporter installed"
}

declare -A need=(
  [qbittorrent-nox]=qbittorrent-nox
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [nginx]=nginx
  [fcgiwrap]=fcgiwrap
  [git]=git
  [openssl]=openssl
  [unzip]=unzip
  [bwrap]=bubblewrap
  [xmlstarlet]=xmlstarlet
  [certutil]=libnss3-tools
  [sqlite3]=sqlite3
  [busybox]=busybox
)

missing=()
for bin in "${!need[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ] && [ ! -x "/usr/bin/$bin" ]; then
    missing+=("${need[$bin]}")
  fi
done

if ! { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -eq 0 ]; then
  install_qbittorrent_exporter
  echo "lab apps: all programs present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "lab apps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for other apt users instead of failing on the dpkg lock.
APT_OPTS=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -n1)" ]; then
  $SUDO apt-get "${APT_OPTS[@]}" update -q
fi
# The lab starts these programs itself on 127.0.0.1; keep the packages' init scripts from
# starting system-wide daemons (nginx on :80, prometheus on :9090) during installation.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "${missing[@]}"
echo "lab apps: installed"
install_qbittorrent_exporter
