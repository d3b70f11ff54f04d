"""`ringleader agent list/show` and the `exec` helper, on a temporary agent tree."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from actors.cli import main
from actors.commands.agent import add_exec_arguments, exec_agent

METADATA = """<?xml version="1.0"?>
<resource-agent name="demo" version="0.1"><shortdesc>Demo agent</shortdesc>
<parameters><parameter name="color" required="1"><shortdesc>Paint colour</shortdesc>
<content type="string" default="blue"/></parameter></parameters>
<actions><action name="start" timeout="15s"/></actions></resource-agent>"""


@pytest.fixture
def tree(tmp_path: Path) -> list[str]:
    provider = tmp_path / "ocf" / "resource.d" / "acme"
    provider.mkdir(parents=True)
    agent = provider / "demo"
    agent.write_text(
        "#!/bin/sh\n"
        f"[ \"$1\" = meta-data ] && {{ cat <<'X'\n{METADATA}\nX\nexit 0; }}\n"
        'echo "color=$OCF_RESKEY_color"; exit 7\n'
    )
    agent.chmod(0o755)
    (tmp_path / "init.d").mkdir()
    (tmp_path / "sbin").mkdir()
    return [
        "--ocf-root", str(tmp_path / "ocf"),
        "--lsb-dir", str(tmp_path / "init.d"),
        "--fence-dir", str(tmp_path / "sbin"),
    ]  # fmt: skip


@pytest.mark.cluster
def test_list_and_show(tree, capsys):
    assert main(["agent", "list", "ocf", *tree]) == 0
    assert capsys.readouterr().out.split() == ["ocf:acme:demo"]
    assert main(["agent", "list", "lsb", *tree]) == 0
    assert capsys.readouterr().out == ""
    assert main(["agent", "show", "ocf:acme:demo", *tree]) == 0
    out = capsys.readouterr().out
    assert "color (string, required) [default: blue]" in out and "Paint colour" in out
    assert "start timeout=15000ms" in out


def test_user_errors_are_one_line(tree, capsys):
    assert main(["agent", "show", "ocf:acme:missing", *tree]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ringleader: error: agent ocf:acme:missing: not installed")
    assert main(["agent", "show", "ocf:acme:../../x", *tree]) == 2
    assert "not a plain name" in capsys.readouterr().err


@pytest.mark.cluster
def test_exec_returns_the_ocf_code(tree, capsys):
    parser = argparse.ArgumentParser()
    add_exec_arguments(parser)
    args = parser.parse_args(["ocf:acme:demo", "monitor", "-p", "color=red", *tree])
    assert exec_agent(args) == 7
    captured = capsys.readouterr()
    assert captured.out == "color=red\n" and "OCF_NOT_RUNNING" in captured.err
