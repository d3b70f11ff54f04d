"""The long-run command line: exit codes, replay, user errors."""

from __future__ import annotations

import pytest

from actors.ais.sim.command import main
from actors.errors import UserError


def test_a_small_run_passes_and_says_so(capsys):
    assert main(["--seeds", "5", "--nodes", "2-3"]) == 0
    assert "5/5 seeds passed" in capsys.readouterr().out


def test_one_seed_is_replayed_with_its_script(capsys):
    assert main(["--seed", "7", "--faults", "crash,partition"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("seed 7:") and "crash,partition" in out and out.rstrip().endswith("ok")


@pytest.mark.parametrize(
    "argv, word", [(["--nodes", "x"], "--nodes"), (["--faults", "fire"], "fire")]
)
def test_bad_options_are_user_errors(argv, word, capsys):
    assert main([*argv, "--seeds", "1"]) == 2
    assert word in capsys.readouterr().err


def test_the_ringleader_sub_command_registers():
    import argparse

    from actors.ais.sim.command import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["sim", "evs", "--seeds", "3"])
    assert args.seeds == 3 and callable(args.func)
    with pytest.raises(UserError):
        args.func(parser.parse_args(["sim", "evs", "--nodes", "0"]))


def test_the_services_simulation_is_a_sub_command_too(capsys):
    import argparse

    from actors.ais.sim.command import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["sim", "ais", "--seeds", "3", "--nodes", "2-3"])
    assert args.func(args) == 0
    assert "3/3 seeds passed" in capsys.readouterr().out
    args = parser.parse_args(["sim", "ais", "--seed", "5"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("seed 5:") and out.rstrip().endswith("ok")
