#!/usr/bin/env bash
# Installs what Portico needs on Debian 12 and builds it. Safe to run again: it only installs
# what is missing. As root it also links `portico` into /usr/local/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the kernel's tools (nftables, iproute2, conntrack), the OCI runtime (runc),
# etcd for multi-machine storage, the tools pods and tests use (dig, curl, nc, busybox), and
# gcc + libc6-dev for portico-shim (the per-container monitor, built on first use) and openssl
# for the agnhost image's TLS pair.
packages=(nftables iproute2 conntrack runc etcd-server dnsutils curl netcat-openbsd busybox-static
  iputils-ping procps kmod ca-certificates python3 make g++ gcc libc6-dev openssl)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "portico install: apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif [ "$(id -u)" != 0 ]; then
  echo "portico install: not root, skipping apt packages (${packages[*]})" >&2
fi

command -v node >/dev/null || { echo "portico install: Node.js 20 or newer is required" >&2; exit 1; }

# better-sqlite3 has no reachable prebuilt binary here: it compiles from source (about a minute).
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
npm run build --silent

if [ "$(id -u)" = 0 ]; then
  ln -sf "$PWD/bin/portico.js" /usr/local/bin/portico
fi
echo "portico install: done ($(node bin/portico.js version 2>/dev/null || echo built))"
