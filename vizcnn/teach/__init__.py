"""The seed notes' ideas, computed from traces: one small module per idea, no Streamlit.

* :mod:`~vizcnn.teach.formulas` — output-size, MAC and parameter formulas of one layer
* :mod:`~vizcnn.teach.vgg_stacks` — stacked 3×3 convs against one 5×5 / 7×7
* :mod:`~vizcnn.teach.inception` — branch shares and the saving of 1×1 reductions
* :mod:`~vizcnn.teach.residual` — identity, projection or pooled shortcuts, hourglass or spindle
* :mod:`~vizcnn.teach.se` — the SE shape walk and the cost of SE
* :mod:`~vizcnn.teach.depthwise` — depthwise-separable cost ratio, channel profiles
* :mod:`~vizcnn.teach.shuffle`, :mod:`~vizcnn.teach.ghost` — channel shuffle, Ghost modules

Their explanations, in English and Chinese, are in :mod:`vizcnn.words.lessons`.

Every number comes from a trace: the model's own, or the traces of the small models to
compare against that :mod:`vizcnn.experiments.lessons` builds from it and hands in. The
lessons themselves never build or trace (``tests/test_layers.py`` checks it; ``whatif`` is
moving to ``vizcnn.experiments``); block roles come from :mod:`vizcnn.views.structure`.
"""

from __future__ import annotations

from vizcnn.teach import (  # noqa: F401
    depthwise, formulas, ghost, inception, residual, se, shuffle, vgg_stacks,
)

__all__ = ["depthwise", "formulas", "ghost", "inception", "residual", "se", "shuffle",
           "vgg_stacks"]
