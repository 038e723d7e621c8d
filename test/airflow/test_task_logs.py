"""Task logs in real Airflow read like Airflow's own: the compiled NodeTaskBashOperator re-logs each
JSON log line of a task script through the task's logger at the line's level, message first, its
own fields after it, an error's stack on lines of their own; other lines pass through at INFO.

The formatting helpers are tested on the compiled DAG module itself; then
test/airflow/dags/task-logs.dag.ts, compiled into a temporary folder, runs once with
`airflow dags test`, and its log (Airflow's rendering of the task loggers: `<time> [<level>] <text>`)
is read back.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
SOURCE = "test/airflow/dags/task-logs.dag.ts"
DAG_ID = "task_logs_check"
TASKS_DIR_ENV = "HEALTH_PREDICT_TASKS_DIR"
RETRY_MESSAGE = "task failed on try 1; Airflow retries it if retries remain"
# One log record as Airflow's console renderer writes it: time, [level padded], the text.
RECORD = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[(\w+)\s*\] (.*)$")


@pytest.fixture(scope="module")
def dags_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("task-logs-dags")
    proc = subprocess.run([*CLI, "dag", "build", SOURCE, "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"`dag build {SOURCE}` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}"
    return out


@pytest.fixture(scope="module")
def compiled(dags_folder):
    """The compiled DAG file as a module (its helpers are what every generated DAG carries)."""
    spec = importlib.util.spec_from_file_location("task_logs_check_compiled", dags_folder / f"{DAG_ID}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RecordingLog:
    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def __getattr__(self, method):
        return lambda message, *args: self.records.append((method, message % args))


def pino(level, msg, **fields) -> str:
    base = {"level": level, "time": "2026-01-01T00:00:00.000Z", "dag_id": "d", "task_id": "t", "run_id": "r", "try_number": 1, "script": "s"}
    return json.dumps({**base, **fields, "msg": msg})


# --------------------------------------------------------------------------- the helpers


def test_levels_map_to_logging_levels(compiled):
    method = compiled._script_log_method
    assert [method(label) for label in ("trace", "debug", "info", "warn", "error", "fatal")] == [
        "debug", "debug", "info", "warning", "error", "critical"
    ]
    assert [method(number) for number in (10, 20, 30, 40, 50, 60)] == ["debug", "debug", "info", "warning", "error", "critical"]
    assert method("loud") is None and method(None) is None and method(True) is None


def test_message_first_then_own_fields_then_the_stack_as_lines(compiled):
    stack = "Error: the model file is corrupt\n    at run (file:///tasks/x.ts:3:9)\n    at main (file:///runtime/main.ts:8:3)"
    record = json.loads(pino("error", "task failed", attempt=2, uri="s3://b/raw data.csv", ok=True, tags=["a", "b"],
                             err={"type": "Error", "message": "the model file is corrupt", "stack": stack, "code": "E_MODEL"}))
    assert compiled._format_script_log(record) == (
        'task failed  attempt=2 uri="s3://b/raw data.csv" ok=true tags=["a","b"] err.code=E_MODEL\n' + stack
    )


def test_multi_line_text_and_a_record_without_fields(compiled):
    record = json.loads(pino("error", "task failed; not retrying", error_name="OutputContractError", error_message="bad output:\n  - rows: required"))
    assert compiled._format_script_log(record) == "task failed; not retrying  error_name=OutputContractError\nerror_message:\nbad output:\n  - rows: required"
    assert compiled._format_script_log(json.loads(pino("info", "task started"))) == "task started"


def test_log_lines_at_their_level_and_other_lines_at_info(compiled):
    log = RecordingLog()
    for line in (pino("warn", "slow", ms=5), pino(50, "broken"), '{"rows":3,"level_of":"x"}', "plain output", "{not json", '{"level":"info"}'):
        compiled._log_script_line(log, line)
    assert log.records == [
        ("warning", "slow  ms=5"),
        ("error", "broken"),
        ("info", '{"rows":3,"level_of":"x"}'),  # the XCom line: logged once, as it is
        ("info", "plain output"),
        ("info", "{not json"),
        ("info", '{"level":"info"}'),  # no time: not a pino record
    ]


def test_the_hook_routes_only_output_lines_to_the_task_log(compiled):
    hook_log, task_log = RecordingLog(), RecordingLog()
    log = compiled._ScriptOutputLog(hook_log, task_log)
    log.info("Output:")
    log.info("%s", pino("error", "boom"))
    log.info("Command exited with return code %s", 1)
    log.warning("%s", "kept")
    assert hook_log.records == [("info", "Output:"), ("info", "Command exited with return code 1"), ("warning", "kept")]
    assert task_log.records == [("error", "boom")]
    # The hook's own lines ("Output:", the exit code) keep the provider hook's logger name.
    assert compiled._ScriptOutputHook(task_log)._logger_name == "airflow.providers.standard.hooks.subprocess.SubprocessHook"


# --------------------------------------------------------------------------- a real run

airflow_run = pytest.mark.airflow_run


@pytest.fixture(scope="module")
def run(airflow_runs, dags_folder, task_bundles):
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder), TASKS_DIR_ENV: str(task_bundles)}
    return airflow_runs.dags_test(DAG_ID, {}, env=env)


@pytest.fixture(scope="module")
def log_lines(run) -> list[str]:
    return run.log_path.read_text(errors="replace").splitlines()


def _records(lines):
    """(index, level, text) of every record line."""
    return [(index, match[1], match[2]) for index, line in enumerate(lines) if (match := RECORD.match(line))]


@airflow_run
def test_task_states_and_the_xcom(run):
    states = {task_id: state for task_id, (state, _) in run.task_states().items()}
    assert states == {"batch": "success", "export": "skipped", "flaky": "failed"}, run.log_tail()
    assert run.xcom_returns() == {"batch": {"message": 'héllo "world"', "rows": 3, "characters": 13}}


@airflow_run
def test_an_error_is_an_error_line_with_its_stack_on_lines_below(run, log_lines):
    errors = [(index, text) for index, level, text in _records(log_lines) if level == "error" and text.startswith(RETRY_MESSAGE)]
    assert len(errors) == 1, run.log_tail()
    index, text = errors[0]
    assert "dag_id=" not in text and "try_number=" not in text and '"level"' not in text
    assert log_lines[index + 1] == "Error: simulated transient failure on try 1; Airflow retries it", run.log_tail()
    assert log_lines[index + 2].startswith("    at "), run.log_tail()
    assert "\\n    at " not in "\n".join(log_lines), "a stack is never an escaped string"


@airflow_run
def test_info_and_warning_lines_start_with_their_message(run, log_lines):
    records = _records(log_lines)
    assert any(level == "info" and text.startswith("batch prepared  rows=3 characters=13") for _, level, text in records), run.log_tail()
    assert any(
        level == "warning" and text.startswith("task skipped  reason=\"param 'export_enabled' is false; nothing to export\"") for _, level, text in records
    ), run.log_tail()
    assert any(level == "info" and text.startswith("task started") for _, level, text in records), run.log_tail()


@airflow_run
def test_no_raw_json_log_lines_and_the_xcom_line_once(run, log_lines):
    text = "\n".join(log_lines)
    assert '{"level":' not in text, "every JSON log line was re-logged"
    assert text.count('{"message":"héllo \\"world\\"","rows":3,"characters":13}') == 1, run.log_tail()
    assert "NodeVersionSupportWarning" not in text
