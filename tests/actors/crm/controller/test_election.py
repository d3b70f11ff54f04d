"""DC election from the view: one DC per view, shutdowns respected, and never two DCs even for
members that missed shutdown announcements (random sequences)."""

from __future__ import annotations

import random

from actors.crm.controller.election import Election, choose_dc

IDS = {"n1": 1, "n2": 2, "n3": 3, "n4": 4}


def test_lowest_id_not_shutting_down():
    assert choose_dc(["n3", "n2", "n4"], IDS) == "n2"
    assert choose_dc(["n3", "n2"], IDS, shutting_down=["n2"]) == "n3"
    assert choose_dc(["n3", "n2"], IDS, shutting_down=["n2", "n3"]) == "n2"
    assert choose_dc([], IDS) is None


def test_dc_leaving_hands_over_to_the_next():
    e = Election("n2", IDS)
    assert e.view(["n1", "n2", "n3"]) == "n1" and not e.is_dc
    assert e.view(["n2", "n3"]) == "n2" and e.is_dc
    assert e.shutdown_announced("n2") == "n3" and not e.is_dc


def test_never_two_dcs_even_with_missed_announcements():
    rng = random.Random(3)
    for _ in range(300):
        members = sorted(rng.sample(list(IDS), rng.randint(1, 4)))
        shutting = {n for n in members if rng.random() < 0.4}
        electors = []
        for n in members:
            e = Election(n, IDS)
            e.view(members)
            # each knows its own announcement and a random part of the others'
            for s in shutting:
                if s == n or rng.random() < 0.5:
                    e.shutdown_announced(s)
            electors.append(e)
        assert sum(e.is_dc for e in electors) <= 1
        everyone_knows = [Election(n, IDS) for n in members]
        for e in everyone_knows:
            e.view(members)
            for s in shutting:
                e.shutdown_announced(s)
        assert sum(e.is_dc for e in everyone_knows) == 1
