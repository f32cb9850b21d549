#!/usr/bin/env bash
# slurm.sh — makes sure a single-node Slurm can be started on this machine
# for the batch tests (examples/stylize/slurm_test.go): Debian's slurmctld,
# slurmd, the client commands (sbatch, squeue, scancel, sacct) and munge.
#
# Usage: scripts/slurm.sh            install when missing (Debian/Ubuntu, as root)
#
# Idempotent and quick: when slurmctld, slurmd, sbatch and munged are all on
# the PATH it returns at once. Otherwise, on a Debian-like system run as
# root, it runs `apt-get update` and installs slurmctld, slurmd,
# slurm-client and munge (Slurm 22.05 on Debian bookworm), then stops and
# disables the services the packages start, so that only the daemons a test
# starts itself, with its own configuration, run. Elsewhere it says which
# packages to install and exits 1.
set -euo pipefail

say() { echo "slurm: $*" >&2; }

have() {
  local c
  for c in slurmctld slurmd sbatch squeue scancel munged mungekey; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$c" >/dev/null || return 1
  done
}

if have; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  say "Slurm and munge are missing and this is not a Debian-like system;"
  say "install slurmctld, slurmd, the Slurm client commands and munge, and run again"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "Slurm and munge are missing; run as root, or: sudo apt-get install slurmctld slurmd slurm-client munge"
  exit 1
fi
say "installing slurmctld, slurmd, slurm-client and munge with apt-get"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# policy-rc.d keeps the packages' init scripts from starting daemons with
# the packaged configuration; the tests start their own.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
ok=1
{ apt-get -o DPkg::Lock::Timeout=600 update -qq &&
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge; } >"$log" 2>&1 || ok=
[ -z "$made_policy" ] || rm -f "$policy"
if [ -z "$ok" ]; then
  tail -n 20 "$log" >&2
  say "apt-get failed (the last lines are above)"
  exit 1
fi
have || { say "packages installed but slurmctld, slurmd, sbatch or munged is still missing"; exit 1; }
say "$(PATH="$PATH:/usr/sbin" slurmctld -V) and munge $(PATH="$PATH:/usr/sbin" munged --version 2>&1 | head -n1 | awk '{print $1}') installed"
