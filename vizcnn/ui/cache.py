"""Cached traces and renders. A trace is keyed by its :class:`~vizcnn.spec.TraceSpec`, so
switching back to an earlier model or input is instant; a render of a trace is keyed by the
trace's spec too (by its content for a user model, whose file may change under the spec).

``st.cache_data`` stores a pickled copy per key and hands each session its own copy, so a
view can never change another session's trace. Errors are not cached (Streamlit re-raises
them), which keeps a fixed user model file from looking broken.
"""

from __future__ import annotations

import os

import streamlit as st

import vizcnn
from vizcnn.api import Trace
from vizcnn.experiments import compare_point as traced_point
from vizcnn.experiments import expected_channels as model_channels
from vizcnn.render.dot import GraphOptions, to_dot
from vizcnn.render.graphviz_run import render
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.ui import upload
from vizcnn.views.sweep import ComparePoint

USER_MODEL_TTL = 300  # seconds: a user's file may change while the app runs


def user_models_allowed() -> bool:
    """True when the operator opted in to importing local code (it runs on the server)."""
    if os.environ.get("VIZCNN_ALLOW_USER_MODELS", "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        return bool(st.secrets.get("allow_user_models", False))
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning {}
        return False


def check_allowed(spec: ModelSpec) -> None:
    if spec.source is not ModelSource.ZOO and not user_models_allowed():
        raise vizcnn.VizcnnError("user models are not enabled on this server")


@st.cache_data(ttl=USER_MODEL_TTL, max_entries=8, show_spinner=False)
def _user_trace(spec: TraceSpec) -> Trace:
    check_allowed(spec.model)
    return vizcnn.trace(spec.model, spec.input_shape, training=spec.training)


@st.cache_data(max_entries=128, show_spinner=False)
def _zoo_trace(spec: TraceSpec) -> Trace:
    return vizcnn.trace(spec.model, spec.input_shape, training=spec.training)


def trace_for(spec: TraceSpec) -> Trace:
    """The trace of a spec (the sidebar's, see :class:`Selection`); raises VizcnnError."""
    if spec.model.source is ModelSource.ZOO:
        return _zoo_trace(spec)
    if spec.model.source is ModelSource.ONNX:   # an uploaded file: read, never run
        return upload.trace_of(spec)
    return _user_trace(spec)


@st.cache_data(ttl=USER_MODEL_TTL, max_entries=16, show_spinner=False)
def expected_channels(spec: ModelSpec) -> int | None:
    """Input channels the model expects (zoo card, or the first conv of a user model)."""
    try:
        check_allowed(spec)
        return model_channels(spec)
    except Exception:  # only a hint for an error message
        return None


def render_key(trace: Trace) -> TraceSpec | str:
    """What a render of ``trace`` is cached under: its spec for a zoo model (the spec fixes
    the trace), its content for a user model (the file behind the spec may change)."""
    return trace.spec if trace.spec.model.source is ModelSource.ZOO else trace.to_json()


@st.cache_data(max_entries=64, show_spinner=False)
def _dot(_trace: Trace, key: TraceSpec | str, options: GraphOptions) -> str:
    return to_dot(_trace, options)


@st.cache_data(max_entries=64, show_spinner=False)
def _graph_bytes(_trace: Trace, key: TraceSpec | str, options: GraphOptions, fmt: str) -> bytes:
    return render(_dot(_trace, key, options), fmt, dpi=144 if fmt == "png" else 96)


def dot_for(trace: Trace, options: GraphOptions) -> str:
    """DOT text of the layer graph of ``trace``."""
    return _dot(trace, render_key(trace), options)


def graph_bytes(trace: Trace, options: GraphOptions, fmt: str) -> bytes:
    """The layer graph rendered by Graphviz as svg, png, pdf or dot (bounded in time)."""
    return _graph_bytes(trace, render_key(trace), options, fmt)


@st.cache_data(max_entries=256, show_spinner=False)
def compare_point(spec: TraceSpec) -> ComparePoint:
    """One comparison row: the totals of a spec, or its error when it rejects the input."""
    check_allowed(spec.model)
    return traced_point(spec)
