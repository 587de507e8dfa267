"""LLM backends for `pipegen init --describe`, one small module per provider.

Not written yet: the issue for natural-language generation adds them here.
"""
