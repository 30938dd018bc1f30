"""Plain-text reports of the cost views for the command line (one job: format rows)."""

from __future__ import annotations

from vizcnn.words import human
from vizcnn.views.conventions import REASON_TEXT, Reconciliation


def conventions_text(rec: Reconciliation) -> str:
    """Each tool's figure and the reasons it differs from vizcnn's MACs; then which convention
    reproduces each published figure."""
    shape = "×".join(map(str, rec.input_shape))
    lines = [f"{rec.model} at {shape}: vizcnn MACs {rec.macs:,} ({human(rec.macs)}) = "
             f"multiply-accumulates of conv + linear + matmul", ""]
    for t in rec.tools:
        gap = t.value - rec.macs
        lines.append(f"{t.tool.value:<16} {t.value:>16,} {t.metric:<5} ({human(t.value)})  "
                     f"params {t.params:,}  vs vizcnn MACs {gap:+,} "
                     f"({100 * gap / rec.macs if rec.macs else 0:+.2f} %)")
        for d in t.differences:
            lines.append(f"{'':<18}{d.amount:>+16,}  {REASON_TEXT[d.reason]} "
                         f"[{d.kind}, {d.nodes} node{'s' if d.nodes != 1 else ''}]")
    if rec.figures:
        lines += ["", "published figures (MACs; FLOPs tools halved):"]
        for f in rec.figures:
            who = ", ".join(f.matches) if f.matches else (
                f"none (nearest {f.nearest} {human(f.nearest_value)}, "
                f"{100 * f.relative_gap:+.1f} %)")
            lines.append(f"  {human(f.figure):>7}  {f.source}\n"
                         f"           convention: {f.convention}\n"
                         f"           reproduced by: {who}")
    return "\n".join(lines)


def rows_text(rows: list[dict]) -> str:
    """Rows as an aligned plain-text table (numbers right-aligned, with thousands commas)."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])

    def cell(value: object) -> str:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value)

    table = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float)) for r in rows) for c in columns]
    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w)
                         for v, w, n in zip(values, widths, numeric)).rstrip()
    return "\n".join([line(columns)] + [line(row) for row in table])
