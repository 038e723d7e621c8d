#!/usr/bin/env bash
# `make demo`: run the example DAG, then the pipeline (prepare → train → evaluate → gates →
# promote → image → API test → ECR → Kubernetes, against the local MLflow, moto, dockerd,
# registry and cluster, on synthetic data) in real Airflow (in-process
# `airflow dags test`, SQLite), and print what happened. Expects `make setup bundle` (the Makefile's demo target does that).
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

# Runs one DAG with `airflow dags test` and prints its task states and one task's XCom.
run_dag() {
  local dag_id="$1" conf="$2" xcom_task="$3" log="$4"
  # DagRun.run_after has sub-second precision; step back a second so this run is never excluded.
  local since
  since="$(date -u -d "@$(( $(date -u +%s) - 1 ))" +%Y-%m-%dT%H:%M:%S)Z"
  echo "demo: airflow dags test $dag_id --conf '$conf'  (log: ${log#"$repo"/})"
  set +e
  "$venv/bin/airflow" dags test "$dag_id" --conf "$conf" >"$log" 2>&1
  local test_rc=$?
  echo
  "$venv/bin/python" "$repo/scripts/print_run.py" "$dag_id" --since "$since" --xcom "$xcom_task"
  local print_rc=$?
  set -e
  if [[ $test_rc -ne 0 || $print_rc -ne 0 ]]; then
    echo >&2
    # The task scripts' error lines (the operator re-logs them at ERROR / CRITICAL; a pod's stay raw
    # JSON) and Airflow's verdicts; the full traceback is in the log.
    grep -E '\[(error|critical) *\]|"level":"(error|fatal)"|Airflow[A-Za-z]*Exception:|DagRun Finished' "$log" | tail -n 15 | cut -c1-400 >&2 || tail -n 20 "$log" >&2
    echo "demo: the run did not succeed ('airflow dags test' exit $test_rc); full log: $log" >&2
    exit 1
  fi
  echo
  echo "demo: $dag_id succeeded; full log: $log"
  echo
}

run_dag "$dag_id" "$conf" report.summarise "$log"

# The pipeline's real tasks (prepare → train → evaluate → gates → promote or skip → notify)
# against the local stack: MLflow and moto's S3 API, on synthetic data (the UCI file cannot be
# downloaded here). The first demo promotes the first production model; later demos compare
# against it. 40 000 synthetic raw rows give a ~1 200-row test split (origin split), above the
# gates' MIN_SAMPLE_SIZE of 1 000. Small HPO budgets by default; export RAY_NUM_SAMPLES / RAY_MAX_EPOCHS /
# RAY_GRACE_PERIOD for more.
cli=(node "$repo/bin/health-predict.mjs")

# Nothing left behind when the demo fails or is interrupted: the services and the cluster it
# started (not those that were already running) are stopped again. (The Node commands stop what
# they started themselves when interrupted half-way.) A demo that succeeds leaves them running
# for the MLflow UI and the deployed API, and says how to stop them.
healthy_services() {
  "${cli[@]}" stack status --json 2>/dev/null |
    "$venv/bin/python" -c 'import json, sys; print(",".join(n for n, s in json.load(sys.stdin)["services"].items() if s["healthy"]))' ||
    true
}
services_before="$(healthy_services)"
started_services=""
cluster_started=0
stop_what_we_started() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ $rc -ne 0 ]]; then
    if [[ $cluster_started == 1 ]]; then
      echo "demo: stopping the local cluster it started" >&2
      "${cli[@]}" cluster down >&2 || true
    fi
    if [[ -n "$started_services" ]]; then
      echo "demo: stopping the services it started ($started_services)" >&2
      "${cli[@]}" stack down --services "$started_services" >&2 || true
    fi
  fi
  exit "$rc"
}
trap stop_what_we_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# All services: the deploy path builds, tests and pushes the API image (dockerd + the local
# registry). Without them (dockerd needs root and Debian's docker.io) the model is still promoted
# in MLflow and the run says what it left out (deploy_target=registry).
deploy_target="ecr"
skipped=()
if ! "${cli[@]}" stack up --services all 2>&1 | tee "$AIRFLOW_HOME/stack-up.log"; then
  skipped+=("the API image build, its local API test and the ECR push: dockerd or the registry did not start (log: .airflow-home/stack-up.log)")
  deploy_target="registry"
  "${cli[@]}" stack up
fi
started_services="$(comm -13 <(tr , '\n' <<<"$services_before" | sort) <(healthy_services | tr , '\n' | sort) | paste -sd, -)"
eval "$("${cli[@]}" stack env)"

# The Kubernetes stages need the local cluster: root, and its binaries built once per machine
# (the first `cluster up` builds them, 30–50 min; the demo does not start that build for you).
if [[ "$deploy_target" == "ecr" ]]; then
  cluster_status="$("${cli[@]}" cluster status --json 2>/dev/null || echo '{}')"
  if [[ "$(id -u)" != 0 ]]; then
    skipped+=("the Kubernetes rollout, verification and health check: the local cluster needs root")
  elif [[ "$cluster_status" != *'"binariesBuilt":true'* ]]; then
    skipped+=("the Kubernetes rollout, verification and health check: the cluster binaries are not built on this machine yet (run 'node bin/health-predict.mjs cluster up' once, 30-50 min)")
  else
    [[ "$cluster_status" == *'"nodeReady":true'* ]] || cluster_started=1
    "${cli[@]}" cluster up
    eval "$("${cli[@]}" cluster env)"
    export K8S_NAMESPACE="${K8S_NAMESPACE:-health-predict}" K8S_IMAGE_PULL_SECRET="${K8S_IMAGE_PULL_SECRET:-health-predict-registry}"
    "${cli[@]}" cluster pull-secret --namespace "$K8S_NAMESPACE" --name "$K8S_IMAGE_PULL_SECRET"
    # a short post-deployment health check for the demo: a 20 s window probed every second
    # (production defaults: 300 s, a round every 30 s)
    export HEALTH_CHECK_WINDOW_S="${HEALTH_CHECK_WINDOW_S:-20}" HEALTH_CHECK_MIN_REQUESTS="${HEALTH_CHECK_MIN_REQUESTS:-15}"
    [[ -n "${HEALTH_CHECK_INTERVAL:-}${HEALTH_CHECK_INTERVAL_MS:-}" ]] || export HEALTH_CHECK_INTERVAL=1
    deploy_target="kubernetes"
  fi
fi
bucket="health-predict-demo"
"$venv/bin/python" - "$AWS_ENDPOINT_URL_S3/$bucket" <<'PY'
import sys, urllib.error, urllib.request
try:  # S3 CreateBucket; an existing bucket (409) is fine
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="PUT"), timeout=30).close()
except urllib.error.HTTPError as error:
    if error.code != 409:
        raise
PY
"${cli[@]}" data synth --rows 40000 --seed 7 --out "s3://$bucket/raw/diabetic_data.csv" >/dev/null
export RAY_NUM_SAMPLES="${RAY_NUM_SAMPLES:-2}" RAY_MAX_EPOCHS="${RAY_MAX_EPOCHS:-4}" RAY_GRACE_PERIOD="${RAY_GRACE_PERIOD:-2}"
for reason in "${skipped[@]}"; do echo "demo: SKIPPING $reason"; done
run_dag health_predict_continuous_improvement \
  "{\"raw_data_uri\": \"s3://$bucket/raw/diabetic_data.csv\", \"prepared_data_uri\": \"s3://$bucket/prepared\", \"deploy_target\": \"$deploy_target\"}" \
  compare_against_production "$AIRFLOW_HOME/demo-pipeline.log"
for reason in "${skipped[@]}"; do echo "demo: skipped $reason"; done
echo "demo: MLflow UI at $MLFLOW_TRACKING_URI (stop the services with: node bin/health-predict.mjs stack down)"
if [[ "$deploy_target" == "kubernetes" ]]; then
  echo "demo: the API runs in namespace $K8S_NAMESPACE of the local cluster (KUBECONFIG=$KUBECONFIG; stop it with: node bin/health-predict.mjs cluster down)"
fi
