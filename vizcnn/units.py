"""Human-readable numbers, one style for every view: ``4.09G``, ``25.6M``, ``9.63MB``."""

from __future__ import annotations


def human(value: float, unit: str = "") -> str:
    """Three significant digits with a K/M/G/T prefix (powers of 1000) and an optional unit."""
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}{unit}"
    text = str(int(value)) if value == int(value) else f"{value:.3g}"
    return f"{text}{unit}"
