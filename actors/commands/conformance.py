"""`ringleader conformance DIR`: run Pacemaker's scheduler regression corpus, report by feature.

The corpus is read in place (it is Pacemaker's test data, not ours to copy). Each case's
Transition Summary is compared with Pacemaker's, white space ignored; the table says how many
cases of each feature category match, so progress can be tracked feature by feature.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from actors.crm.scheduler import conformance
from actors.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "conformance", help="compare the scheduler with Pacemaker's regression corpus"
    )
    parser.add_argument("corpus", help="folder with cases.tsv, xml/ and summary/")
    parser.add_argument("--case", action="append", default=[], help="run only this case (repeat)")
    parser.add_argument("--list", choices=("pass", "fail"), help="print the names that pass/fail")
    parser.add_argument("--verbose-fail", action="store_true", help="print why each case failed")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus)
    if not (corpus / "cases.tsv").is_file():
        raise UserError(f"{corpus}: not a scheduler corpus (no cases.tsv)")
    started = time.perf_counter()
    outcomes = conformance.run(corpus, set(args.case) if args.case else None)
    elapsed = time.perf_counter() - started
    table = conformance.by_category(outcomes)
    passed = sum(o.passed for o in outcomes)
    if args.json:
        print(
            json.dumps(
                {
                    "passed": passed,
                    "total": len(outcomes),
                    "seconds": round(elapsed, 3),
                    "categories": {k: {"passed": p, "total": t} for k, (p, t) in table.items()},
                    "passing": [o.case.name for o in outcomes if o.passed],
                },
                indent=2,
            )
        )
        return 0
    if args.list:
        for o in outcomes:
            if o.passed == (args.list == "pass"):
                print(o.case.name)
        return 0
    if args.verbose_fail:
        for o in outcomes:
            if not o.passed:
                print(f"FAIL {o.case.name} [{o.category}]: {o.detail}")
    print(f"{'category':<14} {'passed':>7} {'cases':>6}")
    for name, (p, t) in table.items():
        print(f"{name:<14} {p:>7} {t:>6}")
    print(f"{'total':<14} {passed:>7} {len(outcomes):>6}   ({elapsed:.1f} s)")
    return 0
