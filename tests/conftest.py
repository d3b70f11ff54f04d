"""Test selection: fast unit and simulation tests by default; `--cluster` adds real processes."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cluster",
        action="store_true",
        default=False,
        help="also run tests marked `cluster` (real processes, agents, sockets)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected, deselected = [], []
    want_cluster = config.getoption("--cluster")
    for item in items:
        if "cluster" in item.keywords and not want_cluster:
            deselected.append(item)
        else:
            selected.append(item)
        if "root" in item.keywords and os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(reason="needs root"))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
