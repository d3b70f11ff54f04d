"""Agent names and lookup: only inside the configured directories, no path tricks."""

from __future__ import annotations

import os

import pytest

from actors.agents.catalog import list_agents
from actors.agents.spec import AgentDirs, AgentNotFound, AgentSpec, Standard
from actors.errors import UserError


def test_parse_and_print_round_trip():
    for text in ("ocf:heartbeat:Dummy", "lsb:hwclock.sh", "stonith:fence_dummy"):
        assert str(AgentSpec.parse(text)) == text
    spec = AgentSpec.parse("ocf:pacemaker:Stateful")
    assert (spec.standard, spec.provider, spec.type) == (Standard.OCF, "pacemaker", "Stateful")


@pytest.mark.parametrize(
    "text",
    [
        "ocf:heartbeat",  # missing type
        "ocf:../..:sh",
        "ocf:heartbeat:../../../bin/sh",
        "ocf:heartbeat:.hidden",
        "lsb:/bin/sh",
        "lsb:..",
        "stonith:sh",  # fence agents are fence_*
        "systemd:foo",  # unknown class
        "lsb:a:b",
    ],
)
def test_parse_refuses_path_tricks_and_bad_forms(text):
    with pytest.raises(UserError) as err:
        AgentSpec.parse(text)
    assert text in str(err.value) or text.split(":")[0] in str(err.value)


def test_resolve_only_inside_the_standards_directory(agent_dirs: AgentDirs):
    path = agent_dirs.resolve(AgentSpec.parse("ocf:test:badrc"))
    assert path.name == "badrc" and path.is_relative_to(os.path.realpath(agent_dirs.ocf_root))
    provider = agent_dirs.ocf_root / "resource.d" / "test"
    (provider / "escape").symlink_to("/bin/true")
    with pytest.raises(AgentNotFound, match="leads out of"):
        agent_dirs.resolve(AgentSpec.parse("ocf:test:escape"))
    # a symlink that stays inside the OCF root is fine (Debian links into $OCF_ROOT/lib)
    (provider / "inside").symlink_to("badrc")
    assert agent_dirs.resolve(AgentSpec.parse("ocf:test:inside")).name == "badrc"
    with pytest.raises(AgentNotFound, match="not installed"):
        agent_dirs.resolve(AgentSpec.parse("ocf:test:nothere"))
    (provider / "noexec").write_text("#!/bin/sh\n")
    with pytest.raises(AgentNotFound, match="not executable"):
        agent_dirs.resolve(AgentSpec.parse("ocf:test:noexec"))
    # an unchecked spec built by hand is checked again
    with pytest.raises(UserError):
        agent_dirs.resolve(AgentSpec(Standard.OCF, "test", "../test/badrc"))


def test_a_remembered_resolution_holds_only_while_the_file_is_the_same(agent_dirs: AgentDirs):
    provider = agent_dirs.ocf_root / "resource.d" / "test"
    spec = AgentSpec.parse("ocf:test:moving")
    link = provider / "moving"
    link.symlink_to("badrc")
    assert agent_dirs.resolve(spec).name == "badrc"
    assert agent_dirs.resolve(spec).name == "badrc"  # from the cache
    link.unlink()
    link.symlink_to("/bin/true")  # now leads out of the OCF root
    with pytest.raises(AgentNotFound, match="leads out of"):
        agent_dirs.resolve(spec)
    link.unlink()
    link.symlink_to("badrc")
    assert agent_dirs.resolve(spec).name == "badrc"
    os.chmod(provider / "badrc", 0o644)  # same file, no longer executable
    with pytest.raises(AgentNotFound, match="not executable"):
        agent_dirs.resolve(spec)
    os.chmod(provider / "badrc", 0o755)
    assert agent_dirs.resolve(spec).name == "badrc"
    (provider / "badrc").unlink()
    with pytest.raises(AgentNotFound, match="not installed"):
        agent_dirs.resolve(spec)


def test_catalog_lists_what_resolves(agent_dirs: AgentDirs):
    provider = agent_dirs.ocf_root / "resource.d" / "test"
    (provider / "escape").symlink_to("/bin/true")
    (provider / ".ocf-shellfuncs").write_text("")
    ocf = [str(s) for s in list_agents(agent_dirs, Standard.OCF)]
    assert "ocf:test:hang" in ocf and "ocf:test:badrc" in ocf
    assert "ocf:test:escape" not in ocf and not any(".ocf" in s for s in ocf)
    assert [str(s) for s in list_agents(agent_dirs, Standard.LSB)] == ["lsb:lsbdemo"]
    (agent_dirs.fence_dir / "notfence").write_text("")
    assert [str(s) for s in list_agents(agent_dirs, Standard.STONITH)] == ["stonith:fence_envdump"]
    assert len(list_agents(agent_dirs)) == len(ocf) + 2


def test_catalog_of_the_installed_agents():
    installed = AgentDirs()
    if not (installed.ocf_root / "resource.d" / "heartbeat" / "Dummy").exists():
        pytest.skip("resource-agents not installed")
    names = {str(s) for s in list_agents(installed)}
    assert {"ocf:heartbeat:Dummy", "ocf:pacemaker:Stateful"} <= names
    assert all(not n.startswith("stonith:") or n.startswith("stonith:fence_") for n in names)
