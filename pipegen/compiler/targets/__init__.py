"""Compile targets: one small module per target."""
