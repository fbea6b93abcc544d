#!/usr/bin/env bash
# Installs Debian's postgresql server binaries for the service tests when they are missing.
# The tests start their own throwaway server (initdb + pg_ctl on a free loopback port);
# nothing here starts or enables a system service.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "PostgreSQL is missing and installing it needs root: apt-get install postgresql" >&2
  exit 1
fi
echo "Installing Debian's postgresql for the service tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
