"""The sidebar's file upload: an ONNX graph to look inside, or a checkpoint to recognise.

Uploaded files are data, never code: they are checked and parsed by the library
(:mod:`vizcnn.model_files`, :mod:`vizcnn.checkpoint`) in a bounded child process, never
unpickled or run here. An ONNX upload becomes the model string ``onnx:<sha256>:<name>``, so a
trace is cached by the file's content and the input; a checkpoint that fits a zoo model can be
opened in the zoo with one click. A bad file gives an error box and the app carries on.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from pathlib import Path
from typing import Any

import streamlit as st

import vizcnn
from vizcnn.api import Trace
from vizcnn.errors import VizcnnError
from vizcnn.model_files import FileKind, check_file, file_kind, load_onnx
from vizcnn.sandbox import DEFAULT_LIMITS, MB
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.words import tr

K_UPLOAD = "upload_file"
K_RESULT = "_upload_result"
PREFIX = "onnx:"
LIMIT_MB = DEFAULT_LIMITS.max_bytes // MB

# Uploaded files, by content digest: one copy per distinct file for every session (the same
# bytes are the same model, so sharing is safe), in a folder of this process.
_FOLDER = Path(tempfile.mkdtemp(prefix="vizcnn-uploads-"))
_LOCK = threading.Lock()


def is_upload(model: str) -> bool:
    return model.startswith(PREFIX)


def _parts(model: str) -> tuple[str, str]:
    digest, _, name = model[len(PREFIX):].partition(":")
    return digest, name


def _stored(digest: str, name: str) -> Path:
    return _FOLDER / f"{digest}{Path(name).suffix.lower()}"


def _store(data: bytes, name: str) -> tuple[str, Path]:
    digest = hashlib.sha256(data).hexdigest()
    path = _stored(digest, name)
    with _LOCK:
        if not path.exists():
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            partial.rename(path)
    return digest, path


@st.cache_data(max_entries=16, show_spinner=False)
def _onnx_trace(digest: str, name: str, input_shape: tuple[int, ...]) -> Trace:
    path = _stored(digest, name)
    if not path.exists():
        raise VizcnnError(f"{name} is no longer on the server: upload it again")
    return load_onnx(path, input_shape, name=name)


def model_spec(model: str) -> ModelSpec:
    """The spec of an uploaded ONNX file (``model`` from :func:`render_upload`): its name and
    content digest, so two files never share a cached trace."""
    digest, name = _parts(model)
    return ModelSpec(ModelSource.ONNX, name, (("sha256", digest),))


def trace_of(spec: TraceSpec) -> Trace:
    """The trace of an uploaded ONNX file at the spec's input shape (read, never run)."""
    return _onnx_trace(spec.model.option("sha256"), spec.model.name, spec.input_shape)


@st.cache_data(max_entries=32, show_spinner=False)
def _match(digest: str, name: str) -> dict[str, Any]:
    match = vizcnn.match_checkpoint(_stored(digest, name), name=name)
    fit = match.fit
    return {"fits": fit is not None, "text": match.description if fit else match.explain(),
            "spec": None if fit is None else (fit.name, dict(fit.options), fit.num_classes)}


def file_notes(trace: Trace, lang: str) -> list[str]:
    """What to say beside the totals of an ONNX trace (nothing for other traces)."""
    if trace.spec is None or trace.spec.model.source is not ModelSource.ONNX:
        return []
    from vizcnn.onnx_import import folded_batchnorms   # onnx itself takes ~1 s to import

    notes = [tr(lang, "note_onnx")]
    folded = folded_batchnorms(trace)
    if folded:
        notes.append(tr(lang, "note_bn_folded", n=folded))
    return notes


def _read(uploaded: Any) -> dict[str, Any]:
    """Check and parse one upload: the model string of an ONNX file, a checkpoint's match,
    or the error to show."""
    name = uploaded.name
    try:
        kind = file_kind(name)
        if uploaded.size > DEFAULT_LIMITS.max_bytes:
            raise VizcnnError(f"{name} is {uploaded.size / MB:.0f} MB: over the {LIMIT_MB} MB "
                              f"limit for model files")
        digest, path = _store(uploaded.getvalue(), name)
        check_file(path, name=name)
        if kind is FileKind.ONNX:
            return {"model": f"{PREFIX}{digest}:{name}"}
        return {"match": _match(digest, name)}
    except VizcnnError as error:
        return {"error": str(error)}


def _open_in_zoo(name: str, options: dict[str, Any], num_classes: int) -> None:
    """Callback: show the recognised architecture in the zoo controls."""
    from vizcnn.ui import sidebar

    state = st.session_state
    state[sidebar.K_SOURCE] = "zoo"
    state[sidebar.K_FAMILY] = sidebar.family_of(name)
    state[sidebar.K_MODEL] = name
    state[sidebar.K_CLASSES] = str(num_classes)   # a checked text field (vizcnn.ui.inputs)
    sidebar._set_input_for(name)
    sidebar.apply_selection(options)


def render_upload(lang: str) -> str:
    """The upload widget; returns the model string of an uploaded ONNX file, else ""."""
    # No ``type=``: Streamlit would raise on another extension; the library's check says why.
    uploaded = st.file_uploader(tr(lang, "upload"), key=K_UPLOAD, help=tr(lang, "upload_help"),
                                max_upload_size=LIMIT_MB)
    st.caption(tr(lang, "upload_limit", mb=LIMIT_MB))
    if uploaded is None:
        st.session_state.pop(K_RESULT, None)
        return ""
    result = st.session_state.get(K_RESULT)
    if result is None or result["file_id"] != uploaded.file_id:
        with st.spinner(tr(lang, "upload_reading")):
            result = {"file_id": uploaded.file_id, **_read(uploaded)}
        st.session_state[K_RESULT] = result
    if "error" in result:
        st.error(tr(lang, "upload_bad", error=result["error"]), icon="⚠️")
        return ""
    if "match" in result:
        match = result["match"]
        if not match["fits"]:
            st.warning(tr(lang, "upload_no_fit", why=match["text"]), icon="🧩")
            return ""
        st.success(tr(lang, "upload_fits", model=match["text"]), icon="✅")
        name, options, classes = match["spec"]
        st.button(tr(lang, "upload_open"), key="upload_open", on_click=_open_in_zoo,
                  args=(name, options, classes or 1000))
        return ""
    return result["model"]
