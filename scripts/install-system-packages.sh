#!/usr/bin/env bash
# Debian packages the tests need beyond Python: Chromium, to open the Snakemake report in a real browser, and
# SLURM (munge, MariaDB, slurmdbd, slurmctld, slurmd) for the test cluster that tests/workflow/test_slurm.py starts with
# scripts/slurm-cluster.sh. Installs only what is missing; needs root (or sudo).
set -euo pipefail
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
$SUDO bash "$(dirname "$0")/slurm-cluster.sh" install
command -v chromium >/dev/null && exit 0
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
