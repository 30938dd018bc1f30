"""Experiments: everything that builds and traces more than once — resolution sweeps, model
comparisons, what-if variants, the input sizes a model accepts.

Each starts from what a trace records about how it was made (:class:`vizcnn.spec.TraceSpec`)
and derives its variants from that spec, never from widget state, so what it shows is a
variant of the model on screen. This package sits just above the API; views below it never
build or trace.
"""

from __future__ import annotations

from vizcnn.experiments.compare import compare, compare_point, compare_spec, point_of
from vizcnn.experiments.naming import changed_options, file_stem, model_label
from vizcnn.experiments.sizes import accepted_sides, expected_channels, min_input_size
from vizcnn.experiments.sweep import MAX_SWEEP_SIDES, sides_between, smallest_step, sweep
from vizcnn.experiments.whatif import WhatIf, variant_spec, what_if

__all__ = [
    "MAX_SWEEP_SIDES", "WhatIf", "accepted_sides", "changed_options", "compare",
    "compare_point", "compare_spec", "expected_channels", "file_stem", "min_input_size",
    "model_label", "point_of", "sides_between", "smallest_step", "sweep", "variant_spec",
    "what_if",
]
