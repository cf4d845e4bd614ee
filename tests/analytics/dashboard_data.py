"""
A handful of consultations at known local times, and the users the dashboard tests
log in as.

Times are given in Asia/Shanghai (UTC+8, no DST), so that the expected slots can
be read off the list below.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Permission, User

from analytics.services import refresh_aggregates
from consultations.models import BusinessLine, Channel, Consultation

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 4 to Wednesday 6 March 2024, local.
RANGE = "from=2024-03-04&to=2024-03-07&tz=Asia/Shanghai"
PASSWORD = "a-long-test-password"

# (local start, channel code, business line code)
CONSULTATIONS: tuple[tuple[dt.datetime, str, str | None], ...] = (
    (dt.datetime(2024, 3, 4, 9, 10, tzinfo=SHANGHAI), "web", "retail"),
    (dt.datetime(2024, 3, 4, 9, 40, tzinfo=SHANGHAI), "web", None),
    (dt.datetime(2024, 3, 4, 10, 5, tzinfo=SHANGHAI), "app", "retail"),
    (dt.datetime(2024, 3, 5, 9, 20, tzinfo=SHANGHAI), "app", "finance"),
    (dt.datetime(2024, 3, 6, 21, 0, tzinfo=SHANGHAI), "web", "finance"),
)


def create_traffic() -> list[Consultation]:
    """Create the dimension values and consultations above and refresh aggregates."""
    channels = {
        code: Channel.objects.create(code=code, name=name)
        for code, name in (("web", "Website"), ("app", "Mobile app"))
    }
    lines = {
        code: BusinessLine.objects.create(code=code, name=name)
        for code, name in (("retail", "Retail"), ("finance", "Finance"))
    }
    consultations = Consultation.objects.bulk_create(
        Consultation(
            source="dashboard-tests",
            external_id=f"c{number}",
            started_at=started_at,
            ended_at=started_at + dt.timedelta(minutes=20),
            channel=channels[channel],
            business_line=lines.get(line or ""),
            converted=number % 2 == 0,
            satisfaction=5,
        )
        for number, (started_at, channel, line) in enumerate(CONSULTATIONS)
    )
    refresh_aggregates()
    return consultations


def create_staff(username: str, *, permissions: tuple[str, ...]) -> User:
    """Create an active staff user holding the given "app_label.codename" rights."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user
