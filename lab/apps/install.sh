#!/usr/bin/env bash
# Installs the Debian programs the lab's application layer runs: qBittorrent (headless),
# Prometheus, Alertmanager, nginx, git with its http-backend, fcgiwrap, openssl, unzip (the
# tests check the apps' backup archives with it), bubblewrap (the lab executor's sandbox),
# xmlstarlet (which the seeded init containers install), certutil (NSS), so the browser tests'
# chromium trusts the lab CA, sqlite3 (the backup Jobs' image runs the host's sqlite3 in the lab)
# and busybox (the backup script's tests run it with busybox's applets too, as in that image).
# Idempotent: does nothing when every program is already present.
set -euo pipefail

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

if [ ${#missing[@]} -eq 0 ]; then
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
