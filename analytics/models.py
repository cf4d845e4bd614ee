"""
Incremental aggregates of consultations, the change log that feeds them and their
fill state.

Database triggers (see `triggers.py`) append every insert, update and delete of a
consultation to `ConsultationChange` in the same transaction as the write, with the
old values negated. A refresh turns a batch of changes into additive deltas per
bucket and grouping, adds them to the aggregates and deletes the batch, all in one
transaction: a crash loses nothing and counts nothing twice, and the cost follows the
number of changes, not the size of the history.

A measure that sums to zero is stored as NULL. Most rows of the finer groupings
count a handful of consultations, so most of their measures, and nearly all of
their histogram bins, are zero; PostgreSQL stores a NULL as one bit, where a zero
takes the column's full width. Ten million consultations over a year then need
18 GiB of aggregates instead of 24 (the histograms 5.5 GiB instead of 9.9), and
reads and refreshes go through fewer pages. Readers treat NULL as zero
(`selectors.py`); rows written before the engine stored NULLs keep their zeros
until a rebuild or a refresh rewrites them, which reads the same.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .buckets import SAMPLES_PER_BUCKET
from .grouping import DIMENSIONS
from .histogram import EDGES


def measure(field_class: type[models.Field] = models.IntegerField) -> models.Field:
    """Return a summed measure column: NULL where the sum is zero."""
    return field_class(null=True, blank=True)


class DimensionKey(models.Model):
    """The bucket, grouping and dimension ids that identify an aggregate row."""

    bucket_start = models.DateTimeField(_("bucket start"))
    grouping = models.PositiveSmallIntegerField(_("grouping"))
    channel = models.IntegerField(default=0)
    consultation_type = models.IntegerField(default=0)
    business_line = models.IntegerField(default=0)
    product_category = models.IntegerField(default=0)
    customer_tier = models.IntegerField(default=0)
    team = models.IntegerField(default=0)

    class Meta:
        abstract = True


KEY_FIELDS: tuple[str, ...] = ("grouping", *DIMENSIONS, "bucket_start")


class TrafficAggregate(DimensionKey):
    """
    Sums per 15-minute UTC bucket of the consultations that started in it, and the
    load of those in progress during it.

    Durations are integer microseconds. `in_progress_MM` counts the consultations in
    progress at minute MM of the bucket, the basis of the concurrency maximum.
    """

    volume = measure()
    converted = measure()
    abandoned = measure()
    rated = measure()
    satisfaction_sum = measure()
    satisfied = measure()
    responded = measure()
    wait_us = measure(models.BigIntegerField)
    ended = measure()
    duration_us = measure(models.BigIntegerField)
    busy_us = measure(models.BigIntegerField)

    class Meta:
        verbose_name = _("traffic aggregate")
        verbose_name_plural = _("traffic aggregates")
        constraints = [
            # Also the index every report reads through: equality on the grouping and
            # the dimension ids, then a range of buckets.
            # The only index besides the primary key: a refresh then rewrites a
            # row in place (a heap-only update) when its page has room, without
            # touching any index. On PostgreSQL every page keeps a tenth free for
            # that (migration 0006).
            models.UniqueConstraint(fields=KEY_FIELDS, name="traffic_aggregate_key")
        ]


SAMPLE_FIELDS: tuple[str, ...] = tuple(
    f"in_progress_{minute:02d}" for minute in range(SAMPLES_PER_BUCKET)
)
for _name in SAMPLE_FIELDS:
    TrafficAggregate.add_to_class(_name, measure())

TRAFFIC_MEASURES: tuple[str, ...] = (
    "volume",
    "converted",
    "abandoned",
    "rated",
    "satisfaction_sum",
    "satisfied",
    "responded",
    "wait_us",
    "ended",
    "duration_us",
    "busy_us",
    *SAMPLE_FIELDS,
)


class LatencyHistogram(DimensionKey):
    """
    Histograms of the first-response wait and of the duration of the consultations
    that started in a 15-minute UTC bucket.

    `wait_NN` and `duration_NN` count the consultations whose wait or duration falls
    in bin NN of `histogram.WAIT_EDGES` or `histogram.DURATION_EDGES`; `measured`
    counts those with either, so that a row back at zero is known to be empty. One
    row holds every bin, so a report sums columns of few rows.
    """

    measured = measure()

    class Meta:
        verbose_name = _("latency histogram")
        verbose_name_plural = _("latency histograms")
        constraints = [
            models.UniqueConstraint(fields=KEY_FIELDS, name="latency_histogram_key")
        ]


BIN_FIELDS: dict[str, tuple[str, ...]] = {
    metric: tuple(f"{metric}_{i:02d}" for i in range(len(edges)))
    for metric, edges in EDGES.items()
}
for _name in (*BIN_FIELDS["wait"], *BIN_FIELDS["duration"]):
    LatencyHistogram.add_to_class(_name, measure())

LATENCY_MEASURES: tuple[str, ...] = (
    "measured",
    *BIN_FIELDS["wait"],
    *BIN_FIELDS["duration"],
)


class ConsultationChange(models.Model):
    """
    One signed contribution waiting to be added to the aggregates.

    Written only by database triggers: +1 with the new values on insert, -1 with the
    old values on delete, both on an update that touches a counted field.
    """

    sign = models.SmallIntegerField()
    started_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True)
    channel_id = models.BigIntegerField(null=True)
    consultation_type_id = models.BigIntegerField(null=True)
    business_line_id = models.BigIntegerField(null=True)
    product_category_id = models.BigIntegerField(null=True)
    customer_tier_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    converted = models.BooleanField()
    abandoned = models.BooleanField()
    satisfaction = models.SmallIntegerField(null=True)

    class Meta:
        verbose_name = _("pending consultation change")
        verbose_name_plural = _("pending consultation changes")
        indexes = [
            # A rebuild piece consumes the changes of its own day.
            models.Index(fields=["started_at"], name="consultation_change_started")
        ]


# The consultation columns a change carries, in the order the engine reads them.
CHANGE_COLUMNS: tuple[str, ...] = (
    "started_at",
    "first_response_at",
    "ended_at",
    "channel_id",
    "consultation_type_id",
    "business_line_id",
    "product_category_id",
    "customer_tier_id",
    "team_id",
    "converted",
    "abandoned",
    "satisfaction",
)


class FillState(models.Model):
    """
    How far the aggregates are complete; a single row, locked by every refresh.

    `rebuild_started_at` without `rebuild_finished_at` means a rebuild is under way
    or was interrupted: its remaining pieces are run before any incremental work.
    """

    last_refresh_started_at = models.DateTimeField(null=True)
    last_refresh_finished_at = models.DateTimeField(null=True)
    changes_applied = models.BigIntegerField(default=0)
    rebuild_started_at = models.DateTimeField(null=True)
    rebuild_finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("aggregate fill state")
        verbose_name_plural = _("aggregate fill states")

    @property
    def rebuilding(self) -> bool:
        return self.rebuild_started_at is not None and self.rebuild_finished_at is None


class RebuildPiece(models.Model):
    """One day of consultations (by UTC start) to recompute during a rebuild."""

    day = models.DateField(unique=True)
    done = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("rebuild piece")
        verbose_name_plural = _("rebuild pieces")
