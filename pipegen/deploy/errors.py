"""The one error deploy, status and stop report to the user: what is wrong and how to fix it (exit 2; 1 for a
spec error)."""

from __future__ import annotations


class DeployError(Exception):
    def __init__(self, message: str, hint: str = "", code: int = 2):
        super().__init__(message)
        self.hint = hint
        self.code = code
