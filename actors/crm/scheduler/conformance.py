"""Runs Pacemaker's scheduler regression corpus in-process and compares Transition Summaries.

A case passes when our summary equals `summary/NAME.summary`'s, white space ignored (as
Pacemaker's own cts-scheduler compares).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from actors.crm.cib import parse_cib_file
from actors.crm.scheduler.schedule import Unsupported, schedule
from actors.crm.scheduler.summary import format_summary
from actors.errors import UserError

# Feature categories, as the corpus README counts them: (name, what marks a case in its XML).
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("bundle", "<bundle"),
    ("remote", 'type="remote"'),
    ("promotable", "promotable|<master"),
    ("clone", "<clone"),
    ("group", "<group"),
    ("ticket", "rsc_ticket"),
    ("resource_set", "resource_set"),
    ("template", "<template"),
    ("utilization", "<utilization"),
    ("migration", "allow-migrate|migrate_to|migrate_from"),
    ("rule", "<rule"),
)


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    case: Case
    passed: bool
    category: str
    detail: str = ""


def load_cases(corpus: Path) -> list[Case]:
    tsv = corpus / "cases.tsv"
    try:
        text = tsv.read_text()
    except OSError as exc:
        raise UserError(f"{tsv}: cannot read the case list: {exc.strerror}") from None
    cases = []
    for line in text.splitlines()[1:]:
        if not line.strip():
            continue
        parts = line.split("\t")
        parts += [""] * (3 - len(parts))
        cases.append(Case(parts[0], parts[1], tuple(shlex.split(parts[2]))))
    return cases


def category(xml_text: str) -> str:
    for name, pattern in CATEGORIES:
        if re.search(pattern, xml_text):
            return name
    return "primitive"


def expected_summary(text: str) -> list[str]:
    return _section(text.splitlines(), "Transition Summary:")


def _section(lines: Iterable[str], title: str) -> list[str]:
    out, inside = [], False
    for line in lines:
        if line.strip() == title:
            inside = True
            continue
        if inside and line and not line.startswith(" "):
            break
        if inside and line.strip():
            out.append(line)
    return out


def normalize(lines: Iterable[str]) -> list[str]:
    return ["".join(ln.split()) for ln in lines if ln.strip()]


def case_time(args: tuple[str, ...]) -> dt.datetime | None:
    for i, a in enumerate(args):
        if a in ("-t", "--set-datetime") and i + 1 < len(args):
            return parse_time(args[i + 1])
    return None


def parse_time(text: str) -> dt.datetime:
    t = text.strip().replace("Z", "+00:00").replace(" ", "T")
    try:
        d = dt.datetime.fromisoformat(t)
    except ValueError:
        d = None
        for form in ("%Y-%jT%H:%M:%S", "%Y-%jT%H:%M", "%Y-%j"):  # ISO 8601 ordinal dates
            try:
                d = dt.datetime.strptime(t, form)
                break
            except ValueError:
                continue
        if d is None:
            raise UserError(f"--set-time: '{text}' is not an ISO 8601 date") from None
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


def effective_time(cib) -> dt.datetime | None:
    """What crm_simulate takes as "now": the CIB's execution-date, else the wall clock.

    The scheduler itself never reads a clock; callers pass this in.
    """
    if cib.attribute("execution-date"):
        return None  # the scheduler reads it from the CIB
    return dt.datetime.now(dt.UTC)


def run_case(corpus: Path, case: Case) -> Outcome:
    xml_path = corpus / "xml" / f"{case.name}.xml"
    cat = category(xml_path.read_text(errors="replace"))
    want = normalize(expected_summary((corpus / "summary" / f"{case.name}.summary").read_text()))
    try:
        cib = parse_cib_file(xml_path)
        transition = schedule(cib, case_time(case.args) or effective_time(cib))
    except Unsupported as exc:
        return Outcome(case, False, cat, f"unsupported: {exc}")
    except UserError as exc:
        return Outcome(case, False, cat, f"rejected: {exc}")
    got = normalize(format_summary(transition.summary))
    if got == want:
        return Outcome(case, True, cat)
    return Outcome(case, False, cat, "summary differs")


def run(corpus: Path, names: set[str] | None = None) -> list[Outcome]:
    """Every case (or those named), in corpus order. Crashes are reported, not raised."""
    outcomes = []
    for case in load_cases(corpus):
        if names is not None and case.name not in names:
            continue
        try:
            outcomes.append(run_case(corpus, case))
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the run
            outcomes.append(Outcome(case, False, "error", f"{type(exc).__name__}: {exc}"))
    return outcomes


def by_category(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    table: dict[str, list[int]] = {}
    for o in outcomes:
        row = table.setdefault(o.category, [0, 0])
        row[0] += o.passed
        row[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(table.items())}
