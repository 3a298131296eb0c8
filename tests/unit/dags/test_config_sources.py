"""TrainConfig and GateConfig are the only sources of defaults, bounds and choices: the `reco
train` / `reco gate` / `reco eval --compare` flags and the reco_training DAG's Params have exactly
theirs (before, the gate tolerance was 0.02 in the CLI and 0.05 in the DAG)."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

import pytest

from reco_core.cli import build_parser
from reco_core.cli._fields import Bounded
from reco_core.config_fields import field_spec
from reco_core.gate import GateConfig
from reco_core.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[3]
# Fields whose CLI default is the environment's (RECO_DATA_DIR, RECO_ARTIFACT_ROOT), not the model's.
CLI_DEFAULTS = {"ventes", "details", "artifact_root"}


def _flags(command: str) -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action for action in sub.choices[command]._actions}


def _check_flag(action: argparse.Action, model, name: str) -> None:
    spec = field_spec(model, name)
    if spec.kind is bool and spec.default is True:
        assert action.choices == (0, 1) and action.default == 1, name
    elif spec.kind is bool:
        assert isinstance(action, argparse._StoreTrueAction) and action.default is False, name
    else:
        assert action.default == spec.default, name
        assert action.choices == spec.choices, name
    if spec.kind in (int, float) and spec.choices is None:
        assert isinstance(action.type, Bounded) and action.type.spec == spec, name


@pytest.mark.parametrize(("command", "model"), [("train", TrainConfig), ("gate", GateConfig)])
def test_cli_flags_have_the_config_defaults_bounds_and_choices(command, model):
    flags = _flags(command)
    for name in model.model_fields:
        if command == "train" and name in CLI_DEFAULTS:
            assert name in flags
            continue
        _check_flag(flags[name], model, name)


def test_eval_compare_tolerance_is_the_gates():
    _check_flag(_flags("eval")["tolerance"], GateConfig, "tolerance")


def test_bounds_are_applied_when_the_flags_are_parsed(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--epochs", "0"])
    assert "invalid int value: '0'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gate", "run_x", "--tolerance", "1"])


def test_dag_params_have_the_config_defaults_bounds_and_choices(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags" / "reco_training.py")).dags["reco_training"]
    reco_training = inspect.getmodule(dag.get_task("train").python_callable)  # the DAG file

    fields = [(TrainConfig, name, name) for name in (*reco_training.TRAIN_FLAGS, "min_pair_count")]
    fields += [(GateConfig, field, param) for param, field in reco_training.GATE_PARAMS.items()]
    for model, field, param in fields:
        spec = field_spec(model, field)
        schema = dag.params.get_param(param).schema
        assert dag.params[param] == spec.default, param
        assert schema.get("enum") == (list(spec.choices) if spec.choices else None), param
        bounds = {
            key: schema.get(keyword)
            for key, keyword in (
                ("ge", "minimum"),
                ("gt", "exclusiveMinimum"),
                ("le", "maximum"),
                ("lt", "exclusiveMaximum"),
            )
        }
        assert bounds == {"ge": spec.ge, "gt": spec.gt, "le": spec.le, "lt": spec.lt}, param
