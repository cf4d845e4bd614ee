import datetime as dt
import re
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.test import APIClient

from analytics.models import FillState
from analytics.reporting.base import Report, ReportQuery
from analytics.reporting.registry import list_reports
from consultations.models import BusinessLine, Channel, ConsultationType
from tests.analytics.sample_reports import EchoReport, registered

pytestmark = pytest.mark.django_db

GENERATED_AT = re.compile(rb'"generated_at":"[^"]*"')


class DepthOptions(serializers.Serializer):
    depth = serializers.IntegerField(default=1)


class DepthReport(Report):
    """Report nothing; it exists to declare an option the echo report lacks."""

    slug = "depth"
    title = _("Depth")
    description = _("Declares the option depth.")
    options_serializer = DepthOptions

    def compute(self, query: ReportQuery) -> dict[str, Any]:
        return {"rows": []}


@pytest.fixture
def echo_report() -> Iterator[type[Report]]:
    with registered(EchoReport) as report_class:
        yield report_class


@pytest.fixture
def dimension_values() -> None:
    Channel.objects.create(code="web", name="网站")
    Channel.objects.create(code="app", name="App")
    BusinessLine.objects.create(code="retail", name="零售")
    BusinessLine.objects.create(code="finance", name="金融")
    ConsultationType.objects.create(code="pre-sales", name="售前")
    FillState.objects.create(
        pk=1, last_refresh_finished_at=dt.datetime(2026, 2, 1, 3, 4, 5, tzinfo=dt.UTC)
    )


def _command(*arguments: str) -> bytes:
    out = StringIO()
    call_command("report", *arguments, stdout=out)
    return out.getvalue().encode("utf-8")


def _api(django_user_model: type[User], query: str) -> bytes:
    client = APIClient()
    client.force_login(django_user_model.objects.create_user("analyst"))
    response = client.get(f"/api/reports/echo/?{query}")
    assert response.status_code == 200
    return response.content


def test_report_json_equals_api_body_byte_for_byte(
    echo_report: type[Report], dimension_values: None, django_user_model: type[User]
) -> None:
    # Given the same parameters for the command line and the API
    from_command = _command(
        "echo",
        "--from", "2026-01-01",
        "--to", "2026-02-01",
        "--tz", "Asia/Shanghai",
        "--slot", "30",
        "--channel", "web",
        "--channel", "app",
        "--business-line", "retail,finance",
        "--consultation_type", "pre-sales",
        "--team", "-",
        "--label", "晚高峰",
        "--weekdays", "1",
        "--weekdays", "7",
    )  # fmt: skip
    from_api = _api(
        django_user_model,
        "from=2026-01-01&to=2026-02-01&tz=Asia/Shanghai&slot=30&channel=web"
        "&channel=app&business_line=retail,finance&consultation_type=pre-sales"
        "&team=-&label=晚高峰&weekdays=1&weekdays=7",
    )

    # Then both print the same bytes but for the moment they were generated
    assert GENERATED_AT.search(from_command)
    assert GENERATED_AT.sub(b"", from_command) == GENERATED_AT.sub(b"", from_api)
    assert "晚高峰".encode() in from_command


def test_report_csv_equals_api_body_byte_for_byte(
    echo_report: type[Report], dimension_values: None, django_user_model: type[User]
) -> None:
    from_command = _command(
        "echo", "--from", "2026-01-01", "--to", "2026-02-01", "--limit", "3",
        "--format", "csv",
    )  # fmt: skip
    from_api = _api(
        django_user_model, "from=2026-01-01&to=2026-02-01&limit=3&format=csv"
    )

    assert from_command == from_api
    assert (
        from_command
        == (
            "\ufeffslot,label,count,share\r\n"
            "00:00,早高峰,3,0.75\r\n"
            "01:00,'=1+1,1,\r\n"
            "02:00,'-,0,0.0\r\n"
        ).encode()
    )


def test_report_invalid_parameters_raise_command_error_naming_each(
    echo_report: type[Report],
) -> None:
    with pytest.raises(CommandError) as raised:
        _command("echo", "--tz", "Mars/Olympus", "--slot", "45", "--slot", "30")

    assert str(raised.value) == (
        "Invalid parameters: slot: Give one value, not 2.; tz: Unknown time zone "
        "Mars/Olympus; give an IANA name such as Asia/Shanghai."
    )


def test_report_option_of_another_report_is_refused(
    echo_report: type[Report],
) -> None:
    # Given a second report that declares --depth
    with registered(DepthReport):
        # When the echo report is given it
        with pytest.raises(CommandError) as raised:
            _command("echo", "--depth", "2")

    # Then it is an unknown parameter of the echo report
    assert str(raised.value) == (
        "Invalid parameters: depth: Unknown parameter; the parameters are: "
        "business_line, channel, consultation_type, customer_tier, detailed, from, "
        "label, limit, product_category, slot, team, to, tz, weekdays."
    )


def test_report_unknown_slug_raises_command_error_naming_known_ones(
    echo_report: type[Report],
) -> None:
    known = ", ".join(report.slug for report in list_reports())

    with pytest.raises(CommandError) as raised:
        _command("no-such-report")

    assert str(raised.value) == (
        f"No report is named no-such-report; the reports are: {known}."
    )
