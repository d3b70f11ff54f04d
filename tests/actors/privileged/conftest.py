"""Fixtures of a running node with test agents (`support_agents_node`): node, client, work."""

from support_agents_node import client, node, work  # noqa: F401
