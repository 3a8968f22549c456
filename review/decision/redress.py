"""The redress window, in plain Python (no Django: import-linter contract).

After publication, a bid's coordinator may file a procedural appeal for ``days`` days, to the
second: the window is ``[published_at, published_at + days)``. An appeal at the very instant
the window closes is late.
"""

from datetime import datetime, timedelta


def redress_closes_at(published_at: datetime, days: int) -> datetime:
    """The first instant at which an appeal is refused."""
    return published_at + timedelta(days=days)


def redress_open(published_at: datetime, days: int, now: datetime) -> bool:
    """Whether an appeal filed at ``now`` is within the window."""
    return published_at <= now < redress_closes_at(published_at, days)
