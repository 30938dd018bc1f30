"""Model files a person brings: ``.onnx`` graphs and checkpoints, checked before they are read.

Every file is data, never code. Before any parser sees it, the file is checked here: its
extension, its size against a cap, and its first bytes (a renamed TorchScript archive or a
pickle where ONNX belongs is refused with the reason). Parsing then runs in a bounded child
process (:mod:`vizcnn.sandbox`); what comes back is plain JSON.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from enum import Enum
from pathlib import Path
from typing import Any, Sequence

from vizcnn.api import Trace
from vizcnn.errors import VizcnnError
from vizcnn.sandbox import DEFAULT_LIMITS, MB, Limits, run_isolated


class FileKind(str, Enum):
    """What a model file holds, by its extension."""

    ONNX = "onnx"
    SAFETENSORS = "safetensors"
    STATE_DICT = "state_dict"   # torch.save of a state_dict (.pth, .pt, .bin, .ckpt)


EXTENSIONS = {".onnx": FileKind.ONNX, ".safetensors": FileKind.SAFETENSORS,
              ".pth": FileKind.STATE_DICT, ".pt": FileKind.STATE_DICT,
              ".bin": FileKind.STATE_DICT, ".ckpt": FileKind.STATE_DICT}
_ZIP = b"PK\x03\x04"
_PICKLE = b"\x80"


def file_kind(name: str) -> FileKind:
    """The kind of a file by its extension; a clear error for any other extension."""
    suffix = Path(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise VizcnnError(f"{Path(name).name}: vizcnn reads {', '.join(EXTENSIONS)} files, not "
                          f"{suffix or 'files without an extension'}", reason="extension")
    return EXTENSIONS[suffix]


def _torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.endswith("/constants.pkl") or "/code/" in n for n in names)


def check_file(path: str | Path, limits: Limits = DEFAULT_LIMITS, name: str | None = None
               ) -> FileKind:
    """Refuse a file before parsing it: missing, wrong extension, empty, over the size cap,
    TorchScript, or content that is not what its extension says. Returns its kind."""
    path = Path(path)
    name = name or path.name
    kind = file_kind(name)
    if not path.is_file():
        raise VizcnnError(f"{name}: no such file", reason="missing")
    size = path.stat().st_size
    if size == 0:
        raise VizcnnError(f"{name} is empty (0 bytes)", reason="empty")
    if size > limits.max_bytes:
        raise VizcnnError(f"{name} is {_amount(size)}: over the {_amount(limits.max_bytes)} "
                          f"limit for model files", reason="too large")
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(_ZIP) and _torchscript(path):
        raise VizcnnError(f"{name} is a TorchScript program: loading it means running its "
                          f"code, which vizcnn never does. Export the model to ONNX or save "
                          f"its state_dict instead", reason="torchscript")
    if kind is FileKind.ONNX and (head.startswith(_ZIP) or head.startswith(_PICKLE)):
        raise VizcnnError(f"{name} is a PyTorch file (torch.save), not ONNX: rename it .pth if "
                          f"it holds a state_dict, or export the model to ONNX",
                          reason="not onnx")
    if kind is FileKind.STATE_DICT and not (head.startswith(_ZIP) or head.startswith(_PICKLE)):
        raise VizcnnError(f"{name} is not a file written by torch.save", reason="malformed")
    if kind is FileKind.SAFETENSORS:
        _check_safetensors_header(name, head, size)
    return kind


def _amount(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB else f"{size:,} bytes"


def _check_safetensors_header(name: str, head: bytes, size: int) -> None:
    """A safetensors file starts with its JSON header's length (8 bytes, little-endian)."""
    if len(head) < 9:
        raise VizcnnError(f"{name} is too short to be a safetensors file", reason="malformed")
    length = struct.unpack("<Q", head[:8])[0]
    if length > size - 8 or head[8:9] != b"{":
        raise VizcnnError(f"{name} is not a safetensors file (or it is truncated): its header "
                          f"says {length:,} bytes, the file holds {size - 8:,}",
                          reason="malformed")


def digest(path: str | Path) -> str:
    """SHA-256 of the file's bytes: two files never share a cache key or a spec."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MB), b""):
            sha.update(block)
    return sha.hexdigest()


def load_onnx(path: str | Path, input_size: Sequence[Any] | None = None, *,
              name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Trace:
    """A :class:`~vizcnn.Trace` of an ONNX file, read in a bounded child process and never run.

    Args:
        path: the ``.onnx`` file. Its external-data file (``.onnx.data``), if any, is never
            opened: the weights' shapes are in the ``.onnx`` itself.
        input_size: a shape such as ``(1, 3, 224, 224)`` (or one per graph input) for the
            file's symbolic dims; ``None`` when the file's input shapes are static.
        name: what to call the model (an upload's own file name); default the path's name.
        limits: size cap, time and memory bounds of the read.
    """
    path = Path(path)
    name = name or path.name
    if check_file(path, limits, name) is not FileKind.ONNX:
        raise VizcnnError(f"{name} is not an .onnx file: for a checkpoint use "
                          f"vizcnn.match_checkpoint", reason="extension")
    size = None if input_size is None else _plain(input_size)
    data = run_isolated("onnx", path, {"input_size": size, "digest": digest(path),
                                       "name": name}, limits)
    return Trace.from_dict(data)


def file_notes(trace: Trace) -> list[str]:
    """What a reader of an ONNX trace's totals must know, beside the totals."""
    from vizcnn.spec import ModelSource

    if trace.spec is None or trace.spec.model.source is not ModelSource.ONNX:
        return []
    from vizcnn.onnx_import import folded_batchnorms   # onnx itself takes ~1 s to import

    notes = ["read from an ONNX file, never run; ONNX does not mark trainable tensors, so "
             "trainable = params"]
    folded = folded_batchnorms(trace)
    if folded:
        notes.append(f"the exporter folded BatchNorm into {folded} convolution(s): their "
                     f"scale and shift are inside the conv weights and bias, no BatchNorm "
                     f"params, buffers or FLOPs are left")
    return notes


def _plain(size: Sequence[Any]) -> list:
    return [_plain(s) if isinstance(s, (tuple, list)) else int(s) for s in size]


__all__ = ["EXTENSIONS", "FileKind", "check_file", "digest", "file_kind", "file_notes",
           "load_onnx"]
