"""Frames survive the transport's pickling unchanged and cannot be modified in place."""

from __future__ import annotations

import dataclasses
import pickle

import cloudpickle
import pytest

from actors.ais.evs import RingId
from actors.ais.totem.messages import CommitToken, Join, Mcast, MemberInfo, MergeDetect, Token

RING = RingId(8, 1)
MCAST = Mcast(RING, 3, 5, (2, 1), (b"a", b"b"), True, 1)
FRAMES = [
    MCAST,
    Token(RING, 9, 3, 6, 2, (2, 1), (3,), 4),
    MergeDetect(RING, (1, 0)),
    Join((1, 0), frozenset({(1, 0), (2, 1)}), frozenset({(3, 0)}), 8),
    CommitToken(
        RingId(12, 1),
        ((1, 0), (2, 1)),
        (MemberInfo((1, 0), RING, 2, 3), None),
        (MCAST,),
        2,
    ),
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: type(f).__name__)
def test_frames_round_trip_through_pickle(frame):
    assert pickle.loads(pickle.dumps(frame)) == frame
    assert cloudpickle.loads(cloudpickle.dumps(frame)) == frame


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: type(f).__name__)
def test_frames_are_frozen(frame):
    field = dataclasses.fields(frame)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(frame, field, None)
