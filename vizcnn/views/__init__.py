"""Views: pure functions of a traced graph (tables, collapsed graphs, stages, figures)."""
