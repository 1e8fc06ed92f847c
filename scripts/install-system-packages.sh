#!/usr/bin/env bash
# Debian packages the tests need beyond Python: Chromium, to open the Snakemake report in a real browser.
# Installs only what is missing; needs root (or sudo).
set -euo pipefail
command -v chromium >/dev/null && exit 0
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
