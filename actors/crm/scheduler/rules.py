"""Rule evaluation for location constraints and attribute sets: node attributes, `#uname`,
boolean-op, nested rules and date expressions, against a given time (no clock inside)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    """An integer as strtoll reads it: the leading digits (`3.6` is 3)."""
    m = re.match(r"\s*[+-]?\d+", text or "")
    return int(m.group()) if m else None


def _compare(op: str, left: str | None, right: str | None, typ: str | None) -> bool:
    if op == "defined":
        return left is not None
    if op == "not_defined":
        return left is None
    if left is None:
        return op == "ne"
    a: object
    b: object
    numeric = typ in ("number", "integer") or (
        typ is None
        and op not in ("eq", "ne")
        and _num(left) is not None
        and _num(right) is not None
    )
    parse = _int if typ == "integer" else _num
    if numeric and parse(left) is not None and parse(right) is not None:
        a, b = parse(left), parse(right)
    elif numeric:
        a, b = left, right or ""  # a value that is no number: compared as text, as Pacemaker
    elif typ == "version":
        a = tuple(int(x) for x in left.split(".") if x.isdigit())
        b = tuple(int(x) for x in (right or "").split(".") if x.isdigit())
    else:
        a, b = left, right or ""
    ops = {"eq": a == b, "ne": a != b}
    if op in ops:
        return ops[op]
    try:
        return {"lt": a < b, "gt": a > b, "lte": a <= b, "gte": a >= b}[op]  # type: ignore[operator]
    except (KeyError, TypeError):
        return False


def _iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    t = text.strip().replace("Z", "+00:00")
    try:
        d = dt.datetime.fromisoformat(t.replace(" ", "T"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


def _date(el: ET.Element, now: dt.datetime | None) -> bool:
    if now is None:
        return False
    op = el.get("operation", "in_range")
    start, end = _iso(el.get("start")), _iso(el.get("end"))
    if op == "gt":
        return start is not None and now > start
    if op == "lt":
        return end is not None and now < end
    if op == "in_range":
        dur = el.find("duration")
        if end is None and dur is not None and start is not None:
            end = start + dt.timedelta(
                days=int(dur.get("days", 0)) + 7 * int(dur.get("weeks", 0)),
                hours=int(dur.get("hours", 0)),
                minutes=int(dur.get("minutes", 0)),
                seconds=int(dur.get("seconds", 0)),
            )
        return (start is None or now >= start) and (end is None or now <= end)
    if op == "date_spec":
        spec = el.find("date_spec")
        if spec is None:
            return False
        iso = now.isocalendar()
        fields = {
            "hours": now.hour,
            "minutes": now.minute,
            "seconds": now.second,
            "monthdays": now.day,
            "weekdays": now.isoweekday(),
            "months": now.month,
            "years": now.year,
            "yeardays": now.timetuple().tm_yday,
            "weeks": iso[1],
            "weekyears": iso[0],
        }
        for key, value in fields.items():
            rng = spec.get(key)
            if rng is None:
                continue
            lo, _, hi = rng.partition("-")
            if not (int(lo) <= value <= int(hi or lo)):
                return False
        return True
    return False


def evaluate(
    rule: ET.Element,
    attrs: dict[str, str],
    now: dt.datetime | None = None,
    rsc: tuple[str | None, str | None, str | None] | None = None,
    op: tuple[str, int] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> bool:
    """True when the rule matches a node with `attrs` (including `#uname`) at time `now`;
    `values` holds the resource's "param" and "meta" values that value-source may name."""
    results = []
    for child in rule:
        if child.tag == "expression":
            value = child.get("value")
            source = child.get("value-source", "literal")
            if source in ("param", "meta"):  # the resource's parameter / meta-attribute
                value = (values or {}).get(source, {}).get(value or "")
            results.append(
                _compare(
                    child.get("operation", "eq"),
                    attrs.get(child.get("attribute", "")),
                    value,
                    child.get("type"),
                )
            )
        elif child.tag == "date_expression":
            results.append(_date(child, now))
        elif child.tag == "rule":
            results.append(evaluate(child, attrs, now, rsc, op, values))
        elif child.tag == "rsc_expression":
            klass, prov, typ = rsc or (None, None, None)
            results.append(
                child.get("class") in (None, klass)
                and child.get("provider") in (None, prov)
                and child.get("type") in (None, typ)
            )
        elif child.tag == "op_expression":
            name, interval = op or ("", -1)
            want = child.get("interval")
            results.append(child.get("name") == name and (want is None or want == str(interval)))
    if not results:
        return True
    if rule.get("boolean-op", "and") == "or":
        return any(results)
    return all(results)


def set_values(sets, attrs: dict[str, str], now: dt.datetime | None = None) -> dict[str, str]:
    """Attribute sets (`NvSet`) as they apply on a node: highest score first, a set with a
    rule only where its rule matches, the first value of a name winning."""
    out: dict[str, str] = {}
    for s in sorted(sets, key=lambda s: -s.score):
        if s.rule is None or evaluate(s.rule.element, attrs, now):
            for k, v in s.values:
                out.setdefault(k, v)
    return out
