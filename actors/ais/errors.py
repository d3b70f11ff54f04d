"""The AIS error codes (SaAisErrorT, the numbers of saAis.h and corosync's cs_error_t) and the
exception that carries one.

Principle 4: an error keeps its AIS meaning all the way to the user, never a bare int. A service
core answers a failed request with `Reply(..., result=AisError(SA_AIS_ERR_EXIST, "why"))`; the
client library raises that same exception in the caller. The codes are also importable by name
(`from actors.ais.errors import SA_AIS_ERR_EXIST`), the way C code spells them.
"""

from __future__ import annotations

from enum import IntEnum


class AisErrorCode(IntEnum):
    """SaAisErrorT; values match the C headers so they can be compared with real corosync."""

    SA_AIS_OK = 1
    SA_AIS_ERR_LIBRARY = 2
    SA_AIS_ERR_VERSION = 3
    SA_AIS_ERR_INIT = 4
    SA_AIS_ERR_TIMEOUT = 5
    SA_AIS_ERR_TRY_AGAIN = 6
    SA_AIS_ERR_INVALID_PARAM = 7
    SA_AIS_ERR_NO_MEMORY = 8
    SA_AIS_ERR_BAD_HANDLE = 9
    SA_AIS_ERR_BUSY = 10
    SA_AIS_ERR_ACCESS = 11
    SA_AIS_ERR_NOT_EXIST = 12
    SA_AIS_ERR_NAME_TOO_LONG = 13
    SA_AIS_ERR_EXIST = 14
    SA_AIS_ERR_NO_SPACE = 15
    SA_AIS_ERR_INTERRUPT = 16
    SA_AIS_ERR_NAME_NOT_FOUND = 17
    SA_AIS_ERR_NO_RESOURCES = 18
    SA_AIS_ERR_NOT_SUPPORTED = 19
    SA_AIS_ERR_BAD_OPERATION = 20
    SA_AIS_ERR_FAILED_OPERATION = 21
    SA_AIS_ERR_MESSAGE_ERROR = 22
    SA_AIS_ERR_QUEUE_FULL = 23
    SA_AIS_ERR_QUEUE_NOT_AVAILABLE = 24
    SA_AIS_ERR_BAD_FLAGS = 25
    SA_AIS_ERR_TOO_BIG = 26
    SA_AIS_ERR_NO_SECTIONS = 27
    SA_AIS_ERR_NO_OP = 28
    SA_AIS_ERR_REPAIR_PENDING = 29
    SA_AIS_ERR_NO_BINDINGS = 30
    SA_AIS_ERR_UNAVAILABLE = 31
    SA_AIS_ERR_CAMPAIGN_ERROR_REPORTED = 32
    SA_AIS_ERR_CAMPAIGN_PROC_FAILED = 33
    SA_AIS_ERR_CAMPAIGN_CANCELED = 34
    SA_AIS_ERR_CAMPAIGN_FAILED = 35
    SA_AIS_ERR_CAMPAIGN_SUSPENDED = 36
    SA_AIS_ERR_CAMPAIGN_SUSPENDING = 37
    SA_AIS_ERR_ACCESS_DENIED = 38
    SA_AIS_ERR_NOT_READY = 39
    SA_AIS_ERR_DEPLOYMENT = 40

    # Short spellings (AisErrorCode.EXIST); aliases, so `.name` stays the C name.
    OK = 1
    LIBRARY = 2
    VERSION = 3
    INIT = 4
    TIMEOUT = 5
    TRY_AGAIN = 6
    INVALID_PARAM = 7
    NO_MEMORY = 8
    BAD_HANDLE = 9
    BUSY = 10
    ACCESS = 11
    NOT_EXIST = 12
    NAME_TOO_LONG = 13
    EXIST = 14
    NO_SPACE = 15
    INTERRUPT = 16
    NAME_NOT_FOUND = 17
    NO_RESOURCES = 18
    NOT_SUPPORTED = 19
    BAD_OPERATION = 20
    FAILED_OPERATION = 21
    MESSAGE_ERROR = 22
    QUEUE_FULL = 23
    QUEUE_NOT_AVAILABLE = 24
    BAD_FLAGS = 25
    TOO_BIG = 26
    NO_SECTIONS = 27
    NO_OP = 28
    REPAIR_PENDING = 29
    NO_BINDINGS = 30
    UNAVAILABLE = 31
    CAMPAIGN_ERROR_REPORTED = 32
    CAMPAIGN_PROC_FAILED = 33
    CAMPAIGN_CANCELED = 34
    CAMPAIGN_FAILED = 35
    CAMPAIGN_SUSPENDED = 36
    CAMPAIGN_SUSPENDING = 37
    ACCESS_DENIED = 38
    NOT_READY = 39
    DEPLOYMENT = 40


SA_AIS_OK = AisErrorCode.SA_AIS_OK
SA_AIS_ERR_LIBRARY = AisErrorCode.SA_AIS_ERR_LIBRARY
SA_AIS_ERR_VERSION = AisErrorCode.SA_AIS_ERR_VERSION
SA_AIS_ERR_INIT = AisErrorCode.SA_AIS_ERR_INIT
SA_AIS_ERR_TIMEOUT = AisErrorCode.SA_AIS_ERR_TIMEOUT
SA_AIS_ERR_TRY_AGAIN = AisErrorCode.SA_AIS_ERR_TRY_AGAIN
SA_AIS_ERR_INVALID_PARAM = AisErrorCode.SA_AIS_ERR_INVALID_PARAM
SA_AIS_ERR_NO_MEMORY = AisErrorCode.SA_AIS_ERR_NO_MEMORY
SA_AIS_ERR_BAD_HANDLE = AisErrorCode.SA_AIS_ERR_BAD_HANDLE
SA_AIS_ERR_BUSY = AisErrorCode.SA_AIS_ERR_BUSY
SA_AIS_ERR_ACCESS = AisErrorCode.SA_AIS_ERR_ACCESS
SA_AIS_ERR_NOT_EXIST = AisErrorCode.SA_AIS_ERR_NOT_EXIST
SA_AIS_ERR_NAME_TOO_LONG = AisErrorCode.SA_AIS_ERR_NAME_TOO_LONG
SA_AIS_ERR_EXIST = AisErrorCode.SA_AIS_ERR_EXIST
SA_AIS_ERR_NO_SPACE = AisErrorCode.SA_AIS_ERR_NO_SPACE
SA_AIS_ERR_INTERRUPT = AisErrorCode.SA_AIS_ERR_INTERRUPT
SA_AIS_ERR_NAME_NOT_FOUND = AisErrorCode.SA_AIS_ERR_NAME_NOT_FOUND
SA_AIS_ERR_NO_RESOURCES = AisErrorCode.SA_AIS_ERR_NO_RESOURCES
SA_AIS_ERR_NOT_SUPPORTED = AisErrorCode.SA_AIS_ERR_NOT_SUPPORTED
SA_AIS_ERR_BAD_OPERATION = AisErrorCode.SA_AIS_ERR_BAD_OPERATION
SA_AIS_ERR_FAILED_OPERATION = AisErrorCode.SA_AIS_ERR_FAILED_OPERATION
SA_AIS_ERR_MESSAGE_ERROR = AisErrorCode.SA_AIS_ERR_MESSAGE_ERROR
SA_AIS_ERR_QUEUE_FULL = AisErrorCode.SA_AIS_ERR_QUEUE_FULL
SA_AIS_ERR_QUEUE_NOT_AVAILABLE = AisErrorCode.SA_AIS_ERR_QUEUE_NOT_AVAILABLE
SA_AIS_ERR_BAD_FLAGS = AisErrorCode.SA_AIS_ERR_BAD_FLAGS
SA_AIS_ERR_TOO_BIG = AisErrorCode.SA_AIS_ERR_TOO_BIG
SA_AIS_ERR_NO_SECTIONS = AisErrorCode.SA_AIS_ERR_NO_SECTIONS
SA_AIS_ERR_NO_OP = AisErrorCode.SA_AIS_ERR_NO_OP
SA_AIS_ERR_REPAIR_PENDING = AisErrorCode.SA_AIS_ERR_REPAIR_PENDING
SA_AIS_ERR_NO_BINDINGS = AisErrorCode.SA_AIS_ERR_NO_BINDINGS
SA_AIS_ERR_UNAVAILABLE = AisErrorCode.SA_AIS_ERR_UNAVAILABLE
SA_AIS_ERR_CAMPAIGN_ERROR_REPORTED = AisErrorCode.SA_AIS_ERR_CAMPAIGN_ERROR_REPORTED
SA_AIS_ERR_CAMPAIGN_PROC_FAILED = AisErrorCode.SA_AIS_ERR_CAMPAIGN_PROC_FAILED
SA_AIS_ERR_CAMPAIGN_CANCELED = AisErrorCode.SA_AIS_ERR_CAMPAIGN_CANCELED
SA_AIS_ERR_CAMPAIGN_FAILED = AisErrorCode.SA_AIS_ERR_CAMPAIGN_FAILED
SA_AIS_ERR_CAMPAIGN_SUSPENDED = AisErrorCode.SA_AIS_ERR_CAMPAIGN_SUSPENDED
SA_AIS_ERR_CAMPAIGN_SUSPENDING = AisErrorCode.SA_AIS_ERR_CAMPAIGN_SUSPENDING
SA_AIS_ERR_ACCESS_DENIED = AisErrorCode.SA_AIS_ERR_ACCESS_DENIED
SA_AIS_ERR_NOT_READY = AisErrorCode.SA_AIS_ERR_NOT_READY
SA_AIS_ERR_DEPLOYMENT = AisErrorCode.SA_AIS_ERR_DEPLOYMENT


class AisError(Exception):
    """A failed AIS call: the code says what kind of failure, `detail` says which object and why.

    Two AisErrors are equal when code and detail are equal, so tests can compare replies.
    """

    def __init__(self, code: AisErrorCode, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = AisErrorCode(code)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code.name}: {self.detail}" if self.detail else self.code.name

    def __repr__(self) -> str:
        return f"AisError({self.code.name}, {self.detail!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AisError):
            return NotImplemented
        return (self.code, self.detail) == (other.code, other.detail)

    def __hash__(self) -> int:
        return hash((self.code, self.detail))
