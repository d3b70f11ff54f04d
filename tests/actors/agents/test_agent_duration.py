"""Pacemaker durations."""

from __future__ import annotations

import pytest

from actors.agents.duration import parse_ms


@pytest.mark.parametrize(
    "text,ms",
    [
        ("20s", 20000),
        ("20", 20000),
        ("500ms", 500),
        ("1m", 60000),
        ("2min", 120000),
        ("1h", 3600000),
        (" 1.5s ", 1500),
        ("10sec", 10000),
    ],
)
def test_durations(text, ms):
    assert parse_ms(text) == ms


@pytest.mark.parametrize("text", ["", "s", "ten", "5 parsecs", "-1s"])
def test_bad_durations_name_the_text(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_ms(text)
