"""The ``vizcnn`` command line: trace, summarise, draw and export a model.

MODEL is a zoo name (``vizcnn list``) or the user's own factory: ``path/to/file.py:factory`` or
``package.module:factory``. Errors print one clear line and exit with status 2.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import textwrap
from enum import Enum
from pathlib import Path
from typing import Any, Sequence

from vizcnn.cli_costs import add_cost_commands
from vizcnn.errors import VizcnnError
from vizcnn.words import fmt_shape, human


class TableFormat(str, Enum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MD = "md"


def parse_input_size(text: str) -> tuple[int, ...]:
    """``1x3x224x224`` (or ``1,3,224,224``) → ``(1, 3, 224, 224)``."""
    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        raise VizcnnError(f"--input {text!r} is not a shape like 1x3x224x224") from None
    if not size or min(size) <= 0:
        raise VizcnnError(f"--input {text!r}: every dimension must be a positive integer")
    return size


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``width_mult=0.5 se=true`` → ``{"width_mult": 0.5, "se": True}``."""
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise VizcnnError(f"--option {pair!r} is not NAME=VALUE")
        options[name] = _literal(raw)
    return options


def _literal(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for convert in (int, float):
        try:
            return convert(raw)
        except ValueError:
            pass
    return raw


def _model_and_size(args: argparse.Namespace) -> tuple[Any, tuple[int, ...]]:
    """Resolve MODEL to a zoo name or a user nn.Module, and the input size."""
    from vizcnn.zoo import list_models, model_card

    options = parse_options(args.option)
    if ":" in args.model:
        from vizcnn.loader import load_factory

        if options:
            raise VizcnnError("--option applies to zoo models only")
        model: Any = load_factory(args.model)
        size = parse_input_size(args.input or "1x3x224x224")
    elif args.model in list_models():
        card = model_card(args.model)
        model = args.model
        side = card.input_size
        size = parse_input_size(args.input or f"1x{card.in_channels}x{side}x{side}")
    else:
        raise VizcnnError(
            f"unknown model {args.model!r}: give a zoo name (see `vizcnn list`) or "
            "path/to/file.py:factory or package.module:factory"
        )
    return (model, options), size


def _file_trace(args: argparse.Namespace):
    """MODEL as an ``.onnx`` file: read (in a bounded child process), never run."""
    from vizcnn.model_files import load_onnx

    if args.option or args.train or args.num_classes != 1000:
        raise VizcnnError("--option, --train and --num-classes apply to zoo models only")
    return load_onnx(args.model, parse_input_size(args.input) if args.input else None)


def _match(args: argparse.Namespace) -> str:
    """Which zoo model a checkpoint fits; with --output, draw it."""
    import vizcnn
    from vizcnn.checkpoint import match_checkpoint
    from vizcnn.zoo import model_card

    match = match_checkpoint(args.checkpoint)
    lines = [f"{Path(args.checkpoint).name}: {match.explain()}"]
    if match.fit is not None and args.output:
        card = model_card(match.fit.name)
        size = parse_input_size(args.input or f"1x{card.in_channels}x{card.input_size}x"
                                f"{card.input_size}")
        from vizcnn.render.dot import Direction, GraphOptions, to_dot
        from vizcnn.render.graphviz_run import render_to_file

        t = vizcnn.trace(match.fit, size)
        render_to_file(to_dot(t, GraphOptions(direction=Direction(args.direction))),
                       Path(args.output))
        lines.append(f"wrote {args.output}")
    elif match.fit is None and args.output:
        raise VizcnnError(lines[0])
    return "\n".join(lines)


def _trace(args: argparse.Namespace):
    import vizcnn

    if args.model.lower().endswith(".onnx"):
        return _file_trace(args)

    (model, options), size = _model_and_size(args)
    kwargs: dict[str, Any] = dict(options)
    if isinstance(model, str):
        kwargs["num_classes"] = args.num_classes
    return vizcnn.trace(model, size, training=True if args.train else None, **kwargs)


def _totals(t, width: int) -> str:
    """The trace's totals, one per line, wrapped to ``width`` under their label."""
    lines = [
        ("model", t.model),
        ("input", f"{', '.join(fmt_shape(s) for s in t.input_shapes)} "
                  f"({'train' if t.training else 'eval'} mode, traced on {t.device})"),
        ("params", f"{t.params:,} ({human(t.params)}), trainable {t.trainable_params:,}"),
        ("buffers", f"{t.buffers:,}"),
        ("MACs", f"{t.macs:,} ({human(t.macs)}) multiply-accumulates of conv/linear/matmul"),
        ("FLOPs", f"{t.flops:,} ({human(t.flops)}) 2×MACs + elementwise work"),
    ]
    if t.uncounted:
        lines.append(("uncounted ops", ", ".join(f"{k} ×{v}" for k, v in t.uncounted.items())))
    if t.fallback_reason:
        lines.append(("note", f"ran on the CPU: {t.fallback_reason}"))
    from vizcnn.model_files import file_notes

    lines += [("note", note) for note in file_notes(t)]
    indent = " " * 17
    return "\n".join(textwrap.fill(value, max(width, 40), initial_indent=f"{name:<17s}",
                                   subsequent_indent=indent, break_on_hyphens=False)
                     for name, value in lines)


# The text table's columns: (row field, heading, right-aligned), and the order in which
# columns are left out when the terminal is too narrow for all of them.
_TEXT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("path", "layer", False), ("type", "type", False), ("input_shape", "input", False),
    ("output_shape", "output", False), ("kernel", "kernel", False),
    ("stride", "stride", False), ("params", "params", True), ("macs", "MACs", True),
    ("flops", "FLOPs", True), ("activation_bytes", "activations", True),
    ("receptive_field", "RF", True),
)
_DROP_ORDER = ("receptive_field", "flops", "activation_bytes", "stride", "kernel",
               "input_shape", "type")
_GAP = "  "
_MIN_PATH = 12


def _cell(column: str, value: Any) -> str:
    if column in ("params", "macs", "flops"):
        return human(value) if value else ""
    if column == "activation_bytes":
        return human(value, "B")
    if column == "receptive_field":
        return "" if value is None or value != value else str(int(value))
    return str(value)


def _text_table(rows: list[dict[str, Any]], width: int) -> str:
    """The layer table fitted to ``width`` characters: the least needed columns are left out
    first (and named below the table), then long layer paths are shortened from the left."""
    columns = list(_TEXT_COLUMNS)
    cells = {c: [h] + [_cell(c, r[c]) for r in rows] for c, h, _ in columns}
    widths = {c: max(len(v) for v in cells[c]) for c, _, _ in columns}

    def total() -> int:
        return sum(widths[c] for c, _, _ in columns) + len(_GAP) * (len(columns) - 1)

    dropped = []
    for column in _DROP_ORDER:
        if total() <= width:
            break
        columns = [c for c in columns if c[0] != column]
        dropped.append(next(h for c, h, _ in _TEXT_COLUMNS if c == column))
    if total() > width:
        widths["path"] = max(_MIN_PATH, widths["path"] - (total() - width))
    lines = []
    for i in range(len(rows) + 1):
        parts = []
        for c, _, right in columns:
            value = cells[c][i]
            if len(value) > widths[c]:
                value = "…" + value[len(value) - widths[c] + 1:]
            parts.append(value.rjust(widths[c]) if right else value.ljust(widths[c]))
        lines.append(_GAP.join(parts).rstrip())
    if dropped:
        lines.append(textwrap.fill(f"(left out to fit {width} columns: {', '.join(dropped)}; "
                                   "--format csv has every column)", max(width, 40)))
    return "\n".join(lines)


def _width() -> int:
    """The terminal's width (``COLUMNS`` when set, 100 when output is not a terminal)."""
    return shutil.get_terminal_size((100, 24)).columns


def _summary(args: argparse.Namespace, whole_trace: bool) -> str:
    from vizcnn.render.tables import to_csv, to_json_rows, to_markdown

    t = _trace(args)
    fmt = TableFormat(args.format or (TableFormat.JSON if whole_trace else TableFormat.TABLE))
    if whole_trace and fmt == TableFormat.JSON:
        return t.to_json(indent=1)
    if fmt == TableFormat.CSV:
        return to_csv(t, args.depth)
    if fmt == TableFormat.JSON:
        return to_json_rows(t, args.depth)
    if fmt == TableFormat.MD:
        return to_markdown(t, args.depth)
    from vizcnn.views.table import layer_rows

    width = _width()
    return _text_table(layer_rows(t, args.depth), width) + "\n\n" + _totals(t, width)


def _graph(args: argparse.Namespace) -> str:
    """Draw the graph to a file; ``.html`` is the interactive viewer in one offline file, and
    a PNG past cairo's size limit becomes a poster of full-resolution tiles."""
    from vizcnn.render.dot import Direction, GraphOptions, to_dot
    from vizcnn.render.graphviz_run import ImageTooLarge, render_poster, render_to_file
    from vizcnn.render.interactive import viewer_html

    t = _trace(args)
    _check_paths(t, [*args.expand, *args.expand_all])
    options = GraphOptions(depth=args.depth, expand=tuple(args.expand),
                           expand_all=tuple(args.expand_all),
                           fold_repeats=not args.no_fold, direction=Direction(args.direction),
                           lang=args.lang)
    path = Path(args.output)
    if path.suffix.lower() in (".html", ".htm"):
        try:
            path.write_text(viewer_html(t, options), encoding="utf-8")
        except OSError as error:
            raise VizcnnError(f"cannot write {str(path)!r}: {error}") from None
        return f"wrote {path} (the interactive viewer; open it in a browser, no network needed)"
    dot = to_dot(t, options)
    try:
        render_to_file(dot, path, dpi=args.dpi)
    except ImageTooLarge as error:
        tiles = render_poster(dot, dpi=args.dpi)
        written = []
        for i, tile in enumerate(tiles, start=1):
            tile_path = path.with_name(f"{path.stem}-{i:02d}{path.suffix}")
            tile_path.write_bytes(tile)
            written.append(str(tile_path))
        return (f"{error}\nwrote a poster of {len(tiles)} tiles instead: "
                + ", ".join(written))
    return f"wrote {path}"


def _check_paths(t, paths: Sequence[str]) -> None:
    """Every ``--expand`` path must be a module of the trace: name the unknown one and the
    closest module paths, rather than drawing the graph without it."""
    for path in paths:
        if path not in t.modules:
            close = difflib.get_close_matches(path, list(t.modules), n=3, cutoff=0.5)
            hint = (f"; did you mean {', '.join(close)}?" if close
                    else "; see `vizcnn summary MODEL --depth N` for module paths")
            raise VizcnnError(f"--expand {path!r} is not a module of {t.model}{hint}")


def _export(args: argparse.Namespace) -> str:
    from vizcnn.render.export import export_all

    t = _trace(args)
    written = export_all(t, Path(args.out), depth=args.depth, lang=args.lang)
    return "\n".join(f"wrote {p}" for p in written)


def _list(args: argparse.Namespace) -> str:
    import vizcnn
    from vizcnn.zoo import list_models, model_card

    lines = []
    if args.costs:
        lines += ["| model | family | year | input | params | MACs | published (source) |",
                  "|---|---|---|---|---|---|---|"]
    for name in list_models():
        card = model_card(name)
        if not args.costs:
            lines.append(f"{name:22s} {card.family:11s} {card.year}  input "
                         f"{card.input_size}  {card.paper}")
            continue
        side = card.input_size
        t = vizcnn.trace(name, (1, card.in_channels, side, side))
        published = next((p for p in card.published if p.macs), None)
        source = (f"{human(published.macs)} MACs ({published.source.split(' (')[0]})"
                  if published else "")
        lines.append(f"| `{name}` | {card.family} | {card.year} | {side} | {t.params:,} | "
                     f"{human(t.macs)} | {source} |")
    return "\n".join(lines)


def _min_size(args: argparse.Namespace) -> str:
    import vizcnn

    (model, options), size = _model_and_size(args)
    channels = size[1] if len(size) > 1 else None
    return str(vizcnn.min_input_size(model, channels=channels, **options))


def version() -> str:
    """The installed package's version, or the source checkout's ``pyproject.toml``."""
    from importlib import metadata

    try:
        return metadata.version("vizcnn")
    except metadata.PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        if pyproject.is_file():
            return str(tomllib.loads(pyproject.read_text())["project"]["version"])
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vizcnn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"vizcnn {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def model_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("model", help="zoo name, path/to/file.py:factory, module:factory or "
                       "model.onnx (read, never run)")
        p.add_argument("--input", help="input shape, e.g. 1x3x224x224 (default: the paper's)")
        p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                       help="a zoo builder option, e.g. width_mult=0.5 (repeatable)")
        p.add_argument("--num-classes", type=int, default=1000)
        p.add_argument("--train", action="store_true", help="trace in train mode")
        p.add_argument("--depth", type=int, default=None,
                       help="collapse to module depth N (default: every layer)")
        return p

    for name, whole in (("trace", True), ("summary", False)):
        p = model_command(name, "the full trace (JSON)" if whole else "the layer table")
        p.add_argument("--format", choices=[f.value for f in TableFormat])
        p.set_defaults(run=lambda a, whole=whole: _summary(a, whole))
    p = model_command("graph", "draw the layer graph with Graphviz")
    p.add_argument("-o", "--output", required=True,
                   help="file.svg|png|pdf|dot, or file.html: the interactive viewer")
    p.add_argument("--expand", nargs="*", default=[], metavar="PATH",
                   help="module paths to open one level beyond --depth")
    p.add_argument("--expand-all", nargs="*", default=[], metavar="PATH",
                   help="module paths to open with everything inside them")
    p.add_argument("--no-fold", action="store_true", help="do not fold repeated blocks")
    p.add_argument("--direction", choices=["TB", "LR"], default="TB")
    p.add_argument("--dpi", type=int, default=96)
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the labels")
    p.set_defaults(run=_graph)
    p = model_command("export", "write every view (graph, charts, tables) to a folder")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the labels")
    p.set_defaults(run=_export)
    p = model_command("min-size", "the smallest square input the model accepts")
    p.set_defaults(run=_min_size)
    add_cost_commands(sub, model_command)   # conventions, traffic, training-memory, profile
    p = sub.add_parser("match", help="which zoo model a checkpoint (.pth, .safetensors) fits")
    p.add_argument("checkpoint", help="a state_dict .pth/.pt or a .safetensors file")
    p.add_argument("-o", "--output", help="draw the fitting model: file.svg|png|pdf|dot")
    p.add_argument("--input", help="input shape for the drawing (default: the paper's)")
    p.add_argument("--direction", choices=["TB", "LR"], default="TB")
    p.set_defaults(run=_match)
    p = sub.add_parser("list", help="the models of the zoo")
    p.add_argument("--costs", action="store_true",
                   help="trace each model at its paper's input: a Markdown table of costs")
    p.set_defaults(run=_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        output = args.run(args)
    except VizcnnError as error:
        print(f"vizcnn: error: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"vizcnn: error: {error}", file=sys.stderr)
        return 2
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
