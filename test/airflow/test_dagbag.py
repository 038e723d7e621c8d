"""The generated DAG files load in Airflow 3.3 and match the compiler's IR (`dag inspect`)."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "generated" / "dags"
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]

JINJA_EXPRESSION = re.compile(r"^\{\{.*\}\}$", re.S)
INPUT_PREFIX = "HP_INPUT__"
EXIT_SKIP = 99


def _dag_ids_in(folder: Path) -> dict[str, str]:
    """{dag_id: file name} from the `dag_id='...'` line of every generated file (collection time, no airflow import)."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.py")):
        for match in re.finditer(r"^\s*dag_id=(['\"])(.+?)\1,", path.read_text(), re.M):
            found[match.group(2)] = path.name
    return found


GENERATED = _dag_ids_in(DAGS_FOLDER)
DAG_IDS = sorted(GENERATED)

# IR defaultArgs key -> (Airflow default_args key, value converter)
DEFAULT_ARGS = {
    "owner": ("owner", lambda v: v),
    "dependsOnPast": ("depends_on_past", lambda v: v),
    "email": ("email", lambda v: v),
    "emailOnFailure": ("email_on_failure", lambda v: v),
    "emailOnRetry": ("email_on_retry", lambda v: v),
    "retries": ("retries", lambda v: v),
    "retryDelaySeconds": ("retry_delay", lambda v: datetime.timedelta(seconds=v)),
    # The compiler writes Airflow 3's multiplier: doubling per retry, or none.
    "retryExponentialBackoff": ("retry_exponential_backoff", lambda v: 2 if v else 0),
    "maxRetryDelaySeconds": ("max_retry_delay", lambda v: datetime.timedelta(seconds=v)),
    "executionTimeoutSeconds": ("execution_timeout", lambda v: datetime.timedelta(seconds=v)),
}


def _load(folder: Path):
    from airflow.dag_processing.dagbag import DagBag  # 3.3: no include_examples; airflow.models.dagbag.DagBag is a deprecated shim

    return DagBag(dag_folder=str(folder))


@pytest.fixture(scope="session")
def dagbag():
    return _load(DAGS_FOLDER)


@pytest.fixture(params=DAG_IDS)
def dag_and_ir(request, dagbag, dag_inspect):
    """Each generated DAG as Airflow loaded it, and the IR it was compiled from."""
    return dagbag.dags[request.param], dag_inspect(request.param)


@pytest.fixture(scope="session")
def cluster_dagbag(tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster-dags")
    proc = subprocess.run(
        [*CLI, "dag", "build", "--profile", "cluster", "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"`dag build --profile cluster` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}"
    files = sorted(path.name for path in out.glob("*.py"))
    assert files == sorted(GENERATED.values()), f"cluster build wrote {files}, local build has {sorted(GENERATED.values())}"
    return out, _load(out)


# --------------------------------------------------------------------------- loading


def test_generated_folder_has_the_expected_dags():
    assert {"health_predict_example", "health_predict_continuous_improvement"} <= set(DAG_IDS), GENERATED


def test_dagbag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == set(DAG_IDS)
    assert {"health_predict_example", "health_predict_continuous_improvement"} <= set(dagbag.dags)


def test_dagbag_stats_cover_every_file(dagbag, dag_inspect):
    stats = {stat.file: stat for stat in dagbag.dagbag_stats}
    assert set(stats) == set(GENERATED.values()), stats
    for dag_id, file_name in GENERATED.items():
        stat = stats[file_name]
        assert stat.dag_num == 1, stat
        assert dag_id in stat.dags, stat
        assert stat.task_num == len(dag_inspect(dag_id)["tasks"]), stat
        assert stat.warning_num == 0, (stat, dagbag.captured_warnings)
        assert isinstance(stat.duration, datetime.timedelta)


# --------------------------------------------------------------------------- DAG-level arguments


def test_dag_arguments_match_ir(dag_and_ir):
    dag, ir = dag_and_ir
    assert dag.dag_id == ir["dagId"]

    schedule = ir["schedule"]
    override = os.environ.get(ir["scheduleEnv"], "").strip() if "scheduleEnv" in ir else ""
    if override:  # scheduleEnv set where this lane parses the file (test_schedule_env.py covers it)
        assert dag.schedule == " ".join(override.split())
    elif schedule["kind"] == "none":
        assert dag.schedule is None
    elif schedule["kind"] == "interval":
        assert dag.schedule == datetime.timedelta(seconds=schedule["seconds"])
    else:  # preset / cron strings are passed through
        assert dag.schedule == schedule["value"]

    assert dag.catchup is ir["catchup"]
    assert dag.max_active_runs == ir["maxActiveRuns"]
    assert set(dag.tags) == set(ir["tags"])
    assert dag.description == ir.get("description")
    if ir.get("doc") is not None:  # an explicit doc wins; else the DAG file's doc comment (test_every_dag_and_task_has_docs)
        assert dag.doc_md == ir["doc"] or ("scheduleEnv" in ir and dag.doc_md.startswith(ir["doc"] + "\n\n**Schedule:**"))
    if "scheduleEnv" in ir:  # the docs say how to override the schedule
        assert f"`{ir['scheduleEnv']}` where Airflow parses DAG files" in dag.doc_md
    expected_timeout = ir.get("dagrunTimeoutSeconds")
    assert dag.dagrun_timeout == (None if expected_timeout is None else datetime.timedelta(seconds=expected_timeout))
    expected_start = datetime.datetime.fromisoformat(ir["startDate"].replace("Z", "+00:00"))
    assert dag.start_date == expected_start
    assert dag.start_date.utcoffset() == datetime.timedelta(0)


def test_dag_params_match_ir(dag_and_ir):
    dag, ir = dag_and_ir
    params = dag.params
    assert list(params.keys()) == [p["name"] for p in ir["params"]]
    for spec in ir["params"]:
        param = params.get_param(spec["name"])
        if "default" in spec:
            assert param.value == spec["default"], spec["name"]
            assert type(param.value) is type(spec["default"]), spec["name"]  # 100 stays int, False stays bool
        assert param.description == spec.get("description"), spec["name"]
        for key, value in spec["schema"].items():
            assert param.schema.get(key) == value, (spec["name"], key, param.schema)
        if "default" in spec:
            param.resolve(spec["default"])  # the default validates against the emitted JSON Schema


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_default_trigger_is_accepted(dagbag, dag_id):
    """What a trigger without conf does: every param resolves from its default, validated by Airflow's
    jsonschema with its FormatChecker. The compiler refuses a missing or invalid default; this is the proof."""
    from airflow.sdk.definitions._internal.types import NOTSET

    params = dagbag.dags[dag_id].params
    missing = [name for name in params.keys() if params.get_param(name).value is NOTSET]
    assert missing == [], f"params without a default: {missing}"
    resolved = params.validate()  # raises ParamValidationError naming the param whose default fails its schema
    assert set(resolved) == set(params.keys())


def test_default_args_match_ir(dag_and_ir):
    dag, ir = dag_and_ir
    expected = {DEFAULT_ARGS[key][0]: DEFAULT_ARGS[key][1](value) for key, value in ir["defaultArgs"].items()}
    actual = dict(dag.default_args)
    callback = actual.pop("on_failure_callback", None)
    assert actual == expected
    # d.onFailure(script): every task's on_failure_callback runs that script
    assert (callback is not None) == ("onFailure" in ir)
    if callback is not None:
        assert callback.__name__ == "_on_task_failure"
        assert all(task.on_failure_callback == [callback] or task.on_failure_callback == callback for task in dag.tasks)
    for task in dag.tasks:  # inherited unless the task overrides it
        spec = next(t for t in ir["tasks"] if t["id"] == task.task_id)
        if "owner" in expected:
            assert task.owner == expected["owner"]
        if "retries" in expected and spec.get("retries") is None:
            assert task.retries == expected["retries"], task.task_id
        if "retry_delay" in expected and spec.get("retryDelaySeconds") is None:
            assert task.retry_delay == expected["retry_delay"], task.task_id


# --------------------------------------------------------------------------- tasks


def _assert_upstream_matches_ir(task, spec: dict[str, Any]) -> None:
    """The file declares every upstream the author wrote; one only an input binding implied may be
    left out (another path orders the two tasks, src/compiler/emit/edges.ts) and stays upstream."""
    ir_upstream = set(spec["upstream"])
    written = ir_upstream - set(spec.get("impliedUpstream", []))
    declared = task.upstream_task_ids
    assert written <= declared <= ir_upstream, (spec["id"], declared, spec)
    assert ir_upstream - declared <= task.get_flat_relative_ids(upstream=True), spec["id"]


def test_task_graph_matches_ir(dag_and_ir):
    dag, ir = dag_and_ir
    assert set(dag.task_ids) == {t["id"] for t in ir["tasks"]}
    for spec in ir["tasks"]:
        task = dag.get_task(spec["id"])
        _assert_upstream_matches_ir(task, spec)
        assert task.trigger_rule == spec["triggerRule"], spec["id"]
        if spec.get("retries") is not None:
            assert task.retries == spec["retries"], spec["id"]
        if spec.get("retryDelaySeconds") is not None:
            assert task.retry_delay == datetime.timedelta(seconds=spec["retryDelaySeconds"]), spec["id"]
        if spec.get("executionTimeoutSeconds") is not None:
            assert task.execution_timeout == datetime.timedelta(seconds=spec["executionTimeoutSeconds"]), spec["id"]
        if spec.get("doc") is not None:  # a Node task's doc goes on with its generated inputs and outputs, a trigger's with its conf
            assert task.doc_md == spec["doc"] or task.doc_md.startswith((spec["doc"] + "\n\n**Inputs", spec["doc"] + "\n\nStarts a run of")), spec["id"]


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_dag_and_task_has_docs(dagbag, dag_id):
    """The UI's DAG docs, task docs and DAG list description: from the DSL's doc or the sources' doc comments."""
    dag = dagbag.dags[dag_id]
    assert (dag.doc_md or "").strip(), dag_id
    assert (dag.description or "").strip(), dag_id
    undocumented = [task.task_id for task in dag.tasks if not (task.doc_md or "").strip()]
    assert undocumented == [], f"tasks without doc_md: {undocumented}"


def test_improvement_dag_docs_come_from_its_sources(dagbag):
    dag = dagbag.dags["health_predict_continuous_improvement"]
    assert dag.doc_md.startswith("The continuous-improvement DAG:")
    compare = dag.get_task("compare_against_production").doc_md
    assert compare.startswith("Scores this run's champion and the production model")
    assert "| `evaluation` | output of `evaluate_model_performance` |" in compare
    assert "| `decision` | one of `\"DEPLOY\"`, `\"DEPLOY_REFRESH\"`, `\"SKIP\"` |" in compare


def test_trigger_form_offers_the_allowed_notification_channels(dagbag, dag_inspect):
    """Airflow's trigger form shows an array param with `examples` as a multi-select; items.enum still validates."""
    from airflow.sdk.exceptions import ParamValidationError

    ir = next(p for p in dag_inspect("health_predict_continuous_improvement")["params"] if p["name"] == "notification_channels")
    allowed = ir["schema"]["items"]["enum"]
    param = dagbag.dags["health_predict_continuous_improvement"].params.get_param("notification_channels")
    assert param.schema["examples"] == allowed
    assert param.schema["items"]["enum"] == allowed
    assert param.resolve(["airflow", "slack"]) == ["airflow", "slack"]
    with pytest.raises(ParamValidationError):
        param.resolve(["pager"])


def test_pipeline_draws_the_edges_the_author_wrote(dagbag):
    """An edge an XCom binding implies is not drawn where another path of all_success tasks already
    orders the two tasks; the branch's, the joins' and rollback_deployment's upstreams stay."""
    dag = dagbag.dags["health_predict_continuous_improvement"]
    dag.validate()
    dag.check_cycle()
    assert {task.task_id: task.upstream_task_ids for task in dag.tasks} == {
        "start": set(),
        "prepare_training_data": {"start"},
        "run_training_and_hpo": {"prepare_training_data"},
        "evaluate_model_performance": {"run_training_and_hpo"},
        "compare_against_production": {"evaluate_model_performance"},
        "deployment_decision_branch": {"compare_against_production"},
        "register_and_promote_model": {"deployment_decision_branch"},
        "build_api_image": {"register_and_promote_model"},
        "test_api_locally": {"build_api_image"},
        "push_to_ecr": {"test_api_locally", "build_api_image"},
        "deploy_to_kubernetes": {"register_and_promote_model", "push_to_ecr"},
        "verify_deployment": {"deploy_to_kubernetes"},
        "post_deployment_health_check": {"verify_deployment"},
        "rollback_deployment": {"deploy_to_kubernetes", "verify_deployment", "post_deployment_health_check", "register_and_promote_model"},
        "notify_deployment_success": {"post_deployment_health_check", "register_and_promote_model"},
        "log_skip_decision": {"deployment_decision_branch"},
        "notify_no_deployment": {"log_skip_decision"},
        "end": {"notify_deployment_success", "notify_no_deployment"},
    }
    # The XCom a task reads still comes from a task upstream of it, by task id.
    api_test = dag.get_task("test_api_locally")
    assert {"prepare_training_data", "compare_against_production"} <= api_test.get_flat_relative_ids(upstream=True)
    assert "ti.xcom_pull(task_ids='prepare_training_data')" in str(api_test.env)


def test_task_groups_match_ir(dag_and_ir):
    dag, ir = dag_and_ir
    assert set(dag.task_group_dict) == {g["id"] for g in ir["groups"]}
    for group in ir["groups"]:
        tg = dag.task_group_dict[group["id"]]
        assert tg.tooltip == group.get("tooltip", ""), group["id"]
        parent = tg.parent_group
        if group.get("parent") is None:
            assert parent is not None and parent.is_root, group["id"]
        else:
            assert parent.group_id == group["parent"], group["id"]
    for spec in ir["tasks"]:
        task = dag.get_task(spec["id"])
        if spec.get("group") is None:
            assert task.task_group is None or task.task_group.is_root, spec["id"]
        else:
            assert task.task_group.group_id == spec["group"], spec["id"]
            assert spec["id"] == f"{spec['group']}.{spec['localId']}"


def test_operator_classes_match_ir(dag_and_ir):
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.python import BranchPythonOperator
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    dag, ir = dag_and_ir
    for spec in ir["tasks"]:
        task = dag.get_task(spec["id"])
        if spec["kind"] == "node":
            assert isinstance(task, BashOperator) and type(task).__name__ == "NodeTaskBashOperator", (spec["id"], type(task))
        elif spec["kind"] == "branch":
            assert isinstance(task, BranchPythonOperator), (spec["id"], type(task))
            targets = {target for ids in spec["paths"].values() for target in ids}
            # a branch can only follow (and skip) its DIRECT downstream tasks
            assert targets <= task.downstream_task_ids, (spec["id"], targets, task.downstream_task_ids)
        elif spec["kind"] == "empty":
            assert type(task) is EmptyOperator, (spec["id"], type(task))
        elif spec["kind"] == "trigger":
            assert type(task) is TriggerDagRunOperator, (spec["id"], type(task))
            assert task.trigger_dag_id == spec["targetDagId"] and task.wait_for_completion is spec["waitForCompletion"], spec["id"]
        else:
            pytest.fail(f"unknown task kind {spec['kind']!r} for {spec['id']}")


def _env_items(env: Any) -> dict[str, Any]:
    """BashOperator.env is a dict; KubernetesPodOperator.env_vars may be a dict or a list of V1EnvVar."""
    if isinstance(env, dict):
        return dict(env)
    return {item.name: item.value for item in env}


def _assert_env_is_templated(task_id: str, env: dict[str, Any], spec: dict[str, Any]) -> None:
    """Run-time values come only from our own Jinja expressions; everything static is `literal()`.

    So no param value, XCom or user string is ever inlined where Jinja would render it."""
    from airflow.sdk.definitions._internal.templater import LiteralValue

    inputs = {name for name in env if name.startswith(INPUT_PREFIX)}
    # Constants travel inside HP_BINDINGS (a literal); only XCom and param bindings need a variable.
    dynamic = {field for field, binding in spec["bindings"].items() if binding["from"] != "const"}
    assert inputs == {INPUT_PREFIX + field for field in dynamic}, task_id
    for name, value in env.items():
        if name.startswith(INPUT_PREFIX):
            assert isinstance(value, str) and not isinstance(value, LiteralValue), (task_id, name, value)
            assert JINJA_EXPRESSION.match(value), (task_id, name, value)
            assert value.count("{{") == 1, (task_id, name, value)  # one expression, nothing inlined around it
        else:
            assert isinstance(value, LiteralValue) or (isinstance(value, str) and JINJA_EXPRESSION.match(value)), (task_id, name, value)
    if spec["bindings"]:
        bindings = env["HP_BINDINGS"]
        assert isinstance(bindings, LiteralValue), task_id
        assert json.loads(bindings.value) == spec["bindings"], task_id
    for name, value in spec.get("env", {}).items():
        assert isinstance(env.get(name), LiteralValue) and env[name].value == value, (task_id, name)


def test_bash_node_tasks_are_safe(dag_and_ir):
    dag, ir = dag_and_ir
    for spec in (t for t in ir["tasks"] if t["kind"] == "node"):
        task = dag.get_task(spec["id"])
        assert task.append_env is True, spec["id"]
        assert EXIT_SKIP in (task.skip_on_exit_code or []), spec["id"]
        assert task.do_xcom_push is True, spec["id"]
        assert task.output_processor is json.loads, spec["id"]
        assert f"{spec['script']}.mjs" in task.bash_command, spec["id"]
        assert "{{" not in task.bash_command and "{%" not in task.bash_command, spec["id"]  # conf never reaches the shell text
        assert not task.bash_command.rstrip().endswith((".sh", ".bash")), spec["id"]  # would be read as a template file
        _assert_env_is_templated(spec["id"], _env_items(task.env), spec)


# --------------------------------------------------------------------------- cluster profile


def test_cluster_profile_imports_without_errors(cluster_dagbag):
    folder, bag = cluster_dagbag
    assert bag.import_errors == {}
    assert set(bag.dags) == set(DAG_IDS)
    assert {stat.file for stat in bag.dagbag_stats} == set(GENERATED.values())


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_cluster_node_tasks_are_pod_operators(cluster_dagbag, dag_inspect, dag_id):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    _, bag = cluster_dagbag
    ir = dag_inspect(dag_id)
    dag = bag.dags[dag_id]
    assert set(dag.task_ids) == {t["id"] for t in ir["tasks"]}
    profile = ir["profiles"].get("cluster")
    for spec in ir["tasks"]:
        task = dag.get_task(spec["id"])
        _assert_upstream_matches_ir(task, spec)
        if spec["kind"] != "node":
            continue
        runner = spec.get("runner") or profile
        assert runner is not None and runner["kind"] == "kubernetes", (spec["id"], runner)
        assert isinstance(task, KubernetesPodOperator) and type(task).__name__ == "NodeTaskPodOperator", (spec["id"], type(task))
        assert EXIT_SKIP in (task.skip_on_exit_code or []), spec["id"]  # KPO default is None: exit 99 would not skip
        assert task.do_xcom_push is True, spec["id"]  # KPO default is False
        assert task.image == runner["image"], spec["id"]
        assert task.namespace == runner["namespace"], spec["id"]
        if runner.get("tasksDir"):
            assert task.arguments == [f"{runner['tasksDir']}/{spec['script']}.mjs"], spec["id"]
        env = _env_items(task.env_vars)
        assert "HP_XCOM_FILE" in env, spec["id"]
        spec_with_profile_env = {**spec, "env": {**runner.get("env", {}), **spec.get("env", {})}}
        _assert_env_is_templated(spec["id"], env, spec_with_profile_env)
        _assert_pod_settings(spec["id"], task, runner)


def _assert_pod_settings(task_id: str, task: Any, runner: dict[str, Any]) -> None:
    """Logs in Airflow, the pod deleted afterwards, resources as declared, secrets only as references
    to the profile's Secret (never a value in the DAG file), settings named for the worker to pass on."""
    assert task.get_logs is True and task.on_finish_action.value == "delete_pod", task_id
    resources = runner.get("resources") or {}
    if resources:
        assert task.container_resources.requests == resources.get("requests", {}), task_id
        assert task.container_resources.limits == resources.get("limits", {}), task_id
    secret_env = runner.get("secretEnv")
    refs = [secret.to_env_secret() for secret in task.secrets]
    assert [(ref.name, ref.value_from.secret_key_ref.name, ref.value_from.secret_key_ref.key, ref.value_from.secret_key_ref.optional) for ref in refs] == (
        [(name, secret_env["secretName"], name, True) for name in secret_env["names"]] if secret_env else []
    ), task_id
    assert not {ref.name for ref in refs} & set(_env_items(task.env_vars)), task_id  # no secret also as a plain value
    assert task.worker_env == tuple(runner.get("workerEnv", ())), task_id
    assert bool(task.hostnetwork) is bool(runner.get("hostNetwork")), task_id


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_cluster_failure_handler_needs_no_node_on_the_worker(cluster_dagbag, dag_inspect, dag_id):
    """Under a Kubernetes profile the failure handler is a pod of the task image: the DAG file never
    runs `node` (or anything else) on the Airflow worker."""
    folder, bag = cluster_dagbag
    source = (folder / GENERATED[dag_id]).read_text()
    assert "subprocess" not in source and "TASKS_DIR" not in source, dag_id
    if dag_inspect(dag_id).get("onFailure"):
        assert bag.dags[dag_id].default_args["on_failure_callback"].__name__ == "_on_task_failure"
        assert "handler = NodeTaskPodOperator(" in source, dag_id
