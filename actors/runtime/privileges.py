"""Dropping root: every process of a node but the privileged child runs as an ordinary user."""

from __future__ import annotations

import grp
import logging
import os
import pwd

log = logging.getLogger("ringleader.runtime")

DEFAULT_USERS = ("hacluster", "nobody")


def default_user() -> str:
    for user in DEFAULT_USERS:
        try:
            pwd.getpwnam(user)
            return user
        except KeyError:
            continue
    return "nobody"


def drop_privileges(user: str, group: str | None = None) -> None:
    """Switch real and effective uid/gid to `user` (only when we are root)."""
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(user)
    gid = grp.getgrnam(group).gr_gid if group else entry.pw_gid
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(entry.pw_uid, entry.pw_uid, entry.pw_uid)
    log.info("dropped privileges to %s (uid %d)", user, entry.pw_uid)
