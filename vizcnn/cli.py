"""The ``vizcnn`` command line: trace, summarise, draw and export a model.

MODEL is a zoo name (``vizcnn list``) or the user's own factory: ``path/to/file.py:factory`` or
``package.module:factory``. Errors print one clear line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Sequence

from vizcnn.errors import VizcnnError
from vizcnn.units import human


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


def _totals(t) -> str:
    lines = [
        f"model            {t.model}",
        f"input            {', '.join('×'.join(map(str, s)) for s in t.input_shapes)}"
        f"   ({'train' if t.training else 'eval'} mode, traced on {t.device})",
        f"params           {t.params:,} ({human(t.params)}), trainable {t.trainable_params:,}",
        f"buffers          {t.buffers:,}",
        f"MACs             {t.macs:,} ({human(t.macs)})  multiply-accumulates of conv/linear/matmul",
        f"FLOPs            {t.flops:,} ({human(t.flops)})  2×MACs + elementwise work",
    ]
    if t.uncounted:
        lines.append("uncounted ops    " + ", ".join(f"{k} ×{v}" for k, v in t.uncounted.items()))
    if t.fallback_reason:
        lines.append(f"note             ran on the CPU: {t.fallback_reason}")
    from vizcnn.model_files import file_notes

    lines += [f"note             {note}" for note in file_notes(t)]
    return "\n".join(lines)


def _text_table(frame) -> str:
    frame = frame.drop(columns=["kind", "depth", "padding", "groups", "effective_stride"])
    for column in ("params", "macs", "flops"):
        frame[column] = frame[column].map(lambda v: human(v) if v else "")
    frame["activation_bytes"] = frame["activation_bytes"].map(lambda v: f"{v / 1e6:.2f} MB")
    frame = frame.rename(columns={"activation_bytes": "activations"})
    frame["receptive_field"] = frame["receptive_field"].map(
        lambda v: "" if v != v or v is None else str(int(v)))
    return frame.to_string(index=False)


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
    return _text_table(t.table(depth=args.depth)) + "\n\n" + _totals(t)


def _graph(args: argparse.Namespace) -> str:
    from vizcnn.render.dot import Direction, GraphOptions, to_dot
    from vizcnn.render.graphviz_run import render_to_file

    t = _trace(args)
    options = GraphOptions(depth=args.depth, expand=tuple(args.expand),
                           fold_repeats=not args.no_fold, direction=Direction(args.direction),
                           lang=args.lang)
    path = Path(args.output)
    render_to_file(to_dot(t, options), path, dpi=args.dpi)
    return f"wrote {path}"


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vizcnn", description=__doc__.splitlines()[0])
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
    p.add_argument("-o", "--output", required=True, help="file.svg|png|pdf|dot")
    p.add_argument("--expand", nargs="*", default=[], metavar="PATH",
                   help="module paths to open beyond --depth")
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
