"""Execution/validation engines for generated SQL (see flink.py)."""
