"""PipeGen: compile a pipeline spec into a ready-to-run Flink SQL project."""

__version__ = "0.1.0"
