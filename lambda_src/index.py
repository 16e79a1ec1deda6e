"""Lambda entry point (handler ``index.handler``); the logic lives in appintegrations_cr."""

from appintegrations_cr.handler import handler

__all__ = ["handler"]
