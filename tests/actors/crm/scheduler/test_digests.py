"""When a changed definition restarts, reloads or leaves a running resource alone."""

from __future__ import annotations

from actors.agents.digest import op_digest
from actors.crm.cib.model import NvSet, Op, OpRecord, Primitive
from actors.crm.scheduler.digests import definition_change


def _prim(params: dict[str, str], start_params: dict[str, str] | None = None) -> Primitive:
    ops = (Op("start", 0, params=tuple((start_params or {}).items())),)
    return Primitive(
        "r", "ocf", "pacemaker", "Dummy", (NvSet("i", tuple(params.items())),), ops=ops
    )


def _start(digest: str, restart: str | None = None, names: str | None = None) -> OpRecord:
    return OpRecord(
        "r_start_0", "start", 1, 0, 0, 0, 0, digest, restart_digest=restart, force_restart=names
    )


def test_unchanged_parameters_mean_no_change() -> None:
    assert definition_change(_prim({"a": "1"}), _start(op_digest({"a": "1"}))) is None


def test_a_reloadable_change_is_a_reload_and_a_restart_parameter_a_restart() -> None:
    old = _start(op_digest({"a": "1", "b": "1"}), op_digest({"a": "1"}), " a ")
    assert definition_change(_prim({"a": "1", "b": "2"}), old) == "reload"
    assert definition_change(_prim({"a": "2", "b": "1"}), old) == "restart"


def test_start_op_parameters_count_and_force_a_real_restart() -> None:
    old = _start(op_digest({"a": "1"}), op_digest({}), " x ")
    assert definition_change(_prim({"a": "1"}, {"trace": "1"}), old) == "restart"
