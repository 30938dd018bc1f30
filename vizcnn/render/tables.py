"""Table exports: the layer table as CSV / JSON / Markdown, and the paper-style "Table 1"
(stage, output size, block × N, MACs) as rows, Markdown or LaTeX.

The layer rows come from :func:`vizcnn.views.table.layer_rows` and the stages from
:func:`vizcnn.views.stages.stages`; this module only formats. Numbers in the layer exports are
raw integers (so they re-import exactly); the paper table uses K/M/G units like a paper does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.words import fmt_shape, human
from vizcnn.views.stages import stages
from vizcnn.views.table import COLUMNS, layer_rows, layer_table


def to_csv(trace: Graph, depth: int | None = None) -> str:
    """The layer table (collapsed to module ``depth`` when given) as CSV text."""
    frame = layer_table(trace, depth)
    for column in ("receptive_field", "effective_stride"):  # ints with gaps, not floats
        frame[column] = frame[column].astype("Int64")
    return frame.to_csv(index=False, lineterminator="\n")


def to_json_rows(trace: Graph, depth: int | None = None) -> str:
    """The layer table as a JSON array of row objects (missing values are ``null``)."""
    return json.dumps(layer_rows(trace, depth), indent=1, ensure_ascii=False)


def _md_cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _markdown(columns: list[str], rows: list[dict[str, Any]], numeric: set[str]) -> str:
    lines = [
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---:" if c in numeric else "---" for c in columns) + " |",
    ]
    lines += ["| " + " | ".join(_md_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_NUMERIC = {"depth", "params", "macs", "flops", "activation_bytes", "receptive_field",
            "effective_stride", "groups"}


def to_markdown(trace: Graph, depth: int | None = None) -> str:
    """The layer table as a GitHub-flavoured Markdown table (MACs = multiply-accumulates)."""
    return _markdown(COLUMNS, layer_rows(trace, depth), _NUMERIC)


def paper_table(trace: Graph) -> list[dict[str, Any]]:
    """One row per stage, the way CNN papers print their architecture table.

    Keys: ``stage``, ``output_size`` ("56×56", or "1000-d" for the head), ``channels``,
    ``blocks`` ("3×3 max pool, stride 2; Bottleneck × 3"), ``params``, ``macs`` (raw ints).
    """
    return [
        {
            "stage": s.name,
            "output_size": s.size_label,
            "channels": s.channels,
            "blocks": "; ".join(b.text for b in s.blocks),
            "params": s.params,
            "macs": s.macs,
        }
        for s in stages(trace)
    ]


_PAPER_HEADER = ["stage", "output size", "channels", "blocks", "params", "MACs"]


def _paper_cells(trace: Graph) -> tuple[list[list[str]], list[str]]:
    rows = [[r["stage"], r["output_size"], "" if r["channels"] is None else str(r["channels"]),
             r["blocks"], human(r["params"]), human(r["macs"])] for r in paper_table(trace)]
    total = ["total", "", "", "", human(trace.params), human(trace.macs)]
    return rows, total


def paper_table_markdown(trace: Graph) -> str:
    """:func:`paper_table` as Markdown, with a total row and the MACs convention stated."""
    rows, total = _paper_cells(trace)
    dict_rows = [dict(zip(_PAPER_HEADER, r)) for r in [*rows, total]]
    dict_rows[-1] = {k: f"**{v}**" if v else "" for k, v in dict_rows[-1].items()}
    shape = fmt_shape(trace.input_shapes[0]) if trace.input_shapes else ""
    note = (f"\n{trace.model} at input {shape}. MACs = multiply-accumulates of conv/linear "
            "layers (FLOPs ≈ 2 × MACs).\n")
    return _markdown(_PAPER_HEADER, dict_rows, {"params", "MACs"}) + note


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "×": r"$\times$", "—": "---", "–": "--",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIAL))


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters (and turn × into ``$\\times$``) in one pass."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)


def paper_table_latex(trace: Graph) -> str:
    """:func:`paper_table` as a LaTeX ``tabular`` (needs ``\\usepackage{booktabs}``)."""
    rows, total = _paper_cells(trace)
    shape = fmt_shape(trace.input_shapes[0]) if trace.input_shapes else ""
    lines = [
        f"% {latex_escape(trace.model)} at input {latex_escape(shape)}; "
        "MACs = multiply-accumulates of conv/linear layers (FLOPs ~ 2 x MACs).",
        r"\begin{tabular}{lllp{0.45\linewidth}rr}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in _PAPER_HEADER) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in rows]
    lines += [r"\midrule", " & ".join(latex_escape(c) for c in total) + r" \\",
              r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


_WRITERS = {".csv": to_csv, ".json": to_json_rows, ".md": to_markdown}


def write_table(trace: Graph, path: str | Path, depth: int | None = None) -> Path:
    """Write the layer table to ``path``, format chosen by suffix: .csv, .json, .md; .tex
    writes the paper-style stage table (a layer table is too wide for a page)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".tex":
        text = paper_table_latex(trace)
    elif suffix in _WRITERS:
        text = _WRITERS[suffix](trace, depth)
    else:
        raise VizcnnError(
            f"cannot write a table to {path.name!r}: use a .csv, .json, .md or .tex file name")
    path.write_text(text, encoding="utf-8")
    return path
