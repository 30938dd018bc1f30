"""``python -m vizcnn``: the same command line as ``vizcnn``."""

from __future__ import annotations

import sys

from vizcnn.cli import main

sys.exit(main())
