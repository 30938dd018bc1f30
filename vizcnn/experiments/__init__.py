"""Experiments: anything that builds or runs a model, or measures this machine, beyond the
one meta trace (training-memory pass, latency profile, micro-benchmarks)."""
