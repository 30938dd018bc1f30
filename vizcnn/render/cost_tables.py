"""Table writers for the cost views beyond MACs (conventions, memory traffic, training memory,
latency): a list of row dicts as CSV, JSON or Markdown, with a title line that states the
convention and the units. Numbers stay raw integers/floats so exports re-import exactly."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from typing import Any, Sequence


class RowFormat(str, Enum):
    CSV = "csv"
    JSON = "json"
    MD = "md"


def rows_csv(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def rows_json(rows: Sequence[dict[str, Any]], meta: dict[str, Any] | None = None) -> str:
    """``{"meta": {...}, "rows": [...]}``: the meta says what is counted and in which units."""
    return json.dumps({"meta": meta or {}, "rows": list(rows)}, indent=1, ensure_ascii=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def rows_markdown(rows: Sequence[dict[str, Any]], title: str = "") -> str:
    if not rows:
        return f"{title}\n" if title else ""
    columns = list(rows[0])
    numeric = {c for c in columns if all(isinstance(r.get(c), (int, float)) for r in rows)}
    lines = [f"{title}\n"] if title else []
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("| " + " | ".join("---:" if c in numeric else "---" for c in columns) + " |")
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_rows(rows: Sequence[dict[str, Any]], fmt: RowFormat | str, title: str = "",
               meta: dict[str, Any] | None = None) -> str:
    """``rows`` in ``fmt``; ``title``/``meta`` label the convention and units."""
    fmt = RowFormat(fmt)
    if fmt is RowFormat.CSV:
        return rows_csv(rows)
    if fmt is RowFormat.JSON:
        return rows_json(rows, {"title": title, **(meta or {})})
    return rows_markdown(rows, title)
