#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (Playwright drives it
# through executable_path; nothing is downloaded by Playwright itself).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "chromium is missing and installing it needs root: apt-get install chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
