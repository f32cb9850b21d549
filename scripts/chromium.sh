#!/usr/bin/env bash
# chromium.sh — makes sure a headless Chromium is installed for the browser
# test of the preview package (preview/browser_test.go), which drives it over
# the DevTools protocol. Only that test needs it.
#
# Usage: scripts/chromium.sh            install when missing (Debian/Ubuntu, as root)
#
# Idempotent and quick: when a browser is found it prints its path and returns
# at once. It looks, in order, at $CHROMIUM (a path), then chromium,
# chromium-browser and google-chrome on $PATH. Otherwise, on a Debian-like
# system run as root, it runs `apt-get update` and installs Debian's chromium
# package (about 300 MB with its libraries). Elsewhere it says which package
# to install and exits 1. The path of the browser is printed last on stdout.
set -euo pipefail

say() { echo "chromium: $*" >&2; }

find_browser() {
  if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then
    echo "$CHROMIUM"
    return 0
  fi
  local b
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null; then
      command -v "$b"
      return 0
    fi
  done
  return 1
}

if find_browser; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  say "no Chromium found (chromium, chromium-browser, google-chrome or \$CHROMIUM) and this is not a Debian-like system;"
  say "install Chromium or Chrome and run again, or set CHROMIUM to its path"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "Chromium is missing; run as root, or: sudo apt-get install chromium"
  exit 1
fi
say "installing chromium (about 300 MB) with apt-get"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
       apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  say "apt-get failed (the last lines are above)"
  exit 1
fi
if ! find_browser; then
  say "chromium installed but not found on \$PATH"
  exit 1
fi
say "$(chromium --version 2>/dev/null || echo chromium) installed"
