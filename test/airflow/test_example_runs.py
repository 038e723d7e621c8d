"""Real runs of health_predict_example with `airflow dags test` (in-process executor, SQLite).

Each `dags test` takes about 20 s, so each conf runs once and several tests read its results;
the three runs are started together, each in its own AIRFLOW_HOME with a copy of the migrated
DB. The thorough-route run also carries the second tricky message (case d).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow_run

DAG_ID = "health_predict_example"
PWNED = Path("/tmp/hp-pwned")  # what `$(touch /tmp/hp-pwned)` in the messages would create if a shell evaluated it

# Different from the DAG's default message: quotes, backslashes, a literal "\n", real newline/tab/CR,
# command substitution and backticks, a shell variable, Jinja expression/statement/comment/raw,
# printf-style %, non-ASCII (combining accent, CJK, a ZWJ emoji sequence) and a trailing newline.
OTHER_MESSAGE = (
    "O'Brien said \"don't\" \\ and \\n stays literal\nsecond line\twith tab\r\n"
    "$(touch /tmp/hp-pwned) `touch /tmp/hp-pwned` ${HOME} $HOME; rm -rf nothing && echo hi | cat\n"
    "{{ dag_run.conf }} {{ 7 * 7 }} {% raw %}x{% endraw %} {# comment #} %s %(x)s\n"
    "naïve cafe\u0301 日本語 Ωmega 👩‍⚕️ 🇳🇱\n"
)


@pytest.fixture(scope="module")
def default_message(dag_inspect) -> str:
    """TRICKY_MESSAGE, taken from the IR's default for the `message` param (nothing imported from TS)."""
    (param,) = [p for p in dag_inspect(DAG_ID)["params"] if p["name"] == "message"]
    message = param["default"]
    assert "$(touch /tmp/hp-pwned)" in message and "{{ ti }}" in message and "\n" in message  # still the tricky one
    return message


CONFS = {
    "fast": {"route": "fast"},
    "thorough": {"route": "thorough", "message": OTHER_MESSAGE},
    "bad_rows": {"rows": -1},
}


@pytest.fixture(scope="module")
def runs(airflow_runs):
    """Starts the three runs together (each has its own AIRFLOW_HOME/DB copy); fixtures below wait."""
    PWNED.unlink(missing_ok=True)
    return {name: airflow_runs.start(DAG_ID, conf) for name, conf in CONFS.items()}


def _finished(runs, name):
    run = runs[name].wait()
    assert not PWNED.exists(), f"a shell evaluated $(touch {PWNED}) from a message\n{run.log_tail()}"
    return run


@pytest.fixture(scope="module")
def fast_run(runs):
    return _finished(runs, "fast")


@pytest.fixture(scope="module")
def thorough_run(runs):
    return _finished(runs, "thorough")


@pytest.fixture(scope="module")
def bad_rows_run(runs):
    return _finished(runs, "bad_rows")


def _states(run):
    full = run.task_states()
    return {task_id: state for task_id, (state, _) in full.items()}, full


# --------------------------------------------------------------------------- a. fast route, default message


def test_fast_route_run_succeeds(fast_run):
    assert fast_run.returncode == 0, fast_run.log_tail()
    assert fast_run.state() == "success", fast_run.log_tail()


# The fast route's final task states; test_cluster_profile.py holds its pods to the same.
FAST_ROUTE_STATES = {
    "prepare_batch": "success",
    "choose_route": "success",
    "route_branch": "success",
    "fast_path": "success",
    "thorough_path": "skipped",
    "join": "success",
    "report.flaky_step": "success",
    "report.summarise": "success",
    "optional_export": "skipped",  # exit 99 -> skipped, not failed
}


def test_fast_route_task_states(fast_run):
    states, full = _states(fast_run)
    assert states == FAST_ROUTE_STATES, fast_run.log_tail()
    assert full["prepare_batch"][1] == 1
    assert full["report.flaky_step"][1] == 2, "flaky_step fails on try 1 and must succeed on the retry"
    assert full["report.summarise"][1] == 1
    assert full["optional_export"][1] == 1, "the skip must happen on the first try, not after retries"


def test_fast_route_flaky_step_retried_once(fast_run):
    history = fast_run.task_history()
    assert [try_number for try_number, _ in history.get("report.flaky_step", [])] == [1], history
    assert history["report.flaky_step"][0][1] in {"failed", "up_for_retry"}, history
    assert set(history) == {"report.flaky_step"}, "no other task should have needed a retry"


def test_fast_route_xcom(fast_run, default_message):
    xcom = fast_run.xcom_returns()
    assert xcom["prepare_batch"] == {"message": default_message, "rows": 100, "characters": len(default_message)}
    assert xcom["choose_route"]["route"] == "fast"
    assert xcom["fast_path"] == {"path": "fast", "processed": 10}
    assert xcom["report.flaky_step"] == {"attempt": 2, "echoed": default_message}
    assert xcom["report.summarise"]["message"] == default_message
    assert xcom["report.summarise"]["summary"] == f"{len(default_message)} characters arrived intact after 2 attempt(s)"
    assert "thorough_path" not in xcom and "optional_export" not in xcom, "skipped tasks push nothing"
    followed = fast_run.xcom_returns(key="skipmixin_key").get("route_branch")
    assert followed in (None, {"followed": ["fast_path"]}), followed


def test_fast_route_did_not_execute_the_message(fast_run):
    assert not PWNED.exists()


# --------------------------------------------------------------------------- b + d. thorough route, other message


def test_thorough_route_task_states(thorough_run):
    assert thorough_run.returncode == 0, thorough_run.log_tail()
    assert thorough_run.state() == "success", thorough_run.log_tail()
    states, _ = _states(thorough_run)
    assert states["thorough_path"] == "success", thorough_run.log_tail()
    assert states["fast_path"] == "skipped"
    assert states["join"] == "success"
    assert states["report.summarise"] == "success"
    assert states["optional_export"] == "skipped"


def test_thorough_route_xcom(thorough_run):
    xcom = thorough_run.xcom_returns()
    assert xcom["thorough_path"] == {"path": "thorough", "processed": 100}
    assert "fast_path" not in xcom


def test_conf_message_arrives_intact(thorough_run):
    xcom = thorough_run.xcom_returns()
    assert xcom["prepare_batch"]["message"] == OTHER_MESSAGE
    assert xcom["report.flaky_step"]["echoed"] == OTHER_MESSAGE
    assert xcom["report.summarise"]["message"] == OTHER_MESSAGE
    # JS counts code points like Python's len: no surrogate or normalisation damage on the way
    assert xcom["prepare_batch"]["characters"] == len(OTHER_MESSAGE)
    assert not PWNED.exists()


# --------------------------------------------------------------------------- c. non-retryable failure


def test_bad_rows_fails_without_retry(bad_rows_run):
    # `airflow dags test` exits non-zero when the run fails; that is the expected outcome here.
    assert bad_rows_run.state() == "failed", bad_rows_run.log_tail()
    states, full = _states(bad_rows_run)
    assert full["prepare_batch"] == ("failed", 1), (full, bad_rows_run.log_tail())
    assert bad_rows_run.task_history() == {}, "no try was retried although retries=2"
    downstream = {task_id: state for task_id, state in states.items() if task_id != "prepare_batch"}
    assert downstream, states
    assert all(state in {"upstream_failed", None} for state in downstream.values()), downstream
    assert bad_rows_run.xcom_returns() == {}


def test_bad_rows_reports_the_non_retryable_error(bad_rows_run):
    log = bad_rows_run.log_path.read_text(errors="replace")
    assert "exit code 97" in log, bad_rows_run.log_tail()
    assert "AirflowFailException" in log, bad_rows_run.log_tail()
    assert "rows >= 0" in log, "the task's own error message should reach the Airflow log"
