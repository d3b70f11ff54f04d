"""Figures, medians and ratios shared by every benchmark, printed as a table or as JSON."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Figure:
    """One measured quantity: the median over repetitions, with every sample kept."""

    name: str
    unit: str
    median: float
    samples: tuple[float, ...]
    higher_is_better: bool = False


@dataclass(frozen=True)
class Ratio:
    """ours / reference, with the target it is judged against (None: informative only)."""

    name: str
    ours: str
    reference: str
    value: float
    target: str | None = None
    met: bool | None = None


@dataclass
class BenchReport:
    benchmark: str
    figures: list[Figure] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, name: str) -> Figure:
        for fig in self.figures:
            if fig.name == name:
                return fig
        raise KeyError(name)

    def add(self, name: str, unit: str, samples: list[float], higher_is_better: bool = False):
        fig = Figure(name, unit, statistics.median(samples), tuple(samples), higher_is_better)
        self.figures.append(fig)
        return fig

    def ratio(
        self,
        name: str,
        ours: str,
        reference: str,
        *,
        at_most: float | None = None,
        at_least: float | None = None,
    ) -> Ratio:
        value = self.figure(ours).median / self.figure(reference).median
        target, met = None, None
        if at_most is not None:
            target, met = f"<= {at_most:g}", value <= at_most
        elif at_least is not None:
            target, met = f">= {at_least:g}", value >= at_least
        r = Ratio(name, ours, reference, value, target, met)
        self.ratios.append(r)
        return r

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def to_text(self) -> str:
        lines = [f"benchmark: {self.benchmark}"]
        width = max((len(f.name) for f in self.figures), default=10)
        for f in self.figures:
            spread = (
                f"min {min(f.samples):,.4g} max {max(f.samples):,.4g}" if len(f.samples) > 1 else ""
            )
            lines.append(f"  {f.name:<{width}}  {f.median:>14,.4g} {f.unit:<8} {spread}")
        if self.ratios:
            lines.append("ratios:")
            for r in self.ratios:
                verdict = "" if r.met is None else ("  [met]" if r.met else "  [NOT met]")
                target = f" target {r.target}" if r.target else ""
                lines.append(f"  {r.name}: {r.value:.3f}{target}{verdict}")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)


def repeat(measure: Callable[[], float], times: int) -> list[float]:
    """Run a measurement several times; the caller takes the median."""
    return [measure() for _ in range(times)]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def stopwatch() -> Callable[[], float]:
    start = time.perf_counter()
    return lambda: time.perf_counter() - start
