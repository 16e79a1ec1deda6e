"""Instants as the API takes them: epoch milliseconds, and ISO-8601 with an offset where the API allows it.

One conversion for both halves: the construct turns a ``datetime`` into the text the
handler parses back, so the two can never round differently.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

EPOCH_MS_PATTERN = re.compile(r"^[0-9]+$")
# Below this many milliseconds (1973-03-03) a value is far more likely to be epoch
# *seconds* pasted by mistake than a real start time; AppFlow would silently pull
# from 1970 instead.
SMALLEST_PLAUSIBLE_EPOCH_MS = 100_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_epoch_ms(text: str) -> int | None:
    """Epoch milliseconds as the API documents them: digits only, nothing else."""
    return int(text) if EPOCH_MS_PATTERN.fullmatch(text) else None


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch of an aware ``moment``; sub-millisecond precision is dropped (floor)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def parse_instant(text: str) -> int | None:
    """Epoch ms or ISO-8601 with an explicit offset, as epoch ms; None when neither.

    A naive ISO timestamp is refused: the service and the deployer may disagree on
    its time zone, and an hour's difference in a data pull is silent data loss.
    """
    epoch = parse_epoch_ms(text)
    if epoch is not None:
        return epoch
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return epoch_ms(moment)
