#!/usr/bin/env bash
# Fails when a process started by this test run is still alive: what `make test` ends with.
#
#   scripts/check-leftovers.sh <run id> [--allow <path>]... [--wait <seconds>]
#
# The run is recognised by its environment: `make test` exports HP_TEST_RUN_ID=<run id> before
# it starts anything, every process of the run inherits it (services, the cluster's components,
# reapers, Airflow's task processes), and /proc/<pid>/environ keeps a process's environment as
# it was started. That tells this run's daemons from those of other checkouts or users on a
# shared machine, which a list of daemon names (dockerd, mlflow, etcd…) cannot.
# --allow <path>: processes whose command line contains <path> may stay (e.g. the local cluster's
# state dir when the cluster was already running before the run and the cluster tests restarted it).
# --wait: how long to give reapers that are still stopping a stack (default 90 s).
set -euo pipefail

run_id="${1:-}"
if [[ -z "$run_id" || "$run_id" == --* ]]; then
  echo "usage: $0 <run id> [--allow <path>]... [--wait <seconds>]" >&2
  exit 2
fi
shift
allowed=()
wait_s=90
while (($#)); do
  case "$1" in
    --allow) allowed+=("$2"); shift 2 ;;
    --wait) wait_s="$2"; shift 2 ;;
    *) echo "check-leftovers: unknown argument $1" >&2; exit 2 ;;
  esac
done
# What this script runs from here on is not part of the run.
unset HP_TEST_RUN_ID

self=$$
# True when pid $1 is this script or one of its subshells (forks keep the script's environment).
is_self() {
  local pid="$1" parent
  while [[ "$pid" -gt 1 ]]; do
    [[ "$pid" == "$self" ]] && return 0
    parent="$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ -n "$parent" ]] || return 1
    pid="$parent"
  done
  return 1
}

leftovers() {
  local dir pid cmd path allowed_here
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    # Zombies are gone in all but name; kernel threads have no environment.
    [[ "$(awk '{ sub(/.*\) /, ""); print $1 }' "$dir/stat" 2>/dev/null)" == [ZX] ]] && continue
    tr '\0' '\n' 2>/dev/null <"$dir/environ" | grep -qxF "HP_TEST_RUN_ID=$run_id" || continue
    is_self "$pid" && continue
    cmd="$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline")" || continue
    [[ -n "$cmd" ]] || continue
    allowed_here=0
    for path in "${allowed[@]}"; do [[ "$cmd" == *"$path"* ]] && allowed_here=1; done
    ((allowed_here)) && continue
    printf '%s\t%s\n' "$pid" "${cmd:0:300}"
  done
}

deadline=$((SECONDS + wait_s))
while :; do
  found="$(leftovers)"
  [[ -z "$found" ]] && { echo "check-leftovers: no process of test run $run_id is left"; exit 0; }
  ((SECONDS >= deadline)) && break
  sleep 3
done
echo "check-leftovers: processes started by test run $run_id are still running after it ended:" >&2
while IFS=$'\t' read -r pid cmd; do echo "  pid $pid: $cmd" >&2; done <<<"$found"
echo "check-leftovers: whatever started them must stop them (src/host/cleanup.ts); stop them by hand with: kill <pid>" >&2
exit 1
