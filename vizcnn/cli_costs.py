"""The ``vizcnn`` subcommands of the views beyond MACs (issue 13): ``conventions``,
``traffic``, ``training-memory``, ``profile`` and ``profile-zoo``. Registered by
:func:`vizcnn.cli.build_parser`; each handler returns the text to print."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from vizcnn.errors import VizcnnError


def _trace_of(args: argparse.Namespace) -> Any:
    from vizcnn.cli import _trace

    return _trace(args)


def _parse_input_size(text: str) -> tuple[int, ...]:
    from vizcnn.cli import parse_input_size

    return parse_input_size(text)


def _conventions(args: argparse.Namespace) -> str:
    """What each FLOP counter would report, reason by reason (issue 13)."""
    import vizcnn
    from vizcnn.render.cost_tables import write_rows
    from vizcnn.render.cost_text import conventions_text
    from vizcnn.views.conventions import difference_rows, figure_rows, reconciliation_rows

    rec = vizcnn.conventions(_trace_of(args))
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

    t = _trace_of(args)
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

    t = _trace_of(args)
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

    result = prof.profile(_trace_of(args), args.repeats, args.time_limit, args.threads)
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
    size = _parse_input_size(args.input or "1x3x224x224")
    rows = prof.zoo_rows(prof.zoo_latency(names, size, args.repeats, args.time_limit,
                                          args.threads))
    title = (f"MACs against measured CPU latency at {'×'.join(map(str, size))} (median, "
             f"random weights, threads: {args.threads})")
    return title + "\n" + rows_text(rows) if args.format == "table" else write_rows(
        rows, args.format, title)


def add_cost_commands(sub: Any, model_command: Callable[[str, str], argparse.ArgumentParser]
                      ) -> None:
    """Add the subcommands to ``sub``; ``model_command`` makes a parser taking MODEL."""
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
