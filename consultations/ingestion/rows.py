"""The row that ingestion writes for a consultation: its columns besides the key."""

from typing import Any

# In write order: a row is a tuple of their values.
ROW_COLUMNS: tuple[str, ...] = (
    "started_at",
    "first_response_at",
    "ended_at",
    "customer_timezone",
    "channel_id",
    "consultation_type_id",
    "business_line_id",
    "product_category_id",
    "customer_tier_id",
    "customer_id",
    "agent_id",
    "team_id",
    "converted",
    "satisfaction",
    "abandoned",
    "message_count",
)
Row = tuple[Any, ...]
# What a new consultation holds in the columns its first record leaves out.
NEW_ROW: dict[str, Any] = {
    **dict.fromkeys(ROW_COLUMNS),
    "customer_timezone": "",
    "converted": False,
    "abandoned": False,
    "message_count": 0,
}
