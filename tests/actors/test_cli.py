"""The `ringleader` command: user mistakes are one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import stat

from actors.cli import main


def test_keygen_writes_a_0600_key_and_refuses_to_overwrite(tmp_path, capsys):
    key = tmp_path / "keys" / "authkey"
    assert main(["keygen", "--out", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_bytes()) >= 32
    first = key.read_bytes()
    assert main(["keygen", "--out", str(key)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and str(key) in err and "Traceback" not in err
    assert key.read_bytes() == first
    assert main(["keygen", "--out", str(key), "--force"]) == 0
    assert key.read_bytes() != first


def test_node_start_with_a_broken_config_is_one_clear_line(tmp_path, capsys):
    config = tmp_path / "node.toml"
    config.write_text(
        '[cluster]\nname = "x"\nauthkey = "k"\ntransport = "carrier-pigeon"\n'
        '[node]\nname = "n1"\nstate_dir = "s"\n[[nodes]]\nid = 1\nname = "n1"\n'
    )
    assert main(["node", "start", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert str(config) in err and "cluster.transport" in err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "keygen" in capsys.readouterr().out
