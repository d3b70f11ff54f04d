"""GroupLink on real executives: two actors in different nodes' groups see the same messages in
the same order, views included, and a member that closes is seen leaving."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from actors.ais.client.group import GroupLink, GroupMessage, GroupView
from actors.ais.cpg.messages import CpgReason
from actors.commands.cluster import cluster_down, cluster_up

pytestmark = pytest.mark.cluster


class Log:
    """Stands in for the actor's ref: GroupLink only tells it things."""

    def __init__(self) -> None:
        self.seen: list = []
        self.lock = threading.Lock()

    def tell(self, message) -> None:
        with self.lock:
            self.seen.append(message)


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def configs():
    directory = Path(tempfile.mkdtemp(prefix="rl-group-test-"))
    try:
        yield cluster_up(directory, 2, "ipc", timeout=60.0)
    finally:
        cluster_down(directory)
        shutil.rmtree(directory, ignore_errors=True)


def test_members_see_one_order_and_each_other_leave(configs):
    logs = [Log(), Log()]
    links = [
        GroupLink("test-group", log, config=str(cfg))
        for log, cfg in zip(logs, configs, strict=True)
    ]
    try:
        assert {link.node_id for link in links} == {1, 2}

        def both_in_view(log):
            views = [m for m in log.seen if isinstance(m, GroupView)]
            return views and views[-1].nodes == (1, 2)

        wait_for(lambda: all(both_in_view(log) for log in logs), what="both members in view")
        for i in range(20):
            links[i % 2].mcast(("n", i % 2, i))

        def messages(log):
            with log.lock:
                return [m.data for m in log.seen if isinstance(m, GroupMessage)]

        wait_for(lambda: all(len(messages(log)) == 20 for log in logs), what="20 messages each")
        assert messages(logs[0]) == messages(logs[1])
        assert sorted(d[2] for d in messages(logs[0])) == list(range(20))
        links[1].close()
        wait_for(
            lambda: any(
                isinstance(m, GroupView)
                and m.nodes == (1,)
                and [a.reason for a in m.left] == [CpgReason.LEAVE]
                for m in logs[0].seen
            ),
            what="node 2's member leaving",
        )
    finally:
        for link in links:
            link.close()
