"""What an ingestion run did: counts of records by outcome and the rejections."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Rejection:
    """
    One record that was not stored.

    `index` is the record's position in what the caller sent (plus the caller's
    `start_index`), `field` the record key at fault (or "record" when the record as a
    whole is unusable) and `reason` a translated sentence for the sender.
    """

    index: int
    field: str
    reason: str


@dataclass(slots=True)
class IngestResult:
    """Counts of records by outcome; every record is counted exactly once."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Return how many records this result accounts for."""
        return (
            self.created
            + self.updated
            + self.unchanged
            + self.skipped
            + len(self.rejected)
        )

    def add(self, other: "IngestResult") -> "IngestResult":
        """Add the counts and rejections of `other` to this result; return it."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.rejected.extend(other.rejected)
        return self
