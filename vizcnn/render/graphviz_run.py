"""Run Graphviz's ``dot`` on DOT text, with a hard time bound so a render never hangs the app.

``dot`` is a separate program (Debian package ``graphviz``); it is run in a subprocess that
is killed when it exceeds ``timeout``. Layout attributes written by :mod:`vizcnn.render.dot`
keep real models far below the bound; the bound is the guarantee for everything else.

Cairo, which draws Graphviz's PNGs, stops at 32,767 pixels a side, and ``dot`` then shrinks the
whole image to fit (a fully opened ResNet-152 is 41,000 px tall: its text would be 4 px). A
PNG never comes out shrunk here: :func:`render` raises :class:`ImageTooLarge`, which names the
size and points to SVG/PDF, and :func:`render_poster` draws the same graph as a set of tiles
at full resolution (one layout, each tile a clip of it).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import zipfile
from enum import Enum
from pathlib import Path

from vizcnn.errors import VizcnnError


class OutputFormat(str, Enum):
    """What ``render`` produces. ``dot`` is the source itself (no layout is run)."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"


CAIRO_LIMIT_PX = 32767   # cairo's largest image side
POSTER_TILE_PX = 8000    # side of one poster tile


class ImageTooLarge(VizcnnError):
    """A PNG of the graph would pass cairo's size limit (and come out shrunk)."""

    def __init__(self, width_px: int, height_px: int, dpi: int) -> None:
        super().__init__(
            f"a PNG of this graph would be {width_px:,}×{height_px:,} px at {dpi} dpi, past "
            f"cairo's {CAIRO_LIMIT_PX:,} px limit, so Graphviz would shrink it until its text "
            "is unreadable. Use SVG or PDF (vector, any size), a PNG poster of tiles at full "
            "resolution, a lower dpi, or collapse the graph to a smaller depth.")
        self.width_px, self.height_px, self.dpi = width_px, height_px, dpi


def _dot_binary(name: str = "dot") -> str:
    binary = shutil.which(name)
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
    done = _run(command, dot_source, fmt.value, timeout)
    if fmt is OutputFormat.PNG and b"too large for cairo" in done.stderr:
        width, height = _png_size(done.stdout)
        scale = re.search(rb"Scaling by ([\d.]+)", done.stderr)
        factor = float(scale.group(1)) if scale else 1.0
        raise ImageTooLarge(round(width / factor), round(height / factor), dpi)
    return done.stdout


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def svg_size_pt(svg: bytes) -> tuple[float, float]:
    """Width and height of a Graphviz SVG, in points (1/72 inch)."""
    match = re.search(rb'<svg width="([\d.]+)pt"\s+height="([\d.]+)pt"', svg)
    if match is None:
        raise VizcnnError("not a Graphviz SVG: no width and height in points")
    return float(match.group(1)), float(match.group(2))


def png_fits(width_pt: float, height_pt: float, dpi: int) -> bool:
    """Whether a PNG of a drawing this size stays within cairo's limit at ``dpi``."""
    return max(width_pt, height_pt) * dpi / 72 <= CAIRO_LIMIT_PX


def render_poster(dot_source: str, dpi: int = 96, tile_px: int = POSTER_TILE_PX,
                  timeout: float = 60.0) -> list[bytes]:
    """The graph as PNG tiles of at most ``tile_px`` a side, top to bottom and left to right,
    each at full resolution: laid out once by ``dot``, then each tile drawn from those
    positions by ``neato -n2`` with a clipping viewport."""
    laid = _run([_dot_binary(), "-Tdot"], dot_source, "dot", timeout).stdout.decode("utf-8")
    box = re.search(r'\bbb="([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)"', laid)
    if box is None:
        raise VizcnnError("Graphviz gave no bounding box for the poster")
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    margin = 8.0
    x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    side = tile_px * 72 / dpi          # a tile's side in points
    columns = max(1, math.ceil((x1 - x0) / side))
    rows = max(1, math.ceil((y1 - y0) / side))
    tiles = []
    for row in range(rows):
        top = y1 - row * side
        height = min(side, top - y0)
        for column in range(columns):
            left = x0 + column * side
            width = min(side, x1 - left)
            viewport = f"{width:.2f},{height:.2f},1,{left + width / 2:.2f},{top - height / 2:.2f}"
            command = [_dot_binary("neato"), "-n2", "-Tpng", f"-Gdpi={dpi}",
                       f"-Gviewport={viewport}"]
            tiles.append(_run(command, laid, "png", timeout).stdout)
    return tiles


def poster_zip(tiles: list[bytes], stem: str) -> bytes:
    """Poster tiles in one ZIP archive, named ``stem-01.png``, ``stem-02.png``, …"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i, tile in enumerate(tiles, start=1):
            archive.writestr(f"{stem}-{i:02d}.png", tile)
    return buffer.getvalue()


def _run(command: list[str], dot_source: str, what: str, timeout: float
         ) -> subprocess.CompletedProcess:
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
        raise VizcnnError(f"Graphviz failed to render the graph as {what}: {detail}")
    return done


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


__all__ = [
    "CAIRO_LIMIT_PX", "ImageTooLarge", "OutputFormat", "png_fits", "poster_zip", "render",
    "render_poster", "render_to_file", "svg_size_pt",
]
