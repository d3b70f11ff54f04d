"""Pacemaker durations (`20s`, `1m`, `500ms`, `90`) in milliseconds, as crm_get_msec reads them."""

from __future__ import annotations

import re

_UNITS_MS = {
    "": 1000.0,
    "s": 1000.0,
    "sec": 1000.0,
    "ms": 1.0,
    "msec": 1.0,
    "us": 0.001,
    "usec": 0.001,
    "m": 60000.0,
    "min": 60000.0,
    "h": 3600000.0,
    "hr": 3600000.0,
}
_FORM = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([a-z]*)\s*\Z", re.IGNORECASE)


def parse_ms(text: str) -> int:
    """`20s` -> 20000; a bare number is seconds. ValueError names the text when unreadable."""
    match = _FORM.match(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS_MS:
        raise ValueError(f"{text!r} is not a duration (like 20s, 500ms, 1m)")
    return int(float(match.group(1)) * _UNITS_MS[unit])
