"""Lambda entry point (handler ``index.handler``); the logic lives in appintegrations_cr.

If the provider's code cannot be imported, ``handler`` is instead the one of
``appintegrations_cr.import_failure``: it answers every event at once (Create and Update
FAILED, naming the import error; Delete SUCCESS) and logs the error, where an init
failure would leave CloudFormation waiting for the resource's ServiceTimeout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

handler: Callable[[Any, Any], None]
try:
    from appintegrations_cr.handler import handler
except Exception as error:
    from appintegrations_cr.import_failure import answering_handler

    handler = answering_handler(error)

__all__ = ["handler"]
