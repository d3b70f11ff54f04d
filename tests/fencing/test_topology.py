"""Topology levels: targets by name, pattern or attribute; checked input."""

from __future__ import annotations

import pytest

from actors.errors import UserError
from fencing.topology import levels_for, make_level


def test_levels_apply_in_index_order_and_a_name_wins_over_a_pattern():
    levels = [
        make_level("node1", 2, "pdu"),
        make_level("node1", 1, "ipmi"),
        make_level("regexp%node[0-9]", 1, "generic"),
        make_level("attrib%rack=r1", 1, "rackpdu"),
    ]
    assert [lv.devices for lv in levels_for(levels, "node1")] == [("ipmi",), ("pdu",)]
    assert [lv.devices for lv in levels_for(levels, "node2")] == [("generic",)]
    assert levels_for(levels, "node10") == []  # the pattern must match the whole name
    racked = levels_for(levels, "db", {"rack": "r1"})
    assert [lv.devices for lv in racked] == [("rackpdu",)]
    assert levels_for(levels, "db", {"rack": "r2"}) == []


def test_devices_are_split_on_commas():
    assert make_level("n1", "3", "a, b,c").devices == ("a", "b", "c")


@pytest.mark.parametrize(
    ("target", "index", "devices", "message"),
    [
        ("n1", "x", "a", "index 'x'"),
        ("n1", 0, "a", "1..9"),
        ("n1", 10, "a", "1..9"),
        ("n1", 1, " , ", "no devices"),
        ("n1", 1, "a/b", "'a/b' is not a device"),
        ("regexp%(", 1, "a", "bad pattern"),
        ("attrib%rack", 1, "a", "attrib%NAME=VALUE"),
        ("weird%x", 1, "a", "expected NODE"),
    ],
)
def test_bad_levels_say_what_is_wrong(target, index, devices, message):
    with pytest.raises(UserError, match=message):
        make_level(target, index, devices)
