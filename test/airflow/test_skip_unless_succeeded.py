"""`skipUnlessSucceeded` in real Airflow: test/airflow/dags/skip-unless-succeeded.dag.ts, compiled
into a temporary DAG folder, run twice with `airflow dags test` (started together, each in its
own AIRFLOW_HOME).

`cleanup` has trigger rule one_failed, which Airflow also fires on upstream_failed, and
`skipUnlessSucceeded: [release.named]`:
  a. `first` fails, so release.named is upstream_failed: the rule fires, cleanup is skipped and
     its log says why;
  b. release.named succeeds and `other` after it fails: cleanup runs.
The run's own state follows its only leaf, cleanup (Airflow's rule), so it is not asserted.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow_run

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
SOURCE = "test/airflow/dags/skip-unless-succeeded.dag.ts"
DAG_ID = "skip_unless_succeeded_check"
TASKS_DIR_ENV = "HEALTH_PREDICT_TASKS_DIR"


@pytest.fixture(scope="module")
def dags_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("skip-unless-succeeded-dags")
    proc = subprocess.run([*CLI, "dag", "build", SOURCE, "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"`dag build {SOURCE}` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}"
    assert (out / f"{DAG_ID}.py").exists(), sorted(path.name for path in out.iterdir())
    return out


@pytest.fixture(scope="module")
def runs(airflow_runs, dags_folder, task_bundles):
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder), TASKS_DIR_ENV: str(task_bundles)}
    confs = {"named_upstream_failed": {"first_rows": -1}, "later_task_failed": {"other_rows": -1}}
    return {name: airflow_runs.start(DAG_ID, conf, env=env) for name, conf in confs.items()}


def _states(run) -> dict[str, str | None]:
    return {task_id: state for task_id, (state, _) in run.task_states().items()}


def test_compiled_hook_names_the_full_task_id(dags_folder):
    text = (dags_folder / f"{DAG_ID}.py").read_text()
    assert "pre_execute=_skip_unless_succeeded(('release.named',))" in text
    assert text.count("pre_execute=") == 1, "only the guarded task gets the hook"


def test_skipped_when_the_named_task_did_not_succeed(runs):
    run = runs["named_upstream_failed"].wait()
    assert _states(run) == {
        "first": "failed",
        "release.named": "upstream_failed",
        "other": "upstream_failed",
        "cleanup": "skipped",  # one_failed fired on upstream_failed; the hook skipped it
    }, run.log_tail()
    assert "cleanup" not in run.xcom_returns(), "a skipped task pushes nothing"
    log = run.log_path.read_text(errors="replace")
    assert "release.named is upstream_failed, not success: nothing of this run to act on" in log, run.log_tail()


def test_runs_when_the_named_task_succeeded_and_a_later_one_failed(runs):
    run = runs["later_task_failed"].wait()
    assert _states(run) == {"first": "success", "release.named": "success", "other": "failed", "cleanup": "success"}, run.log_tail()
    assert run.xcom_returns()["cleanup"] == {"exported": True}
    assert "nothing of this run to act on" not in run.log_path.read_text(errors="replace")
