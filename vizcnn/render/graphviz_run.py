"""Run Graphviz's ``dot`` on DOT text, with a hard time bound so a render never hangs the app.

``dot`` is a separate program (Debian package ``graphviz``); it is run in a subprocess that
is killed when it exceeds ``timeout``. Layout attributes written by :mod:`vizcnn.render.dot`
keep real models far below the bound; the bound is the guarantee for everything else.
"""

from __future__ import annotations

import shutil
import subprocess
from enum import Enum
from pathlib import Path

from vizcnn.errors import VizcnnError


class OutputFormat(str, Enum):
    """What ``render`` produces. ``dot`` is the source itself (no layout is run)."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"


def _dot_binary() -> str:
    binary = shutil.which("dot")
    if binary is None:
        raise VizcnnError(
            "Graphviz's `dot` program was not found on PATH, so the layer graph cannot be "
            "drawn. Install Debian's graphviz package: apt-get install graphviz")
    return binary


def render(dot_source: str, fmt: OutputFormat | str = OutputFormat.SVG, dpi: int = 96,
           timeout: float = 20.0) -> bytes:
    """Lay out ``dot_source`` and return the image bytes.

    Args:
        dot_source: Graphviz DOT text (see :func:`vizcnn.render.dot.to_dot`).
        fmt: svg, png, pdf or dot (the source returned as UTF-8 bytes).
        dpi: resolution of a PNG (ignored for vector formats).
        timeout: seconds before ``dot`` is killed and a :class:`VizcnnError` is raised.
    """
    try:
        fmt = OutputFormat(fmt)
    except ValueError:
        raise VizcnnError(f"unknown output format {fmt!r}; choose one of "
                          f"{[f.value for f in OutputFormat]}") from None
    if fmt is OutputFormat.DOT:
        return dot_source.encode("utf-8")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 1200:
        raise VizcnnError(f"dpi must be an integer between 10 and 1200, got {dpi!r}")
    command = [_dot_binary(), f"-T{fmt.value}"]
    if fmt is OutputFormat.PNG:
        command.append(f"-Gdpi={dpi}")
    try:
        done = subprocess.run(command, input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:   # subprocess.run has killed dot by now
        raise VizcnnError(
            f"Graphviz took longer than {timeout:g} s to lay out this graph and was stopped. "
            "Collapse it to a smaller depth, fold repeated blocks or expand fewer blocks."
        ) from None
    except OSError as error:
        raise VizcnnError(f"Graphviz's `dot` could not be run: {error}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = "; ".join(message[-3:]) or f"exit code {done.returncode}"
        raise VizcnnError(f"Graphviz failed to render the graph as {fmt.value}: {detail}")
    return done.stdout


def render_to_file(dot_source: str, path: str | Path, dpi: int = 96,
                   timeout: float = 20.0) -> Path:
    """Render to ``path``, the format chosen by its suffix (.svg, .png, .pdf, .dot/.gv)."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    suffix = "dot" if suffix == "gv" else suffix
    try:
        fmt = OutputFormat(suffix)
    except ValueError:
        raise VizcnnError(
            f"cannot tell the format of {str(path)!r} from its suffix; use .svg, .png, .pdf "
            "or .dot") from None
    data = render(dot_source, fmt, dpi=dpi, timeout=timeout)
    try:
        path.write_bytes(data)
    except OSError as error:
        raise VizcnnError(f"cannot write {str(path)!r}: {error}") from None
    return path


__all__ = ["OutputFormat", "render", "render_to_file"]
