"""The authkey file (0600, never silently replaced, refused when others can read it or when short)
and the keys derived from it."""

from __future__ import annotations

import os
import stat

import pytest
import zmq

from transport.authkey import (
    AUTHKEY_BYTES,
    MIN_AUTHKEY_BYTES,
    AuthkeyError,
    ClusterKeys,
    read_authkey,
    write_authkey,
)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_keygen_writes_0600_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        path = write_authkey(tmp_path / "sub" / "authkey")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert len(path.read_bytes()) == AUTHKEY_BYTES
    assert read_authkey(path) == path.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["authkey"]  # no temporary file left


def test_keygen_refuses_to_overwrite_without_force(tmp_path):
    path = write_authkey(tmp_path / "authkey")
    before = path.read_bytes()
    with pytest.raises(AuthkeyError, match="already exists") as info:
        write_authkey(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    write_authkey(path, force=True)
    assert path.read_bytes() != before
    assert _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o610, 0o601, 0o620])
def test_read_refuses_group_or_other_permissions(tmp_path, mode):
    path = write_authkey(tmp_path / "authkey")
    os.chmod(path, mode)
    with pytest.raises(AuthkeyError, match="0600") as info:
        read_authkey(path)
    assert str(path) in str(info.value) and f"{mode:04o}" in str(info.value)


def test_read_accepts_stricter_modes(tmp_path):
    path = write_authkey(tmp_path / "authkey")
    os.chmod(path, 0o400)
    assert len(read_authkey(path)) == AUTHKEY_BYTES


def test_read_refuses_short_keys_and_missing_files(tmp_path):
    short = tmp_path / "short"
    fd = os.open(short, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"x" * (MIN_AUTHKEY_BYTES - 1))
    os.close(fd)
    with pytest.raises(AuthkeyError, match="at least") as info:
        read_authkey(short)
    assert str(short) in str(info.value)
    with pytest.raises(AuthkeyError, match="no such authkey"):
        read_authkey(tmp_path / "missing")


def test_derived_keys_are_deterministic_per_authkey_and_differ_across():
    a1, a2 = ClusterKeys.from_authkey(b"a" * 64), ClusterKeys.from_authkey(b"a" * 64)
    b = ClusterKeys.from_authkey(b"b" * 64)
    assert a1 == a2
    for field in (
        "mac_key",
        "curve_server_public",
        "curve_server_secret",
        "curve_client_public",
        "curve_client_secret",
    ):
        assert getattr(a1, field) != getattr(b, field), field
    assert len({a1.mac_key, a1.curve_server_secret, a1.curve_client_secret}) == 3
    assert a1.curve_server_public == zmq.curve_public(a1.curve_server_secret)
    assert a1.curve_client_public == zmq.curve_public(a1.curve_client_secret)
    assert len(a1.curve_server_secret) == 40  # z85 of 32 bytes


def test_from_file_matches_from_authkey(tmp_path):
    path = write_authkey(tmp_path / "authkey")
    assert ClusterKeys.from_file(path) == ClusterKeys.from_authkey(path.read_bytes())
