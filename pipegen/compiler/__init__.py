"""The deterministic PipeGen compiler: parse, check, lower, emit."""
