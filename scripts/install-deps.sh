#!/usr/bin/env bash
# Installs the system packages that poolvisor's demo and tests run for real:
# supervisord (Debian package "supervisor") and php-fpm, and the shells whose
# completion scripts the tests run (zsh, fish; bash is there). As root it installs
# what is missing; otherwise it prints the exact command to run.
# --fleet also wants nats-server, for make demo-fleet (the tests embed one).
set -euo pipefail

need=()
command -v supervisord >/dev/null 2>&1 || need+=(supervisor)
compgen -G "/usr/sbin/php-fpm*" >/dev/null || need+=(php-fpm)
# systemd-analyze checks the shipped units (verify, and security exposure).
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# `poolvisor completion zsh|fish` is tested in the real shells.
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
if [ "${1:-}" = "--fleet" ]; then
  command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "poolvisor needs Go 1.26 or newer (https://go.dev/doc/install); it is not on PATH." >&2
  exit 1
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  echo "(or run this make target as root, which installs them itself)" >&2
  exit 1
fi

echo "Installing ${need[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "Installed ${need[*]}."
