"""Plain-text reports of the cost views for the command line (one job: format rows)."""

from __future__ import annotations

from vizcnn.units import human
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
