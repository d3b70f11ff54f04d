"""A CPG client process for the cluster tests: joins a group, multicasts numbered messages
until told to stop, and writes everything it saw (with each callback's EVS cause) to a file.

    python cpg_log_client.py NODE_CONFIG GROUP OUT_FILE STOP_FILE
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path

from actors.ais.client import CpgClient
from actors.ais.cpg.messages import Join, Mcast
from actors.ais.errors import AisError, AisErrorCode


def main(config: str, group: str, out: str, stop: str) -> int:
    trace: list = []  # ("request", rid, op) / ("reply", rid, ok) / ("callback", payload, cause)
    cpg = CpgClient(config=config, timeout=10.0)
    cpg.handler = lambda payload, cause: trace.append(("callback", payload, cause))
    pid = os.getpid()
    node_id = cpg.local_get()
    rid = 0

    def call(op) -> bool:
        nonlocal rid
        rid += 1
        trace.append(("request", rid, op))
        try:
            cpg.call(op)
        except AisError as exc:
            trace.append(("reply", rid, False))
            if exc.code not in (AisErrorCode.TRY_AGAIN, AisErrorCode.TIMEOUT):
                raise
            return False
        trace.append(("reply", rid, True))
        return True

    while not call(Join(group, pid)):
        time.sleep(0.05)
    Path(out + ".joined").touch()
    k = 0
    while not Path(stop).exists():
        if call(Mcast((pid, k))):
            k += 1
        cpg.dispatch(0)
        time.sleep(0.01)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        cpg.dispatch(0.2)
    cpg.finalize()
    with open(out + ".tmp", "wb") as f:
        pickle.dump({"node": node_id, "pid": pid, "trace": trace}, f)
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
