"""The Streamlit "Learn" tab: the seed notes' ideas, worked out on the traced model.

Only arranges widgets; every number comes from :mod:`vizcnn.teach`, which traces what it
shows. Sections follow the model's key ideas (its model card's key blocks); each catches
:class:`vizcnn.VizcnnError` and shows it as an error box, so a bad input never becomes a
traceback. Every widget has a stable key under ``key_prefix``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pandas as pd
import streamlit as st

from vizcnn.errors import VizcnnError
from vizcnn.experiments import what_if
from vizcnn.graph import Graph
from vizcnn.teach import (
    depthwise, formulas, ghost, inception, residual, se, shuffle, vgg_stacks, whatif,
)
from vizcnn.teach.text import Lang, as_lang, fmt_int, fmt_pct, fmt_si, text
from vizcnn.ui.sidebar import apply_selection
from vizcnn.zoo import ModelCard, model_card

# Key ideas (model card key blocks) → the section that teaches them, in the seed's order.
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vgg", ("stacked_3x3", "large_kernels")),
    ("inception", ("inception",)),
    ("residual", ("residual", "bottleneck", "inverted_residual")),
    ("se", ("se",)),
    ("depthwise", ("depthwise", "inverted_residual")),
    ("shuffle", ("channel_shuffle",)),
    ("ghost", ("ghost",)),
)
_VGG_CHANNELS = (16, 32, 64, 128, 256, 512)
_SHUFFLE_GROUPS = (2, 3, 4, 8)
_GHOST_RATIOS = (2, 3, 4, 5)


def render_learn_tab(trace: Graph, model_name: str, lang: str,
                     key_prefix: str = "learn",
                     options: Mapping[str, Any] | None = None) -> None:
    """Render the Learn tab for ``trace`` of ``model_name`` in ``lang`` ("en" or "zh").

    ``options`` are the builder options the trace was made with (for sections that build
    the model again); the zoo defaults when omitted.
    """
    try:
        language = as_lang(lang)
    except VizcnnError as error:
        st.error(str(error))
        return
    opts = dict(options or {})

    def key(name: str) -> str:
        return f"{key_prefix}_{name}"

    st.header(text("learn_title", language, model=model_name))
    # Sections that rebuild the model need the zoo name the trace was made from. (The
    # model card's summary is the app header's; it is not repeated here.)
    card = _card(model_name) if trace.model == model_name else None
    ideas = {idea for idea, _ in trace.key_blocks} if card is not None else set()

    renderers: dict[str, Callable[[], None]] = {
        "vgg": lambda: _vgg_section(trace, language, key),
        "inception": lambda: _inception_section(trace, language, key),
        "residual": lambda: _residual_section(trace, language, key),
        "se": lambda: _se_section(trace, model_name, opts, language, key),
        "depthwise": lambda: _depthwise_section(trace, language, key),
        "shuffle": lambda: _shuffle_section(trace, model_name, opts, language, key),
        "ghost": lambda: _ghost_section(trace, language, key),
    }
    _guarded(language, "sec_formula", lambda: _formula_section(trace, language, key))
    # a ResNet without SE still gets the SE section: what adding it (se=True) would cost
    has_se_option = card is not None and any(o.name == "se" for o in card.options)
    for section, section_ideas in _SECTIONS:
        if ideas.intersection(section_ideas) or (section == "se" and has_se_option):
            _guarded(language, f"sec_{section}", renderers[section])
    if card is not None and trace.spec is not None:
        _guarded(language, "sec_whatif", lambda: _whatif_section(trace, model_name, language, key))


# ---------------------------------------------------------------------------- helpers


def _card(model_name: str) -> ModelCard | None:
    try:
        return model_card(model_name)
    except VizcnnError:
        return None


def _guarded(lang: Lang, heading: str, render: Callable[[], None]) -> None:
    """A section under its heading; a VizcnnError becomes an error box."""
    st.subheader(text(heading, lang))
    try:
        render()
    except VizcnnError as error:
        st.error(text("error_section", lang, message=str(error)))


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


# ---------------------------------------------------------------------------- formulas


def _formula_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(text("formula_intro", lang))
    nodes = formulas.formula_nodes(trace)
    if not nodes:
        st.info(text("formula_none", lang))
        return
    node_id = st.selectbox(text("formula_pick", lang), nodes, key=key("layer"))
    wf = formulas.worked_formula_for(trace, node_id or nodes[0])
    heading = text("formula_layer", lang, node=wf.node_id, type=wf.module_type or wf.op,
                   input=_shape(wf.input_shape), output=_shape(wf.output_shape))
    st.markdown(f"**{heading}**")
    for line in formulas.to_latex(wf):
        st.latex(line)
    if wf.axes and not wf.axes[0].adaptive:
        st.caption(text("formula_seed_note", lang))
    for axis in wf.axes:
        if axis.corrected:
            st.caption(text("formula_ceil_corrected", lang, start=axis.result * axis.stride,
                            limit=axis.size_in + axis.padding))
    if wf.flops is not None:
        st.caption(text("formula_pool_no_macs", lang))
    st.markdown(text("check_ok" if wf.matches else "check_mismatch", lang))


# ---------------------------------------------------------------------------- VGG


def _vgg_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(text("vgg_intro", lang))
    stacks = vgg_stacks.find_stacks(trace)
    size = stacks[0].size[0] if stacks else trace.input_shapes[0][-1]
    channels = st.select_slider(text("vgg_channels", lang), _VGG_CHANNELS,
                                value=64, key=key("vgg_channels"))
    rows = []
    for cmp in vgg_stacks.vgg_comparisons(int(channels), size):
        for alt in (cmp.stacked, cmp.single):
            rows.append({
                text("col_alternative", lang): text("vgg_alt", lang, layers=alt.layers,
                                                    kernel=alt.kernel),
                text("col_rf", lang): f"{alt.receptive_field}×{alt.receptive_field}",
                text("label_params", lang): alt.params,
                text("label_macs", lang): alt.macs,
                text("col_relus", lang): alt.relus,
                text("col_per_c2", lang): alt.coefficient,
            })
        st.markdown(text(
            "vgg_hand_check", lang, n=cmp.stacked.layers, small=cmp.stacked.coefficient,
            big=cmp.single.coefficient, k=cmp.single.kernel,
            params=fmt_int(cmp.stacked.params), params_big=fmt_int(cmp.single.params),
            saving=fmt_pct((cmp.params_ratio - 1) * 100)))
    st.caption(text("vgg_setting", lang, channels=channels, size=size))
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=key("vgg_table"))
    if stacks:
        st.markdown(text("vgg_model_stacks", lang, count=len(stacks)))
        st.dataframe(pd.DataFrame([{
            text("col_stack", lang): f"{s.node_ids[0]} … {s.node_ids[-1]}",
            text("col_layers", lang): len(s.node_ids),
            text("col_channels", lang): f"{s.in_channels} → {s.out_channels}",
            text("col_size", lang): _shape(s.size),
            text("col_window", lang): f"{s.window}×{s.window}",
            text("col_rf_image", lang): s.receptive_field,
        } for s in stacks]), hide_index=True, key=key("vgg_stacks_table"))


# ---------------------------------------------------------------------------- Inception


def _inception_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(text("inception_intro", lang))
    blocks = inception.inception_blocks(trace)
    if not blocks:
        st.info(text("inception_none", lang))
        return
    st.dataframe(pd.DataFrame([{
        text("col_block", lang): b.path,
        text("col_channels", lang): f"{b.in_channels} → {b.out_channels}",
        text("col_size", lang): _shape(b.size),
        text("label_macs", lang): b.macs,
        text("col_macs_without", lang): b.macs_without,
        text("col_factor", lang): round(b.macs_factor, 2),
    } for b in blocks]), hide_index=True, key=key("inception_table"))
    total_with = sum(b.macs for b in blocks)
    total_without = sum(b.macs_without for b in blocks)
    st.markdown(text("inception_total", lang, count=len(blocks), macs=fmt_si(total_with),
                     without=fmt_si(total_without), factor=f"{total_without / total_with:.2f}"))
    paths = [b.path for b in blocks]
    chosen = st.selectbox(text("inception_pick", lang), paths, key=key("inception_block"))
    block = blocks[paths.index(chosen)] if chosen in paths else blocks[0]
    st.dataframe(pd.DataFrame([{
        text("col_branch", lang): br.path,
        text("col_layers", lang): br.layers,
        text("col_out_channels", lang): br.out_channels,
        text("label_macs", lang): br.macs,
        text("col_share", lang): f"{br.share * 100:.1f} %",
    } for br in block.branches]), hide_index=True, key=key("inception_branches"))
    st.markdown(text("inception_saving", lang, block=block.path,
                     reductions=len(block.reductions), macs=fmt_int(block.macs),
                     without=fmt_int(block.macs_without), factor=f"{block.macs_factor:.2f}",
                     params=fmt_int(block.conv_params),
                     params_without=fmt_int(block.conv_params_without)))


# ---------------------------------------------------------------------------- residual


def _residual_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(text("residual_intro", lang))
    blocks = residual.residual_blocks(trace)
    if not blocks:
        st.info(text("residual_none", lang))
        return
    counts = {kind: sum(1 for b in blocks if b.shortcut is kind) for kind in residual.Shortcut}
    st.markdown(text("residual_counts", lang, total=len(blocks),
                     identity=counts[residual.Shortcut.IDENTITY],
                     projection=counts[residual.Shortcut.PROJECTION],
                     none=counts[residual.Shortcut.NONE]))
    st.dataframe(pd.DataFrame([{
        text("col_block", lang): b.path,
        text("col_type", lang): b.module_type,
        text("col_shortcut", lang): text(f"shortcut_{b.shortcut.value}", lang),
        text("col_profile", lang): text(f"profile_{b.profile.value}", lang),
        text("col_channels", lang): " → ".join(str(c) for _, c in b.steps),
    } for b in blocks]), hide_index=True, key=key("residual_table"))
    spindle, hourglass = depthwise.spindle_vs_hourglass(trace)
    shown = [b for b in (spindle, hourglass) if b is not None]
    if shown:
        st.markdown(text("profile_intro", lang))
        st.plotly_chart(depthwise.profile_figure(shown, lang), key=key("profile_chart"))


# ---------------------------------------------------------------------------- SE


def _se_section(trace: Graph, model_name: str, opts: dict[str, Any], lang: Lang,
                key: Callable[[str], str]) -> None:
    st.markdown(text("se_intro", lang))
    paths = se.se_paths(trace)
    if paths:
        chosen = st.selectbox(text("se_pick", lang), paths, key=key("se_block"))
        walk = se.se_walk(trace, chosen if chosen in paths else paths[0])
        rows = [(text("se_input", lang), "", walk.input_shape, walk.input_symbols)]
        rows += [(s.label, s.op, s.shape, s.symbols) for s in walk.steps]
        st.dataframe(pd.DataFrame([{
            text("col_step", lang): label,
            text("col_op", lang): op,
            text("col_shape", lang): f"({', '.join(str(d) for d in shape)})",
            text("col_seed", lang): f"({', '.join(symbols)})",
        } for label, op, shape, symbols in rows]), hide_index=True, key=key("se_walk_table"))
        st.markdown(text("se_walk", lang, shapes=" → ".join(
            f"({', '.join(str(d) for d in s)})" for s in walk.shapes)))
        st.markdown(text("se_numbers", lang, channels=walk.channels, hidden=walk.hidden,
                         reduction=f"{walk.reduction:g}"))
        st.markdown(text("se_keeps_shape" if walk.keeps_shape else "se_changes_shape", lang))
    else:
        st.info(text("se_none", lang))
    cost = se.se_cost(model_name, tuple(trace.input_shapes[0]), trace.training,
                      **{k: v for k, v in opts.items() if k != "se"})
    params, macs = cost.params_delta, cost.macs_delta
    st.markdown(text(f"se_cost_{cost.how}", lang, model=model_name, blocks=cost.blocks,
                     params=fmt_int(cost.with_se.params),
                     params_without=fmt_int(cost.without_se.params),
                     params_delta=fmt_int(params.absolute, signed=True),
                     params_pct=fmt_pct(params.percent),
                     macs=fmt_int(cost.with_se.macs), macs_without=fmt_int(cost.without_se.macs),
                     macs_delta=fmt_int(macs.absolute, signed=True),
                     macs_pct=fmt_pct(macs.percent)))


# ---------------------------------------------------------------------------- depthwise


def _depthwise_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(text("depthwise_intro", lang))
    pairs = depthwise.depthwise_pairs(trace)
    if not pairs:
        st.info(text("depthwise_none", lang))
        return
    labels = [f"{dw} → {pw}" for dw, pw in pairs]
    chosen = st.selectbox(text("depthwise_pick", lang), labels, key=key("dw_layer"))
    dw_id = pairs[labels.index(chosen) if chosen in labels else 0][0]
    r = depthwise.separable_ratio(trace, dw_id)
    k = "×".join(str(v) for v in r.kernel)
    st.markdown(text("depthwise_costs", lang, m=r.in_channels, n=r.out_channels, k=k,
                     shape=_shape(r.input_shape), standard=fmt_int(r.standard_macs),
                     dw=fmt_int(r.depthwise_macs), pw=fmt_int(r.pointwise_macs),
                     separable=fmt_int(r.separable_macs)))
    st.latex(
        rf"\frac{{{r.separable_macs}}}{{{r.standard_macs}}} = {float(r.measured):.5f}"
        rf"\qquad \frac{{1}}{{N}} + \frac{{1}}{{k^2}} = \frac{{1}}{{{r.out_channels}}} + "
        rf"\frac{{1}}{{{r.kernel[0] * r.kernel[1]}}} = {float(r.formula):.5f}")
    st.markdown(text("depthwise_equal" if r.measured == r.formula else "depthwise_differ", lang,
                     speedup=f"{1 / float(r.measured):.1f}"))


# ---------------------------------------------------------------------------- shuffle


def _shuffle_section(trace: Graph, model_name: str, opts: dict[str, Any], lang: Lang,
                     key: Callable[[str], str]) -> None:
    st.markdown(text("shuffle_intro", lang))
    layers = shuffle.shuffle_layers(trace)
    groups_in_model = shuffle.model_shuffle_groups(model_name, **opts)
    if not layers or not groups_in_model:
        st.info(text("shuffle_none", lang))
        return
    model_groups = groups_in_model[0]
    st.markdown(text("shuffle_model", lang, count=len(layers), channels=layers[0][1],
                     groups=model_groups))
    choices = tuple(sorted({*_SHUFFLE_GROUPS, model_groups}))
    groups = int(st.select_slider(text("shuffle_groups", lang), choices, value=model_groups,
                                  key=key("shuffle_groups")))
    channel_choices = tuple(groups * i for i in range(1, 48 // groups + 1))
    default = min(channel_choices, key=lambda c: abs(c - 12))
    channels = int(st.select_slider(text("shuffle_channels", lang), channel_choices,
                                    value=default, key=key(f"shuffle_channels_g{groups}")))
    smap = shuffle.shuffle_map(channels, groups)
    st.plotly_chart(shuffle.shuffle_figure(smap, lang), key=key("shuffle_chart"))
    st.markdown(text("shuffle_perm", lang, perm=", ".join(str(p) for p in smap.permutation)))


# ---------------------------------------------------------------------------- ghost


def _ghost_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(text("ghost_intro", lang))
    savings = ghost.ghost_savings(trace)
    if not savings:
        st.info(text("ghost_none", lang))
        return
    st.dataframe(pd.DataFrame([{
        text("col_block", lang): g.path,
        text("col_channels", lang): f"{g.in_channels} → {g.out_channels}",
        text("col_ghost_macs", lang): g.ghost_macs,
        text("col_plain_macs", lang): g.plain_macs,
        text("col_factor", lang): round(g.macs_ratio, 2),
        text("col_formula", lang): round(float(g.formula), 2),
    } for g in savings]), hide_index=True, key=key("ghost_table"))
    ghost_total = sum(g.ghost_macs for g in savings)
    plain_total = sum(g.plain_macs for g in savings)
    st.markdown(text("ghost_total", lang, count=len(savings), ghost=fmt_si(ghost_total),
                     plain=fmt_si(plain_total), factor=f"{plain_total / ghost_total:.2f}"))
    # the ratio slider rebuilds the model's widest Ghost module with another s
    widest = max(savings, key=lambda g: g.in_channels)
    c, n, size = widest.in_channels, widest.out_channels, widest.input_shape[-1]
    s = int(st.select_slider(text("ghost_ratio", lang), _GHOST_RATIOS, value=2,
                             key=key("ghost_ratio")))
    g = ghost.ghost_saving_for(c, n, ratio=s, size=size)
    st.markdown(text("ghost_line", lang, c=c, n=n, s=s, m=g.intrinsic, size=size,
                     plain=fmt_int(g.plain_macs), ghost=fmt_int(g.ghost_macs),
                     factor=f"{g.macs_ratio:.2f}", params_factor=f"{g.params_ratio:.2f}",
                     formula=f"{float(g.formula):.2f}"))


# ---------------------------------------------------------------------------- what-if
def _whatif_section(trace: Graph, model_name: str, lang: Lang,
                    key: Callable[[str], str]) -> None:
    """Compare the traced model (its own totals) with one knob turned, derived from the
    trace's spec (see :mod:`vizcnn.experiments.whatif`)."""
    st.markdown(text("whatif_intro", lang))
    spec = trace.spec
    assert spec is not None
    input_size = spec.input_shape
    resolution: int | None = None
    changes: dict[str, Any] = {}
    se_on = False
    for knob in whatif.knobs(model_name, input_size):
        label = text(f"knob_{knob.knob.value}", lang)
        current = spec.model.option(knob.option, knob.default) if knob.option else knob.default
        if knob.knob is whatif.Knob.RESOLUTION:
            if len(input_size) < 4:
                continue
            resolution = int(st.select_slider(label, knob.choices, value=current,
                                              key=key("whatif_resolution")))
        elif knob.knob is whatif.Knob.SE:
            se_on = st.checkbox(label, value=bool(current), key=key("whatif_se"))
            changes[knob.option] = se_on  # type: ignore[index]
        elif knob.knob is whatif.Knob.SE_RATIO and "se" in changes and not se_on:
            continue  # the ratio only matters once SE is switched on
        else:
            choices = knob.choices if current in knob.choices else (*knob.choices, current)
            changes[knob.option] = st.select_slider(  # type: ignore[index]
                label, sorted(choices), value=current, key=key(f"whatif_{knob.knob.value}"))
    result = what_if(trace, changes, resolution)
    names = ("params", "macs", "flops")
    columns = st.columns(len(names))
    for column, name in zip(columns, names):
        delta = result.deltas[name]
        shown = (f"{fmt_si(delta.absolute, signed=True)} ({fmt_pct(delta.percent)})"
                 if delta.absolute else None)
        column.metric(text(f"label_{name}", lang), fmt_si(getattr(result.changed, name)),
                      delta=shown, delta_color="inverse")
    st.dataframe(pd.DataFrame([{
        text("col_metric", lang): text(f"label_{name}", lang),
        text("col_default", lang): getattr(result.base, name),
        text("col_changed", lang): getattr(result.changed, name),
        text("col_delta", lang): result.deltas[name].absolute,
        text("col_delta_pct", lang): fmt_pct(result.deltas[name].percent),
    } for name in (*names, "activation_bytes")]), hide_index=True, key=key("whatif_table"))
    st.button(text("whatif_apply", lang), key=key("whatif_apply"), on_click=apply_selection,
              args=(dict(changes), resolution), help=text("whatif_apply_help", lang))
    st.caption(text("whatif_setting", lang, base=_shape(result.base_input),
                    changed=_shape(result.changed_input),
                    options=", ".join(f"{k}={v}" for k, v in result.changed_options.items())
                    or "—"))


__all__ = ["render_learn_tab"]
