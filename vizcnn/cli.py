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


def _trace(args: argparse.Namespace):
    import vizcnn

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


def _conventions(args: argparse.Namespace) -> str:
    """What each FLOP counter would report, reason by reason (issue 13)."""
    import vizcnn
    from vizcnn.render.cost_tables import write_rows
    from vizcnn.render.cost_text import conventions_text
    from vizcnn.views.conventions import difference_rows, figure_rows, reconciliation_rows

    rec = vizcnn.conventions(_trace(args))
    if args.format == "table":
        return conventions_text(rec)
    rows = reconciliation_rows(rec) if args.format != "json" else {
        "tools": reconciliation_rows(rec), "differences": difference_rows(rec),
        "published": figure_rows(rec)}
    if args.format == "json":
        import json

        return json.dumps({"model": rec.model, "input": list(rec.input_shape),
                           "vizcnn_macs": rec.macs, **rows}, indent=1, ensure_ascii=False)
    return write_rows(rows, args.format, f"{rec.model}: counters vs vizcnn MACs")


def _traffic(args: argparse.Namespace) -> str:
    """Bytes moved and FLOPs per byte per layer, block or stage, on a device's roofline."""
    from vizcnn.render.cost_tables import write_rows
    from vizcnn.render.cost_text import rows_text
    from vizcnn.views import traffic
    from vizcnn.views.stages import stage_of

    t = _trace(args)
    if args.device == "machine":
        from vizcnn.experiments.machine import measure_machine

        device = measure_machine()
    elif args.device in traffic.DEVICE_PRESETS:
        device = traffic.DEVICE_PRESETS[args.device]
    else:
        raise VizcnnError(f"unknown device {args.device!r}; presets: "
                          f"{', '.join(traffic.DEVICE_PRESETS)} or 'machine'")
    layers = traffic.layer_traffic(t, args.dtype)
    if args.by == "layer":
        rows = traffic.traffic_rows(layers, device)
    elif args.by == "stage":
        rows = traffic.totals(layers, stage_of(t))
    else:
        rows = traffic.block_totals(t, layers, args.block_depth)
    dtype = args.dtype or (t.spec.dtype if t.spec else "float32")
    title = (f"{t.model}: memory traffic of unfused kernels at {dtype} (bytes), FLOPs per byte; "
             f"{device.name}: {device.peak_flops / 1e12:.3g} TFLOP/s, "
             f"{device.bandwidth / 1e9:.3g} GB/s, ridge {device.ridge:.3g} FLOP/B")
    if args.format == "table":
        share = traffic.memory_bound_share(traffic.roofline(layers, device))
        return (title + "\n" + rows_text(rows) + f"\n\nmemory-bound layers: "
                f"{100 * share['flops']:.1f} % of FLOPs, {100 * share['time']:.1f} % of the "
                f"best-case time")
    return write_rows(rows, args.format, title, {"device": device.name, "dtype": dtype})


def _training_memory(args: argparse.Namespace) -> str:
    """Params, gradients, optimizer state and saved activations of one training step."""
    from vizcnn.experiments import training_memory as tm
    from vizcnn.render.cost_tables import write_rows
    from vizcnn.render.cost_text import rows_text

    t = _trace(args)
    memory = tm.training_memory(t, args.batch, args.precision, args.optimizer)
    title = (f"{t.model}: one training step, batch {memory.batch}, {memory.precision.value}, "
             f"{memory.optimizer.value} (bytes; activations saved for backward, measured on "
             f"meta)")
    rows = tm.summary_rows(memory) if not args.layers else tm.memory_rows(memory)
    text = (title + "\n" + rows_text(rows)) if args.format == "table" else write_rows(
        rows, args.format, title, {"batch": memory.batch, "precision": memory.precision.value,
                                   "optimizer": memory.optimizer.value})
    if args.budget is not None:
        best = tm.max_batch(t, int(args.budget * 2 ** 30), args.precision, args.optimizer)
        text += f"\n\nlargest batch within {args.budget:g} GiB: {best}"
    return text


def _profile(args: argparse.Namespace) -> str:
    """One bounded real CPU run with random weights: per-layer times next to MACs."""
    from vizcnn.experiments import profile as prof
    from vizcnn.render.cost_tables import write_rows
    from vizcnn.render.cost_text import rows_text

    result = prof.profile(_trace(args), args.repeats, args.time_limit, args.threads)
    title = (f"{result.model} at {'×'.join(map(str, result.input_shape))}: measured CPU time, "
             f"median of {result.runs} run(s){' (cold: the warm-up)' if result.cold else ''}, "
             f"{result.threads} threads, random weights: {result.median_s * 1e3:.4g} ms, "
             f"{result.gmacs_per_s:.3g} GMAC/s")
    rows = prof.profile_rows(result)
    if args.format == "table":
        return title + "\n" + rows_text(rows)
    return write_rows(rows, args.format, title, {"threads": result.threads,
                                                 "runs": result.runs})


def _profile_zoo(args: argparse.Namespace) -> str:
    """MACs against measured latency across zoo models (the ShuffleNet V2 lesson)."""
    from vizcnn.experiments import profile as prof
    from vizcnn.render.cost_tables import write_rows
    from vizcnn.render.cost_text import rows_text
    from vizcnn.zoo import list_models

    names = args.models.split(",") if args.models else list_models()
    unknown = sorted(set(names) - set(list_models()))
    if unknown:
        raise VizcnnError(f"unknown zoo models: {', '.join(unknown)}")
    size = parse_input_size(args.input or "1x3x224x224")
    rows = prof.zoo_rows(prof.zoo_latency(names, size, args.repeats, args.time_limit,
                                          args.threads))
    title = (f"MACs against measured CPU latency at {'×'.join(map(str, size))} (median, "
             f"random weights, threads: {args.threads})")
    return title + "\n" + rows_text(rows) if args.format == "table" else write_rows(
        rows, args.format, title)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vizcnn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def model_command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("model", help="zoo name, path/to/file.py:factory or module:factory")
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
    p = model_command("conventions", "what torchinfo, thop, ptflops, fvcore, FlopCounterMode "
                      "and calflops would report, and why they differ")
    p.add_argument("--format", choices=["table", "json", "csv", "md"], default="table")
    p.set_defaults(run=_conventions)
    p = model_command("traffic", "memory traffic and arithmetic intensity on a roofline")
    p.add_argument("--device", default="NVIDIA T4",
                   help="a preset name (see README) or 'machine' to measure this one")
    p.add_argument("--dtype", default=None, help="element type of the bytes (default: traced)")
    p.add_argument("--by", choices=["layer", "block", "stage"], default="layer")
    p.add_argument("--block-depth", type=int, default=1, help="module depth of a block")
    p.add_argument("--format", choices=["table", "json", "csv", "md"], default="table")
    p.set_defaults(run=_traffic)
    p = model_command("training-memory", "params, gradients, optimizer state and the "
                      "activations saved for backward")
    p.add_argument("--batch", type=int, default=None, help="batch size (default: --input's)")
    p.add_argument("--precision", choices=["fp32", "fp16_mixed", "bf16_mixed"], default="fp32")
    p.add_argument("--optimizer", choices=["sgd", "sgd_momentum", "adam", "adamw"],
                   default="adam")
    p.add_argument("--budget", type=float, default=None, metavar="GiB",
                   help="also print the largest batch that fits in this many GiB")
    p.add_argument("--layers", action="store_true", help="one row per layer instead")
    p.add_argument("--format", choices=["table", "json", "csv", "md"], default="table")
    p.set_defaults(run=_training_memory)
    p = model_command("profile", "measured CPU latency per layer (one bounded real run)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs after a warm-up")
    p.add_argument("--time-limit", type=float, default=5.0, help="seconds for the whole run")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: steady on a shared machine)")
    p.add_argument("--format", choices=["table", "json", "csv", "md"], default="table")
    p.set_defaults(run=_profile)
    p = sub.add_parser("profile-zoo", help="MACs against measured CPU latency across the zoo")
    p.add_argument("--models", help="comma-separated zoo names (default: every model)")
    p.add_argument("--input", help="input shape (default 1x3x224x224)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--time-limit", type=float, default=5.0, help="seconds per model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--format", choices=["table", "json", "csv", "md"], default="table")
    p.set_defaults(run=_profile_zoo)
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
