"""Cluster policy of the test lane's Airflow runs (copied into each run's $AIRFLOW_HOME/config).

With HP_TEST_RETRY_DELAY_S set in a run's environment, every task retries after that many seconds
(at most twice that with the exponential backoff) instead of the DAG's 5 minutes: a failure-path
run shows Airflow's real retries in seconds. Without it, the DAG's own values stand.
"""

from __future__ import annotations

import datetime
import os


def task_policy(task) -> None:
    delay = os.environ.get("HP_TEST_RETRY_DELAY_S")
    if delay:
        task.retry_delay = datetime.timedelta(seconds=float(delay))
        task.max_retry_delay = datetime.timedelta(seconds=2 * float(delay))
