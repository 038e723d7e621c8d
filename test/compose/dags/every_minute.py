"""A DAG with a real schedule for the compose lane: the scheduler starts a run every minute, no trigger."""

from __future__ import annotations

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="hp_compose_every_minute",
    schedule="* * * * *",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["test"],
) as dag:
    BashOperator(task_id="tick", bash_command='echo "scheduled run {{ run_id }}"')
