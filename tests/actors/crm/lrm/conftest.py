"""The running-node fixtures of tests/actors/privileged (node, client, work) for LRM tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "privileged"))
from support_agents_node import client, node, work  # noqa: E402, F401
