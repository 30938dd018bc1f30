"""Export every view of a trace into one folder: the graph (static and as the interactive
offline viewer), the charts and the tables."""

from __future__ import annotations

from pathlib import Path

from vizcnn.graph import Graph
from vizcnn.render import charts, tables
from vizcnn.render.dot import GraphOptions, to_dot
from vizcnn.render.graphviz_run import ImageTooLarge, OutputFormat, render, render_poster
from vizcnn.render.interactive import viewer_html

GRAPH_FORMATS = (OutputFormat.SVG, OutputFormat.PNG, OutputFormat.PDF, OutputFormat.DOT)


def export_all(trace: Graph, out_dir: Path, depth: int | None = None,
               graph_options: GraphOptions | None = None, lang: str = "en") -> list[Path]:
    """Write graph (SVG/PNG/PDF/DOT and ``graph.html``, the interactive viewer in one offline
    file), charts (standalone HTML) and tables (CSV/JSON/Markdown, and the paper-style Table 1
    in Markdown and LaTeX). A graph too tall for one PNG is written as a poster of full
    resolution tiles, ``graph-poster-01.png``, … instead. Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(name: str, content: str | bytes) -> None:
        path = out_dir / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)

    options = graph_options or GraphOptions(depth=depth or 2, lang=lang)
    dot_source = to_dot(trace, options)
    for fmt in GRAPH_FORMATS:
        try:
            write(f"graph.{fmt.value}", render(dot_source, fmt))
        except ImageTooLarge:
            for i, tile in enumerate(render_poster(dot_source), start=1):
                write(f"graph-poster-{i:02d}.png", tile)
    write("graph.html", viewer_html(trace, options))
    figures = {
        "hierarchy": charts.hierarchy_figure(trace, lang=lang),
        "layers": charts.layer_bars(trace, lang=lang),
        "cumulative": charts.cumulative_figure(trace, lang=lang),
        "stages": charts.stage_figure(trace, lang=lang),
        "op_kinds": charts.kind_figure(trace, lang=lang),
    }
    for name, figure in figures.items():
        write(f"chart_{name}.html", charts.figure_html(figure))
    write("layers.csv", tables.to_csv(trace, depth))
    write("layers.json", tables.to_json_rows(trace, depth))
    write("layers.md", tables.to_markdown(trace, depth))
    write("table1.md", tables.paper_table_markdown(trace))
    write("table1.tex", tables.paper_table_latex(trace))
    write("trace.json", trace.to_json(indent=1))
    return written
