"""Cached traces and renders, keyed by plain values so switching back is instant.

``st.cache_data`` stores a pickled copy per key and hands each session its own copy, so a
view can never change another session's trace. Errors are not cached (Streamlit re-raises
them), which keeps a fixed user model file from looking broken.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st
from torch import nn

import vizcnn
from vizcnn.api import Trace
from vizcnn.loader import load_factory
from vizcnn.render.dot import GraphOptions, to_dot
from vizcnn.render.graphviz_run import render
from vizcnn.ui import upload
from vizcnn.ui.selection import Source, TraceKey
from vizcnn.views.sweep import ComparePoint, compare

USER_MODEL_TTL = 300  # seconds: a user's file may change while the app runs


def user_models_allowed() -> bool:
    """True when the operator opted in to importing local code (it runs on the server)."""
    if os.environ.get("VIZCNN_ALLOW_USER_MODELS", "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        return bool(st.secrets.get("allow_user_models", False))
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning {}
        return False


@st.cache_data(ttl=USER_MODEL_TTL, max_entries=8, show_spinner=False)
def _user_trace(spec: str, input_shape: tuple[int, ...], training: bool) -> Trace:
    return vizcnn.trace(user_model(spec), input_shape, training=training)


@st.cache_resource(ttl=USER_MODEL_TTL, max_entries=4, show_spinner=False)
def user_model(spec: str) -> nn.Module:
    """The user's module (a shared resource: traces leave a module exactly as it was)."""
    if not user_models_allowed():
        raise vizcnn.VizcnnError("user models are not enabled on this server")
    return load_factory(spec)


@st.cache_data(max_entries=128, show_spinner=False)
def _zoo_trace(name: str, options: tuple[tuple[str, Any], ...], input_shape: tuple[int, ...],
               num_classes: int, training: bool) -> Trace:
    return vizcnn.trace(name, input_shape, num_classes=num_classes, training=training,
                        **dict(options))


def trace_for(key: TraceKey) -> Trace:
    """The trace of a selection (see :attr:`Selection.key`); raises VizcnnError."""
    source, model, options, shape, num_classes, training = key
    if source == Source.USER.value and upload.is_upload(model):  # a file: read, never run
        return upload.trace_of(model, shape)
    if source == Source.USER.value:
        return _user_trace(model, shape, training)
    return _zoo_trace(model, options, shape, num_classes, training)


@st.cache_data(max_entries=16, show_spinner=False)
def expected_channels(key: TraceKey) -> int | None:
    """Input channels the model expects (zoo card, or the first conv of a user model)."""
    source, model = key[0], key[1]
    try:
        if source == Source.USER.value:
            for module in user_model(model).modules():
                if isinstance(module, nn.modules.conv._ConvNd):
                    return int(module.in_channels)
            return None
        return vizcnn.model_card(model).in_channels
    except Exception:  # only a hint for an error message
        return None


@st.cache_data(max_entries=64, show_spinner=False)
def dot_for(key: TraceKey, options: GraphOptions) -> str:
    """DOT text of the layer graph."""
    return to_dot(trace_for(key), options)


@st.cache_data(max_entries=64, show_spinner=False)
def graph_bytes(key: TraceKey, options: GraphOptions, fmt: str) -> bytes:
    """The layer graph rendered by Graphviz as svg, png, pdf or dot (bounded in time)."""
    return render(dot_for(key, options), fmt, dpi=144 if fmt == "png" else 96)


@st.cache_data(max_entries=256, show_spinner=False)
def compare_point(name: str, side: int) -> ComparePoint:
    """One zoo model's totals at a square input side (its error when it rejects it)."""
    return compare([name], side)[0]
