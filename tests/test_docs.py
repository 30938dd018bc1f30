"""The README states the conventions the code implements; keep them from drifting apart."""

from __future__ import annotations

from pathlib import Path

from vizcnn.ops import OP_DEFS, UNCOUNTED

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_cost_formula_is_in_the_readme_table() -> None:
    table = README.split("## Counting conventions", 1)[1]
    missing = [op for op, facts in OP_DEFS.items()
               if facts.cost is not UNCOUNTED and f"`{op}`" not in table]
    assert not missing, f"README formula table lacks {missing}"


def test_quick_start_is_two_make_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick and "make test" in quick
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci
