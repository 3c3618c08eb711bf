"""The one table each benchmark prints: figure, baseline, ratio, target and result.

Rendered as an aligned Markdown table, so the same text reads well in a terminal and pastes
into the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("Measure", "Figure", "Baseline (same run)", "Ratio", "Target", "Result")
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Table:
    title: str
    setup: str  # one line: backend, workers, clients, sizes
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        measure: str,
        figure: str,
        baseline: str = "",
        ratio: str = "",
        target: str = "",
        passed: bool | None = None,
    ) -> None:
        result = "" if passed is None else ("pass" if passed else "MISS")
        self.rows.append((measure, figure, baseline, ratio, target, result))

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def missed(self) -> bool:
        return any(row[5] == "MISS" for row in self.rows)

    def render(self) -> str:
        columns = [c for i, c in enumerate(COLUMNS) if any(r[i] for r in self.rows) or i < 2]
        keep = [COLUMNS.index(c) for c in columns]
        cells = [[row[i] for i in keep] for row in self.rows]
        widths = [max(len(c), *(len(r[n]) for r in cells)) for n, c in enumerate(columns)]

        def line(values: list[str]) -> str:
            padded = (v.ljust(w) for v, w in zip(values, widths, strict=True))
            return "| " + " | ".join(padded) + " |"

        out = [f"### {self.title}", "", self.setup, "", line(list(columns))]
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        out.extend(line(row) for row in cells)
        if self.notes:
            out.append("")
            out.extend(f"- {text}" for text in self.notes)
        return "\n".join(out) + "\n"

    def print(self, save: bool = True) -> None:
        text = self.render()
        print(text, flush=True)
        if save:
            RESULTS_DIR.mkdir(exist_ok=True)
            with (RESULTS_DIR / "latest.md").open("a", encoding="utf-8") as handle:
                handle.write(text + "\n")
