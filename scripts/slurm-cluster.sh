#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, to run the workflow through profiles/slurm without a
# site cluster: munge (authentication), MariaDB + slurmdbd (accounting, which the SLURM executor plugin
# polls with sacct), slurmctld and slurmd, started by hand (no systemd needed), as root, on Debian/Ubuntu.
#
#   scripts/slurm-cluster.sh install   apt-get install the Debian packages that are missing (nothing else)
#   scripts/slurm-cluster.sh start     install, configure, start the daemons, register the accounting
#                                      (cluster, account, user) and wait until the node is idle
#   scripts/slurm-cluster.sh status    which daemons run and the node's state (exit 0 only if all run)
#   scripts/slurm-cluster.sh stop      cancel the cluster's jobs, stop the daemons this script started
#   scripts/slurm-cluster.sh purge     stop, then delete the state directory (database, spool, logs)
#
# Every file lives in $RLV_SLURM_STATE (default /var/lib/rlv-slurm): slurm.conf, slurmdbd.conf, a private
# MariaDB data directory on 127.0.0.1:$RLV_SLURM_DB_PORT (default 3307), spool, logs and the PID of every
# daemon started. The only files placed outside it are the links /etc/slurm/{slurm,slurmdbd}.conf (so
# sbatch, sacct and friends find the cluster without SLURM_CONF); `stop` removes them. A machine that
# already has its own /etc/slurm/slurm.conf is left alone: start refuses. A munged that is already
# running is used as it is and never stopped. Idempotent: start on a running cluster only checks it.
# Cluster, partition and account are all named $RLV_SLURM_NAME (default rlv), as in profiles/slurm.
set -euo pipefail

STATE=${RLV_SLURM_STATE:-/var/lib/rlv-slurm}
NAME=${RLV_SLURM_NAME:-rlv}
DB_PORT=${RLV_SLURM_DB_PORT:-3307}
NODE=$(hostname -s)
PACKAGES=(munge mariadb-server slurmdbd slurmctld slurmd slurm-client)
LINKS=(/etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf)
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd)   # start order; stop runs it backwards

say() { echo "slurm-cluster: $*"; }
fail() { echo "slurm-cluster: ERROR: $*" >&2; exit 1; }
fail_with_log() {  # fail_with_log DAEMON MESSAGE: the message, then the end of the daemon's log
  echo "slurm-cluster: ERROR: $2" >&2
  if [ -s "$STATE/log/$1.log" ]; then
    echo "----- last lines of $STATE/log/$1.log -----" >&2
    tail -n 40 "$STATE/log/$1.log" >&2
  fi
  exit 1
}

need_root() { [ "$(id -u)" = 0 ] || fail "must run as root (it installs packages and starts system daemons)"; }

# A PID is alive only if its process exists and is not a zombie waiting to be reaped.
alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
pid_of() { cat "$STATE/run/$1.pid" 2>/dev/null || true; }
# A recorded daemon runs if its PID is alive and runs that program (or, just launched, is still exec'ing it).
running() {
  local pid; pid=$(pid_of "$1")
  alive "$pid" && tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qx "\(.*/\)\?$1"
}

missing_packages() {
  local package
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

install() {
  need_root
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  if [ -z "$missing" ]; then
    say "packages present: ${PACKAGES[*]}"
    return
  fi
  command -v apt-get >/dev/null || fail "apt-get not found: install these packages by hand: $missing"
  say "installing $missing"
  # Package scripts must not start services: this script starts (and stops) its own daemons.
  local policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
  fi
  # shellcheck disable=SC2086
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      $missing > "${TMPDIR:-/tmp}/slurm-cluster-apt.log" 2>&1; }; then
    [ -z "$policy" ] || rm -f "$policy"
    tail -n 30 "${TMPDIR:-/tmp}/slurm-cluster-apt.log" >&2
    fail "apt-get install $missing failed"
  fi
  [ -z "$policy" ] || rm -f "$policy"
  say "installed $missing"
}

# Runs a daemon in the foreground of its own session, output to its log, and records its PID.
launch() {  # launch NAME COMMAND...
  local name=$1; shift
  setsid "$@" >> "$STATE/log/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/run/$name.pid"
}

wait_for() {  # wait_for DAEMON SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds
  local name=$1 seconds=$2 what=$3 i; shift 3
  for ((i = 0; i < seconds * 4; i++)); do
    "$@" > /dev/null 2>&1 && return 0
    running "$name" || fail_with_log "$name" "$name exited while waiting for $what"
    sleep 0.25
  done
  fail_with_log "$name" "$what: not ready after ${seconds} s"
}

write_configs() {
  local cpus memory password
  cpus=$(nproc)
  memory=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)   # MB, a margin under the machine's
  [ -s "$STATE/db.password" ] || { (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$STATE/db.password"); }
  password=$(cat "$STATE/db.password")
  cat > "$STATE/slurm.conf" << EOF
# Single-node test cluster written by scripts/slurm-cluster.sh (rlv); state in $STATE.
ClusterName=$NAME
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$STATE/run/slurmctld.daemon.pid
SlurmdPidFile=$STATE/run/slurmd.daemon.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# No cgroups: processes are tracked through /proc and tasks are not confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
# Finished jobs stay visible to squeue for 5 minutes; sacct (slurmdbd) keeps them for good.
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=$NAME Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  (umask 077; cat > "$STATE/slurmdbd.conf" << EOF
# Accounting daemon of the test cluster, written by scripts/slurm-cluster.sh (rlv).
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
LogFile=$STATE/log/slurmdbd.log
PidFile=$STATE/run/slurmdbd.daemon.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$password
StorageLoc=slurm_acct_db
EOF
  )
}

link_configs() {
  mkdir -p /etc/slurm
  local link
  for link in "${LINKS[@]}"; do
    local target="$STATE/$(basename "$link")"
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then continue; fi
    [ -e "$link" ] || [ -L "$link" ] && fail "$link already exists and is not this script's: this machine has its own" \
      "SLURM configuration; use that cluster (edit profiles/slurm) or move the file away"
    ln -s "$target" "$link"
  done
}

start_munge() {
  if munge -n 2>/dev/null | unmunge > /dev/null 2>&1; then
    running munged && say "munged running (pid $(pid_of munged))" || say "munged already running (not started here; left alone)"
    return
  fi
  [ -s /etc/munge/munge.key ] || { say "creating /etc/munge/munge.key"; mungekey --create --keyfile=/etc/munge/munge.key;
                                   chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  launch munged setpriv --reuid=munge --regid=munge --init-groups munged --foreground
  wait_for munged 20 "munge credentials" sh -c 'munge -n | unmunge'
  say "munged started (pid $(pid_of munged))"
}

db() { mariadb --no-defaults --socket="$STATE/run/mariadb.sock" -u root "$@"; }

start_mariadb() {
  if running mariadbd; then say "mariadbd running (pid $(pid_of mariadbd))"; return; fi
  if [ ! -d "$STATE/mysql/mysql" ]; then
    say "initialising the accounting database in $STATE/mysql"
    mkdir -p "$STATE/mysql" && chown mysql:mysql "$STATE/mysql"
    mariadb-install-db --no-defaults --user=mysql --datadir="$STATE/mysql" --skip-test-db \
      --auth-root-authentication-method=socket > "$STATE/log/mariadb-install-db.log" 2>&1 \
      || fail_with_log mariadb-install-db "mariadb-install-db failed"
  fi
  chown mysql:mysql "$STATE/run"
  launch mariadbd mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" --socket="$STATE/run/mariadb.sock" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$STATE/run/mariadbd.daemon.pid" \
    --log-error="$STATE/log/mariadbd.log" --innodb-buffer-pool-size=64M
  wait_for mariadbd 60 "MariaDB on 127.0.0.1:$DB_PORT" db -e "SELECT 1"
  local password
  password=$(cat "$STATE/db.password")
  db -e "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$password';
         ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$password';
         GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
  say "mariadbd started (pid $(pid_of mariadbd), 127.0.0.1:$DB_PORT)"
}

start_slurmdbd() {
  if running slurmdbd; then say "slurmdbd running (pid $(pid_of slurmdbd))"; return; fi
  launch slurmdbd slurmdbd -D
  wait_for slurmdbd 60 "slurmdbd answering sacctmgr" sacctmgr -n list cluster
  say "slurmdbd started (pid $(pid_of slurmdbd))"
}

register_accounting() {  # cluster, account and user (root) in the accounting database, once
  [ -n "$(sacctmgr -n -P list cluster "$NAME" format=cluster)" ] || sacctmgr -i -Q add cluster "$NAME" > /dev/null
  [ -n "$(sacctmgr -n -P list account "$NAME" format=account)" ] \
    || sacctmgr -i -Q add account "$NAME" cluster="$NAME" description="rlv test account" organization=rlv > /dev/null
  [ -n "$(sacctmgr -n -P list association cluster="$NAME" account="$NAME" user=root format=user)" ] \
    || sacctmgr -i -Q add user root account="$NAME" cluster="$NAME" > /dev/null
  say "accounting: cluster $NAME, account $NAME, user root"
}

start_slurmctld() {
  if running slurmctld; then say "slurmctld running (pid $(pid_of slurmctld))"; return; fi
  launch slurmctld slurmctld -D -i
  wait_for slurmctld 60 "slurmctld answering" scontrol ping
  say "slurmctld started (pid $(pid_of slurmctld))"
}

start_slurmd() {
  if running slurmd; then say "slurmd running (pid $(pid_of slurmd))"; return; fi
  launch slurmd slurmd -D -N "$NODE"
  say "slurmd started (pid $(pid_of slurmd))"
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n 1; }

wait_for_idle() {
  local i state=""
  for ((i = 0; i < 240; i++)); do
    state=$(node_state)
    case "$state" in
      idle|mixed|allocated) say "node $NODE is $state (partition $NAME, $(nproc) CPUs)"; return ;;
      down*|drain*|drained*) scontrol update nodename="$NODE" state=resume > /dev/null 2>&1 || true ;;
    esac
    running slurmd || fail_with_log slurmd "slurmd exited before the node came up"
    sleep 0.25
  done
  fail_with_log slurmd "node $NODE is '${state:-unknown}' after 60 s, not idle"
}

start() {
  need_root
  local began=$SECONDS
  [ -L /etc/slurm/slurm.conf ] || [ ! -e /etc/slurm/slurm.conf ] \
    || fail "/etc/slurm/slurm.conf exists and is not this script's: this machine has its own SLURM configuration"
  install
  mkdir -p "$STATE"/{run,log,spool/slurmctld,spool/slurmd}
  chmod 755 "$STATE"
  write_configs
  link_configs
  start_munge
  start_mariadb
  start_slurmdbd
  register_accounting
  start_slurmctld
  start_slurmd
  wait_for_idle
  say "cluster $NAME up in $((SECONDS - began)) s; state, logs and PIDs in $STATE"
}

stop_daemon() {  # TERM, then KILL after 20 s; only a PID this script recorded, and only if it is that daemon
  local name=$1 pid i
  pid=$(pid_of "$name")
  if ! running "$name"; then rm -f "$STATE/run/$name.pid"; return; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 80; i++)); do alive "$pid" || break; sleep 0.25; done
  if alive "$pid"; then say "$name (pid $pid) ignored SIGTERM; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$STATE/run/$name.pid"
  say "stopped $name (pid $pid)"
}

stop() {
  need_root
  if running slurmctld; then
    local jobs
    jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    [ -z "${jobs// /}" ] || { say "cancelling jobs $jobs"; scancel $jobs 2>/dev/null || true; }
  fi
  local i
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do stop_daemon "${DAEMONS[i]}"; done
  local link
  for link in "${LINKS[@]}"; do
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$STATE/$(basename "$link")" ]; then rm -f "$link"; fi
  done
  say "stopped; data and logs kept in $STATE (purge deletes them)"
}

status() {
  local name ok=0
  for name in "${DAEMONS[@]}"; do
    if running "$name"; then say "$name running (pid $(pid_of "$name"))"; else say "$name not running"; ok=3; fi
  done
  if running slurmctld; then say "node $NODE: $(node_state)"; fi
  return $ok
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  purge) stop; rm -rf "$STATE"; say "deleted $STATE" ;;
  *) echo "usage: $0 install|start|status|stop|purge" >&2; exit 2 ;;
esac
