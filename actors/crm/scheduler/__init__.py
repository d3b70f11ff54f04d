"""The policy engine: `schedule(cib) -> Transition`, a pure function (no IO, no clock)."""

from actors.crm.scheduler.model import (
    Action,
    Contribution,
    NodeView,
    ResourceView,
    SummaryLine,
    Transition,
)
from actors.crm.scheduler.schedule import Unsupported, schedule
from actors.crm.scheduler.summary import format_summary

__all__ = [
    "Action",
    "Contribution",
    "NodeView",
    "ResourceView",
    "SummaryLine",
    "Transition",
    "Unsupported",
    "format_summary",
    "schedule",
]
