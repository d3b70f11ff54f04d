"""AIS error codes and AisError: C numbering, both spellings, and a safe trip over the wire."""

from __future__ import annotations

import pickle

import cloudpickle

from actors.ais.errors import SA_AIS_ERR_EXIST, SA_AIS_ERR_TRY_AGAIN, AisError, AisErrorCode


def test_codes_keep_the_c_numbers_and_names() -> None:
    assert AisErrorCode.SA_AIS_OK == 1
    assert SA_AIS_ERR_TRY_AGAIN == 6
    assert AisErrorCode.SA_AIS_ERR_DEPLOYMENT == 40
    assert AisErrorCode.EXIST is SA_AIS_ERR_EXIST
    assert AisErrorCode.TRY_AGAIN.name == "SA_AIS_ERR_TRY_AGAIN"
    assert len(AisErrorCode) == 40  # the short spellings are aliases, not new members


def test_aiserror_says_what_and_why_and_survives_pickling() -> None:
    error = AisError(SA_AIS_ERR_EXIST, "cpg: group 'g'")
    assert str(error) == "SA_AIS_ERR_EXIST: cpg: group 'g'"
    assert str(AisError(AisErrorCode.BUSY)) == "SA_AIS_ERR_BUSY"
    for dumps in (pickle.dumps, cloudpickle.dumps):
        copy = pickle.loads(dumps(error))
        assert copy == error and copy.code is AisErrorCode.EXIST and copy.detail == error.detail
    assert error != AisError(SA_AIS_ERR_EXIST, "other")
    assert len({error, AisError(SA_AIS_ERR_EXIST, "cpg: group 'g'")}) == 1
