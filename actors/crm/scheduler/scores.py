"""Pacemaker score arithmetic: +-INFINITY is +-1000000 and absorbs; -INFINITY beats +INFINITY."""

from __future__ import annotations

INFINITY = 1000000


def parse_score(text: str | int | None, default: int = 0) -> int:
    """`INFINITY`, `+INFINITY`, `-INFINITY` or an integer, clamped to +-INFINITY."""
    if text is None:
        return default
    if isinstance(text, int):
        return clamp(text)
    t = text.strip().lower()
    if t in ("infinity", "+infinity"):
        return INFINITY
    if t == "-infinity":
        return -INFINITY
    try:
        return clamp(int(float(t)))
    except ValueError:
        return default


def clamp(value: int) -> int:
    return max(-INFINITY, min(INFINITY, value))


def add(a: int, b: int) -> int:
    """Score addition as pcmk__add_scores: -INFINITY dominates, then +INFINITY."""
    if a <= -INFINITY or b <= -INFINITY:
        return -INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    return clamp(a + b)


def fmt(score: int) -> str:
    if score >= INFINITY:
        return "INFINITY"
    if score <= -INFINITY:
        return "-INFINITY"
    return str(score)
