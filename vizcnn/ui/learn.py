"""The Streamlit "Learn" tab: the seed notes' ideas, worked out on the traced model.

Only arranges widgets; every number comes from the trace it is given, read by the pure
lessons of :mod:`vizcnn.teach`, and from the variants :mod:`vizcnn.experiments.lessons`
derives from that trace (never from widget state). Sections follow the model's key ideas
(its model card's key blocks); each catches
:class:`vizcnn.VizcnnError` and shows it as an error box, so a bad input never becomes a
traceback. Every widget has a stable key under ``key_prefix``.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import streamlit as st

from vizcnn.errors import VizcnnError
from vizcnn.experiments import lessons, what_if, whatif
from vizcnn.graph import Graph
from vizcnn.teach import (
    depthwise, formulas, ghost, inception, residual, se, shuffle, vgg_stacks,
)
from vizcnn.words import Lang, as_lang, fmt_int, fmt_pct, fmt_shape, human, tr
from vizcnn.ui.sidebar import apply_selection
from vizcnn.views.structure import structure
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
                     key_prefix: str = "learn") -> None:
    """Render the Learn tab for ``trace`` of ``model_name`` in ``lang`` ("en" or "zh").

    The lessons read ``trace`` and the variants derived from it (from its spec: the model
    with the options it was traced with).
    """
    try:
        language = as_lang(lang)
    except VizcnnError as error:
        st.error(str(error))
        return

    def key(name: str) -> str:
        return f"{key_prefix}_{name}"

    st.header(tr(language, "learn_title", model=model_name))
    # A zoo model's sections follow its model card's ideas, any other model's the structure
    # found on its edges. (The card's summary is the app header's; it is not repeated here.)
    card = _card(model_name) if trace.model == model_name else None
    ideas = ({idea for idea, _ in trace.key_blocks} if card is not None
             else set(structure(trace).ideas))

    renderers: dict[str, Callable[[], None]] = {
        "vgg": lambda: _vgg_section(trace, language, key),
        "inception": lambda: _inception_section(trace, language, key),
        "residual": lambda: _residual_section(trace, language, key),
        "se": lambda: _se_section(trace, language, key),
        "depthwise": lambda: _depthwise_section(trace, language, key),
        "shuffle": lambda: _shuffle_section(trace, language, key),
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
    st.subheader(tr(lang, heading))
    try:
        render()
    except VizcnnError as error:
        st.error(tr(lang, "error_section", message=str(error)))



# ---------------------------------------------------------------------------- formulas


def _formula_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "formula_intro"))
    nodes = formulas.formula_nodes(trace)
    if not nodes:
        st.info(tr(lang, "formula_none"))
        return
    node_id = st.selectbox(tr(lang, "formula_pick"), nodes, key=key("layer"))
    wf = formulas.worked_formula_for(trace, node_id or nodes[0])
    heading = tr(lang, "formula_layer", node=wf.node_id, type=wf.module_type or wf.op,
                 input=fmt_shape(wf.input_shape), output=fmt_shape(wf.output_shape))
    st.markdown(f"**{heading}**")
    for line in formulas.to_latex(wf):
        st.latex(line)
    if wf.axes and not wf.axes[0].adaptive:
        st.caption(tr(lang, "formula_seed_note"))
    for axis in wf.axes:
        if axis.corrected:
            st.caption(tr(lang, "formula_ceil_corrected", start=axis.result * axis.stride,
                          limit=axis.size_in + axis.padding))
    if wf.flops is not None:
        st.caption(tr(lang, "formula_pool_no_macs"))
    st.markdown(tr(lang, "check_ok" if wf.matches else "check_mismatch"))


# ---------------------------------------------------------------------------- VGG


def _vgg_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "vgg_intro"))
    stacks = vgg_stacks.find_stacks(trace)
    size = stacks[0].size[0] if stacks else trace.input_shapes[0][-1]
    own = stacks[0].in_channels if stacks else 64      # the model's first stack, by default
    choices = tuple(sorted({*_VGG_CHANNELS, own}))
    channels = st.select_slider(tr(lang, "vgg_channels"), choices,
                                value=own, key=key("vgg_channels"))
    rows = []
    for n in (2, 3):
        cmp = vgg_stacks.compare_stack(*lessons.stack_variants(int(channels), size, n), n)
        for alt in (cmp.stacked, cmp.single):
            rows.append({
                tr(lang, "col_alternative"): tr(lang, "vgg_alt", layers=alt.layers,
                                                    kernel=alt.kernel),
                tr(lang, "col_rf"): f"{alt.receptive_field}×{alt.receptive_field}",
                tr(lang, "label_params"): alt.params,
                tr(lang, "label_macs"): alt.macs,
                tr(lang, "col_relus"): alt.relus,
                tr(lang, "col_per_c2"): alt.coefficient,
            })
        st.markdown(tr(lang, "vgg_hand_check", n=cmp.stacked.layers, small=cmp.stacked.coefficient,
            big=cmp.single.coefficient, k=cmp.single.kernel,
            params=fmt_int(cmp.stacked.params), params_big=fmt_int(cmp.single.params),
            saving=fmt_pct((cmp.params_ratio - 1) * 100)))
    st.caption(tr(lang, "vgg_setting", channels=channels, size=size))
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=key("vgg_table"))
    if stacks:
        st.markdown(tr(lang, "vgg_model_stacks", count=len(stacks)))
        st.dataframe(pd.DataFrame([{
            tr(lang, "col_stack"): f"{s.node_ids[0]} … {s.node_ids[-1]}",
            tr(lang, "col_layers"): len(s.node_ids),
            tr(lang, "col_channels"): f"{s.in_channels} → {s.out_channels}",
            tr(lang, "col_size"): fmt_shape(s.size),
            tr(lang, "col_window"): f"{s.window}×{s.window}",
            tr(lang, "col_rf_image"): s.receptive_field,
        } for s in stacks]), hide_index=True, key=key("vgg_stacks_table"))


# ---------------------------------------------------------------------------- Inception


def _inception_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "inception_intro"))
    blocks = inception_blocks(trace)
    if not blocks:
        st.info(tr(lang, "inception_none"))
        return
    st.dataframe(pd.DataFrame([{
        tr(lang, "col_block"): b.path,
        tr(lang, "col_channels"): f"{b.in_channels} → {b.out_channels}",
        tr(lang, "col_size"): fmt_shape(b.size),
        tr(lang, "label_macs"): b.macs,
        tr(lang, "col_macs_without"): b.macs_without,
        tr(lang, "col_factor"): round(b.macs_factor, 2),
    } for b in blocks]), hide_index=True, key=key("inception_table"))
    total_with = sum(b.macs for b in blocks)
    total_without = sum(b.macs_without for b in blocks)
    st.markdown(tr(lang, "inception_total", count=len(blocks), macs=human(total_with),
                   without=human(total_without), factor=f"{total_without / total_with:.2f}"))
    paths = [b.path for b in blocks]
    chosen = st.selectbox(tr(lang, "inception_pick"), paths, key=key("inception_block"))
    block = blocks[paths.index(chosen)] if chosen in paths else blocks[0]
    st.dataframe(pd.DataFrame([{
        tr(lang, "col_branch"): br.path,
        tr(lang, "col_layers"): br.layers,
        tr(lang, "col_out_channels"): br.out_channels,
        tr(lang, "label_macs"): br.macs,
        tr(lang, "col_share"): f"{br.share * 100:.1f} %",
    } for br in block.branches]), hide_index=True, key=key("inception_branches"))
    st.markdown(tr(lang, "inception_saving", block=block.path,
                   reductions=len(block.reductions), macs=fmt_int(block.macs),
                   without=fmt_int(block.macs_without), factor=f"{block.macs_factor:.2f}",
                   params=fmt_int(block.conv_params),
                   params_without=fmt_int(block.conv_params_without)))


def inception_blocks(trace: Graph) -> list[inception.InceptionBlock]:
    """Each Inception block with its rebuilt variants (with and without 1×1 reductions)."""
    found = []
    for path in inception.inception_paths(trace):
        chains = inception.branch_chains(trace, path)
        x = trace.modules[path].input_shapes[0]
        found.append(inception.inception_block(
            trace, path, lessons.branches_variant(chains, x),
            lessons.branches_variant(chains, x, inception.reductions(chains))))
    return found


# ---------------------------------------------------------------------------- residual


def _residual_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "residual_intro"))
    blocks = residual.residual_blocks(trace)
    if not blocks:
        st.info(tr(lang, "residual_none"))
        return
    counts = residual.shortcut_counts(blocks)
    st.markdown(tr(lang, "residual_counts", total=len(blocks),
                   identity=counts[residual.Shortcut.IDENTITY],
                   projection=counts[residual.Shortcut.PROJECTION],
                   pooled=counts[residual.Shortcut.POOLED],
                   none=counts[residual.Shortcut.NONE]))
    st.dataframe(pd.DataFrame([{
        tr(lang, "col_block"): b.path,
        tr(lang, "col_type"): b.module_type,
        tr(lang, "col_shortcut"): tr(lang, f"shortcut_{b.shortcut.value}"),
        tr(lang, "col_profile"): tr(lang, f"profile_{b.profile.value}"),
        tr(lang, "col_channels"): " → ".join(str(c) for _, c in b.steps),
    } for b in blocks]), hide_index=True, key=key("residual_table"))
    shown = depthwise.profile_blocks(trace, lessons.contrast_traces(trace))
    if shown:
        st.markdown(tr(lang, "profile_intro"))
        for item in shown:
            if item.contrast:
                st.caption(tr(lang, "profile_contrast_note", model=trace.model,
                              profile=tr(lang, f"profile_{item.block.profile.value}"),
                              other=item.model, block=item.block.path))
        st.plotly_chart(depthwise.profile_figure(shown, lang), key=key("profile_chart"))


# ---------------------------------------------------------------------------- SE


def _se_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "se_intro"))
    paths = se.se_paths(trace)
    if paths:
        chosen = st.selectbox(tr(lang, "se_pick"), paths, key=key("se_block"))
        walk = se.se_walk(trace, chosen if chosen in paths else paths[0])
        rows = [(tr(lang, "se_input"), "", walk.input_shape, walk.input_symbols)]
        rows += [(s.label, s.op, s.shape, s.symbols) for s in walk.steps]
        st.dataframe(pd.DataFrame([{
            tr(lang, "col_step"): label,
            tr(lang, "col_op"): op,
            tr(lang, "col_shape"): f"({', '.join(str(d) for d in shape)})",
            tr(lang, "col_seed"): f"({', '.join(symbols)})",
        } for label, op, shape, symbols in rows]), hide_index=True, key=key("se_walk_table"))
        st.markdown(tr(lang, "se_walk", shapes=" → ".join(
            f"({', '.join(str(d) for d in s)})" for s in walk.shapes)))
        st.markdown(tr(lang, "se_numbers", channels=walk.channels, hidden=walk.hidden,
                       reduction=f"{walk.reduction:g}"))
        st.markdown(tr(lang, "se_keeps_shape" if walk.keeps_shape else "se_changes_shape"))
    else:
        st.info(tr(lang, "se_none"))
    try:
        cost = se.se_cost(*lessons.se_variant(trace, paths))
    except VizcnnError as error:       # e.g. a live module, which cannot be built again
        st.info(str(error))
        return
    params, macs = cost.params_delta, cost.macs_delta
    st.markdown(tr(lang, f"se_cost_{cost.how}", model=trace.model, blocks=cost.blocks,
                   params=fmt_int(cost.with_se.params),
                   params_without=fmt_int(cost.without_se.params),
                   params_delta=fmt_int(params.absolute, signed=True),
                   params_pct=fmt_pct(params.percent),
                   macs=fmt_int(cost.with_se.macs), macs_without=fmt_int(cost.without_se.macs),
                   macs_delta=fmt_int(macs.absolute, signed=True),
                   macs_pct=fmt_pct(macs.percent)))


# ---------------------------------------------------------------------------- depthwise


def _depthwise_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "depthwise_intro"))
    pairs = depthwise.depthwise_pairs(trace)
    if not pairs:
        st.info(tr(lang, "depthwise_none"))
        return
    labels = [f"{dw} → {pw}" for dw, pw in pairs]
    chosen = st.selectbox(tr(lang, "depthwise_pick"), labels, key=key("dw_layer"))
    dw_id = pairs[labels.index(chosen) if chosen in labels else 0][0]
    r = depthwise.separable_ratio(trace, lessons.standard_conv(*depthwise.pair(trace, dw_id)),
                                  dw_id)
    k = fmt_shape(r.kernel)
    st.markdown(tr(lang, "depthwise_costs", m=r.in_channels, n=r.out_channels, k=k,
                   shape=fmt_shape(r.input_shape), standard=fmt_int(r.standard_macs),
                   dw=fmt_int(r.depthwise_macs), pw=fmt_int(r.pointwise_macs),
                   separable=fmt_int(r.separable_macs)))
    g = r.pw_groups
    gk = r"g k^2" if g > 1 else r"k^2"
    st.latex(
        rf"\frac{{{r.separable_macs}}}{{{r.standard_macs}}} = {float(r.measured):.5f}"
        rf"\qquad \frac{{1}}{{N}} + \frac{{1}}{{{gk}}} = \frac{{1}}{{{r.out_channels}}} + "
        rf"\frac{{1}}{{{g * r.kernel[0] * r.kernel[1]}}} = {float(r.formula):.5f}")
    if g > 1:
        st.caption(tr(lang, "depthwise_grouped", groups=g))
    st.markdown(tr(lang, "depthwise_equal" if r.measured == r.formula else "depthwise_differ",
                   speedup=f"{1 / float(r.measured):.1f}"))


# ---------------------------------------------------------------------------- shuffle


def _shuffle_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "shuffle_intro"))
    layers = shuffle.shuffle_layers(trace)
    groups_in_model = lessons.shuffle_groups(trace) if layers else []
    if not layers or not groups_in_model:
        st.info(tr(lang, "shuffle_none"))
        return
    model_groups = groups_in_model[0]
    st.markdown(tr(lang, "shuffle_model", count=len(layers), channels=layers[0][1],
                   groups=model_groups))
    choices = tuple(sorted({*_SHUFFLE_GROUPS, model_groups}))
    groups = int(st.select_slider(tr(lang, "shuffle_groups"), choices, value=model_groups,
                                  key=key("shuffle_groups")))
    channel_choices, default = shuffle.lesson_channels(groups)
    channels = int(st.select_slider(tr(lang, "shuffle_channels"), channel_choices,
                                    value=default, key=key(f"shuffle_channels_g{groups}")))
    smap = shuffle.shuffle_map(channels, groups, lessons.shuffle_permutation(channels, groups))
    st.plotly_chart(shuffle.shuffle_figure(smap, lang), key=key("shuffle_chart"))
    st.markdown(tr(lang, "shuffle_perm", perm=", ".join(str(p) for p in smap.permutation)))


# ---------------------------------------------------------------------------- ghost


def _ghost_section(trace: Graph, lang: Lang, key: Callable[[str], str]) -> None:
    st.markdown(tr(lang, "ghost_intro"))
    savings = [ghost.ghost_saving(trace, p, lessons.plain_conv(*ghost.plain_conv_args(trace, p)))
               for p in ghost.ghost_paths(trace)]
    if not savings:
        st.info(tr(lang, "ghost_none"))
        return
    st.dataframe(pd.DataFrame([{
        tr(lang, "col_block"): g.path,
        tr(lang, "col_channels"): f"{g.in_channels} → {g.out_channels}",
        tr(lang, "col_ghost_macs"): g.ghost_macs,
        tr(lang, "col_plain_macs"): g.plain_macs,
        tr(lang, "col_factor"): round(g.macs_ratio, 2),
        tr(lang, "col_formula"): round(float(g.formula), 2),
    } for g in savings]), hide_index=True, key=key("ghost_table"))
    ghost_total = sum(g.ghost_macs for g in savings)
    plain_total = sum(g.plain_macs for g in savings)
    st.markdown(tr(lang, "ghost_total", count=len(savings), ghost=human(ghost_total),
                   plain=human(plain_total), factor=f"{plain_total / ghost_total:.2f}"))
    # the ratio slider rebuilds the model's widest Ghost module with another s
    widest = max(savings, key=lambda g: g.in_channels)
    c, n, size = widest.in_channels, widest.out_channels, widest.input_shape[-1]
    s = int(st.select_slider(tr(lang, "ghost_ratio"), tuple(sorted({*_GHOST_RATIOS,
                                                                     widest.ratio})),
                             value=widest.ratio, key=key("ghost_ratio")))
    module = lessons.ghost_module(c, n, s, widest.kernel, widest.dw_size, size)
    g = ghost.ghost_saving(module, "0", lessons.plain_conv(*ghost.plain_conv_args(module, "0")),
                           label=None)
    st.markdown(tr(lang, "ghost_line", c=c, n=n, s=s, m=g.intrinsic, size=size,
                   plain=fmt_int(g.plain_macs), ghost=fmt_int(g.ghost_macs),
                   factor=f"{g.macs_ratio:.2f}", params_factor=f"{g.params_ratio:.2f}",
                   formula=f"{float(g.formula):.2f}"))


# ---------------------------------------------------------------------------- what-if
def _whatif_section(trace: Graph, model_name: str, lang: Lang,
                    key: Callable[[str], str]) -> None:
    """Compare the traced model (its own totals) with one knob turned, derived from the
    trace's spec (see :mod:`vizcnn.experiments.whatif`)."""
    st.markdown(tr(lang, "whatif_intro"))
    spec = trace.spec
    assert spec is not None
    input_size = spec.input_shape
    resolution: int | None = None
    changes: dict[str, Any] = {}
    se_on = False
    for knob in whatif.knobs(model_name, input_size):
        label = tr(lang, f"knob_{knob.knob.value}")
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
        shown = (f"{human(delta.absolute, signed=True)} ({fmt_pct(delta.percent)})"
                 if delta.absolute else None)
        column.metric(tr(lang, f"label_{name}"), human(getattr(result.changed, name)),
                      delta=shown, delta_color="inverse")
    st.dataframe(pd.DataFrame([{
        tr(lang, "col_metric"): tr(lang, f"label_{name}"),
        tr(lang, "col_default"): getattr(result.base, name),
        tr(lang, "col_changed"): getattr(result.changed, name),
        tr(lang, "col_delta"): result.deltas[name].absolute,
        tr(lang, "col_delta_pct"): fmt_pct(result.deltas[name].percent),
    } for name in (*names, "activation_bytes")]), hide_index=True, key=key("whatif_table"))
    st.button(tr(lang, "whatif_apply"), key=key("whatif_apply"), on_click=apply_selection,
              args=(dict(changes), resolution), help=tr(lang, "whatif_apply_help"))
    st.caption(tr(lang, "whatif_setting", base=fmt_shape(result.base_input),
                  changed=fmt_shape(result.changed_input),
                  options=", ".join(f"{k}={v}" for k, v in result.changed_options.items())
                  or "—"))


__all__ = ["inception_blocks", "render_learn_tab"]
