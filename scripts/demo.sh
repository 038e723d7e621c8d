#!/usr/bin/env bash
# `make demo`: run the example DAG once in real Airflow (in-process `airflow dags test`, SQLite)
# and print what happened. Expects `make setup bundle` (the Makefile's demo target does that).
# State persists in .airflow-home/ (gitignored); delete that directory to start afresh.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="$repo/.venv/airflow"
dag_id="health_predict_example"
default_conf='{"route": "fast"}'
conf="${HP_DEMO_CONF:-$default_conf}"  # e.g. HP_DEMO_CONF='{"rows": -1}' to watch a non-retryable failure

export AIRFLOW_HOME="$repo/.airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$repo/generated/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
log="$AIRFLOW_HOME/demo.log"

if [[ ! -x "$venv/bin/airflow" ]]; then
  echo "demo: $venv/bin/airflow not found; run 'make setup' first." >&2
  exit 1
fi
if [[ ! -f "$repo/dist/tasks/prepare-batch.mjs" ]]; then
  echo "demo: dist/tasks is not built; run 'make bundle' (or 'node bin/health-predict.mjs bundle') first." >&2
  exit 1
fi
mkdir -p "$AIRFLOW_HOME"

if [[ ! -f "$AIRFLOW_HOME/airflow.db" ]]; then
  echo "demo: creating the Airflow metadata DB in .airflow-home/ ..."
  if ! "$venv/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1; then
    tail -n 30 "$AIRFLOW_HOME/db-migrate.log" >&2
    echo "demo: 'airflow db migrate' failed; full log: $AIRFLOW_HOME/db-migrate.log" >&2
    rm -f "$AIRFLOW_HOME/airflow.db"
    exit 1
  fi
fi

# DagRun.run_after has sub-second precision; step back a second so this run is never excluded.
since="$(date -u -d "@$(( $(date -u +%s) - 1 ))" +%Y-%m-%dT%H:%M:%S)Z"
echo "demo: airflow dags test $dag_id --conf '$conf'  (about 25 s; log: .airflow-home/demo.log)"
set +e
"$venv/bin/airflow" dags test "$dag_id" --conf "$conf" >"$log" 2>&1
test_rc=$?
set -e

echo
set +e
"$venv/bin/python" "$repo/scripts/print_run.py" "$dag_id" --since "$since" --xcom report.summarise
print_rc=$?
set -e

if [[ $test_rc -ne 0 || $print_rc -ne 0 ]]; then
  echo >&2
  # The task scripts' own error lines and Airflow's verdicts; the full traceback is in the log.
  grep -E '"level":"(error|fatal)"|Airflow[A-Za-z]*Exception:|DagRun Finished' "$log" | tail -n 15 | cut -c1-400 >&2 || tail -n 20 "$log" >&2
  echo "demo: the run did not succeed ('airflow dags test' exit $test_rc); full log: $log" >&2
  exit 1
fi
echo
echo "demo: run succeeded; full log: $log"
