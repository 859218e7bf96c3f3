"""Runs the example Airflow DAG with ``dag.test()``, inside the Airflow virtual
environment that tests/test_airflow_dag.py makes (Airflow is no dependency of
custseg, so this file imports it only when run, never when pytest collects it).

Usage: ``python airflow_run_dag.py DAG_FILE RUNS_JSON RESULT_JSON``, with
``AIRFLOW_HOME`` set to a fresh folder. RUNS_JSON is a list of runs, each
``{"logical_date": "YYYY-MM-DD", "conf": {...}}``; RESULT_JSON gets, per run,
the dag run's state, each task's state and the XCom return value of each task.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from typing import Any


def load_dag(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("custseg_dag", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.customer_value_dag


def return_values(run_id: str) -> dict[str, Any]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=run_id, key="return_value")).all()
        return {r.task_id: XComModel.deserialize_value(r) for r in rows}


def run_once(dag: Any, logical_date: str, conf: dict[str, Any]) -> dict[str, Any]:
    day = dt.datetime.fromisoformat(logical_date).replace(tzinfo=dt.timezone.utc)
    dr = dag.test(logical_date=day, run_conf=conf)
    return {
        "state": str(dr.state),
        "tasks": {ti.task_id: str(ti.state) for ti in dr.get_task_instances()},
        "xcom": return_values(dr.run_id),
    }


def main(dag_file: str, runs_json: str, result_json: str) -> None:
    from airflow.utils import db

    db.initdb()  # a fresh SQLite metadata database in AIRFLOW_HOME
    dag = load_dag(dag_file)
    with open(runs_json) as f:
        runs = json.load(f)
    results = [run_once(dag, r["logical_date"], r["conf"]) for r in runs]
    with open(result_json, "w") as f:
        json.dump(results, f, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:])
