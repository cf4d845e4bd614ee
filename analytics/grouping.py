"""
The dimensions that statistics are filtered by, and the grouping sets stored for them.

An aggregate row keeps the values of some dimensions and rolls the others up; the
`grouping` bitmask says which are kept. Every set of at most two dimensions is stored,
so that a report with up to two filters reads one small series per filter value; the
full set serves any other combination. Dimension values are ids, 0 meaning "none"
for a kept dimension and "all" for a rolled-up one.
"""

from collections.abc import Iterable
from itertools import combinations

DIMENSIONS: tuple[str, ...] = (
    "channel",
    "consultation_type",
    "business_line",
    "product_category",
    "customer_tier",
    "team",
)

FULL_GROUPING = (1 << len(DIMENSIONS)) - 1


def grouping_of(dimensions: Iterable[str]) -> int:
    """Return the bitmask that keeps exactly the given dimensions."""
    mask = 0
    for name in dimensions:
        mask |= 1 << DIMENSIONS.index(name)
    return mask


def kept_dimensions(grouping: int) -> tuple[str, ...]:
    """Return the names of the dimensions a grouping bitmask keeps."""
    return tuple(name for i, name in enumerate(DIMENSIONS) if grouping & (1 << i))


def _sets_up_to(size: int) -> tuple[int, ...]:
    sets = [
        grouping_of(combo)
        for n in range(size + 1)
        for combo in combinations(DIMENSIONS, n)
    ]
    return (*sets, FULL_GROUPING)


# Every aggregate keeps these groupings: each filter pair gets its own series.
GROUPINGS = _sets_up_to(2)


def stored_grouping(filtered: Iterable[str]) -> int:
    """Return the smallest stored grouping that keeps every filtered dimension."""
    wanted = grouping_of(filtered)
    if wanted in GROUPINGS:
        return wanted
    return FULL_GROUPING
