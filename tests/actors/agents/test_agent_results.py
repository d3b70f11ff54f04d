"""OCF results, PCMK_EXEC statuses and the LSB-to-OCF mapping."""

from __future__ import annotations

from actors.agents.results import ExecStatus, OcfResult, OpResult, lsb_to_ocf


def test_ocf_codes_and_unknown_codes():
    assert OcfResult.from_exit(7) is OcfResult.OCF_NOT_RUNNING
    assert OcfResult.from_exit(8) is OcfResult.OCF_RUNNING_PROMOTED
    assert OcfResult.from_exit(191) is OcfResult.OCF_DEGRADED_PROMOTED
    for odd in (10, 42, 189, 192, 255):
        assert OcfResult.from_exit(odd) is OcfResult.OCF_ERR_GENERIC
    assert ExecStatus.TIMEOUT == 3 and ExecStatus.NOT_INSTALLED == 8


def test_lsb_status_codes_have_their_own_meaning():
    assert lsb_to_ocf("status", 0) is OcfResult.OCF_SUCCESS
    for code in (1, 2, 3):
        assert lsb_to_ocf("monitor", code) is OcfResult.OCF_NOT_RUNNING
    assert lsb_to_ocf("status", 4) is OcfResult.OCF_ERR_GENERIC
    assert lsb_to_ocf("status", 150) is OcfResult.OCF_ERR_INSTALLED
    assert lsb_to_ocf("status", 151) is OcfResult.OCF_ERR_PERM
    # other actions share OCF's codes up to 7, the rest is a generic error
    assert lsb_to_ocf("start", 5) is OcfResult.OCF_ERR_INSTALLED
    assert lsb_to_ocf("stop", 3) is OcfResult.OCF_ERR_UNIMPLEMENTED
    assert lsb_to_ocf("start", 8) is OcfResult.OCF_ERR_GENERIC


def test_describe_and_ok():
    done = OpResult(OcfResult.OCF_SUCCESS, ExecStatus.DONE)
    assert done.ok and done.describe() == "OCF_SUCCESS (done)"
    late = OpResult(OcfResult.OCF_ERR_GENERIC, ExecStatus.TIMEOUT, "too slow")
    assert not late.ok and late.describe() == "OCF_ERR_GENERIC (timeout: too slow)"
