"""How current the aggregates behind the dashboard are."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from analytics.selectors import get_fill_state

# Data older than this many refresh intervals means refreshes are failing or late.
STALE_AFTER_INTERVALS = 2


@dataclass(frozen=True)
class Freshness:
    data_as_of: dt.datetime | None
    refresh_seconds: int

    @property
    def never_refreshed(self) -> bool:
        return self.data_as_of is None

    @property
    def stale(self) -> bool:
        if self.data_as_of is None:
            return False
        limit = dt.timedelta(seconds=STALE_AFTER_INTERVALS * self.refresh_seconds)
        return timezone.now() - self.data_as_of > limit


def get_freshness() -> Freshness:
    """Return when the aggregates were last refreshed and the refresh interval."""
    return Freshness(
        data_as_of=get_fill_state().last_refresh_finished_at,
        refresh_seconds=settings.PEAKDESK_REFRESH_SECONDS,
    )
