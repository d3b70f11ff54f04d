"""How a command reads and changes the running cluster's CIB: asks to this node's `cib` actor.

A change refused with `CibTryAgain` (the group is synchronising after a membership change, or
the CIB has not joined it yet) was applied nowhere, so it is asked again until `timeout`.
"""

from __future__ import annotations

import time

from actors.config import NodeConfig
from actors.crm.cib.edit import Change
from actors.crm.cib.messages import (
    CIB_ACTOR,
    CRM_PROCESS,
    ApplyChange,
    ChangeApplied,
    CibConfig,
    CibTryAgain,
    GetConfig,
)
from actors.errors import UserError
from actors.node_client import node_actor
from actors.runtime.errors import ActorUnreachable

TIMEOUT = 30.0


def get_config(config: NodeConfig, timeout: float = TIMEOUT) -> CibConfig:
    with node_actor(config, CRM_PROCESS, CIB_ACTOR) as cib:
        try:
            return cib.ask(GetConfig(), timeout=timeout).get()
        except ActorUnreachable as exc:
            raise UserError(f"node {config.node}: the CIB does not answer: {exc}") from None


def apply(config: NodeConfig, change: Change, timeout: float = TIMEOUT) -> ChangeApplied:
    """Apply `change` cluster-wide; CibError (a UserError naming the element) when refused."""
    deadline = time.monotonic() + timeout
    with node_actor(config, CRM_PROCESS, CIB_ACTOR) as cib:
        while True:
            left = max(deadline - time.monotonic(), 1.0)
            try:
                return cib.ask(ApplyChange(change), timeout=left).get()
            except CibTryAgain as exc:
                if time.monotonic() >= deadline:
                    raise UserError(
                        f"node {config.node}: {exc} (gave up after {timeout:g} s)"
                    ) from None
            except ActorUnreachable as exc:
                raise UserError(f"node {config.node}: the CIB does not answer: {exc}") from None
            time.sleep(0.2)


def version_text(version: tuple[int, int, int]) -> str:
    """`admin_epoch.epoch.num_updates`, as Pacemaker prints a CIB version."""
    return ".".join(str(v) for v in version)


def change_command(config_path: str, change: Change) -> int:
    """What every editing command does: apply `change`, print what it did and the version."""
    from actors.config import load_config

    result = apply(load_config(config_path), change)
    for line in result.report:
        print(line)
    print(f"cib version {version_text(result.version)}")
    return 0


def cluster_node(config_path: str, name: str):
    """The [[nodes]] entry called `name`; a UserError naming the file when there is none."""
    from actors.config import load_config

    config = load_config(config_path)
    entry = next((n for n in config.nodes if n.name == name), None)
    if entry is None:
        names = ", ".join(n.name for n in config.nodes)
        raise UserError(f"{config.path}: node '{name}' is not one of the [[nodes]] ({names})")
    return entry
