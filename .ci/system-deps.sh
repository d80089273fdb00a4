#!/usr/bin/env bash
# Debian packages the app and its tests need, installed only when missing and when root.
# Usage: system-deps.sh run|test
set -euo pipefail
mode=${1:-run}
need=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
if [ "$mode" = test ]; then
  need+=(poppler-utils chromium postgresql redis-server)
fi
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
  [ "$mode" = run ] && exit 0 || exit 1
fi
echo "Installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
