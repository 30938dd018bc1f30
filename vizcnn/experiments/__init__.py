"""Experiments: everything that builds and traces more than once, derived from a trace's spec."""
