"""Prints a DAG run's task states and one task's XCom; exits 1 unless the run succeeded.

Run it with the Airflow virtualenv and the same AIRFLOW_HOME as the run, e.g. (scripts/demo.sh):
    .venv/airflow/bin/python scripts/print_run.py health_predict_example --since 2026-01-01T00:00:00Z
Without --run-id it picks the newest run of the DAG created at or after --since (UTC ISO time),
so a run left over from an earlier demo is never mistaken for this one.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys


def _state(value) -> str:
    return "-" if value is None else str(getattr(value, "value", value))


def _print_decision(outcome: dict) -> None:
    """The quality gates' decision (compare_against_production's XCom) in a few readable lines."""
    flags = [name for name in ("forced", "bootstrap_deploy") if outcome.get(name)]
    print(f"Decision: {outcome['decision']}" + (f"  ({', '.join(flags)})" if flags else ""))
    print(outcome["summary"])
    candidate, production = outcome["candidate"], outcome.get("production")
    print(f"Candidate: {candidate['model_type']}  test F1 {candidate['f1']:.4f}  run {candidate['run_id']}")
    if production:
        print(f"Production: v{production['version']}  test F1 {production['f1']:.4f}")
    for rule in outcome["rules"]:
        verdict = "n/a " if rule["passed"] is None else "PASS" if rule["passed"] else "FAIL"
        print(f"  {verdict}  {rule['name']}: {rule['detail']}")
    for recommendation in outcome.get("recommendations", []):
        print(f"  -> {recommendation}")
    print(f"Decision recorded in MLflow run {outcome['decision_run_id']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--run-id")
    parser.add_argument("--since", help="only consider runs created at/after this UTC ISO time")
    parser.add_argument("--xcom", default="report.summarise", help="task whose return value to print")
    args = parser.parse_args(argv)

    from sqlalchemy import select

    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = select(DagRun).where(DagRun.dag_id == args.dag_id)
        if args.run_id:
            query = query.where(DagRun.run_id == args.run_id)
        if args.since:
            since = datetime.datetime.fromisoformat(args.since.replace("Z", "+00:00"))
            query = query.where(DagRun.run_after >= since)
        run = session.scalars(query.order_by(DagRun.id.desc()).limit(1)).first()
        if run is None:
            detail = f"run {args.run_id!r}" if args.run_id else f"run since {args.since}" if args.since else "run"
            print(f"No {detail} of DAG {args.dag_id!r} found in the metadata DB.", file=sys.stderr)
            return 1
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        ).all()
        tis = sorted(tis, key=lambda ti: (ti.start_date is None, ti.start_date or datetime.datetime.min, ti.task_id))
        rows = [(ti.task_id, _state(ti.state), str(ti.try_number)) for ti in tis]
        xcom_row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == args.xcom,
                XComModel.key == "return_value",
            )
        ).first()
        xcom = None if xcom_row is None else XComModel.deserialize_value(xcom_row)
        run_state = _state(run.state)
        duration = (run.end_date - run.start_date).total_seconds() if run.start_date and run.end_date else None

    print(f"DAG {run.dag_id}  run {run.run_id}  state {run_state}" + (f"  ({duration:.1f} s)" if duration is not None else ""))
    headers = ("task", "state", "try")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    print(line)
    if isinstance(xcom, dict) and "decision" in xcom and "rules" in xcom:
        _print_decision(xcom)
    else:
        print(f"XCom return value of {args.xcom}:")
        print(json.dumps(xcom, indent=2, ensure_ascii=False) if xcom is not None else "(none)")
    return 0 if run_state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
