import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

import analytics.reports
from analytics.reporting.base import Report
from analytics.reporting.registry import (
    ReportNotFound,
    get_report,
    list_reports,
    register,
    unregister,
)
from tests.analytics.sample_reports import EchoReport, registered

THIRD_PARTY_APP = "tests.analytics.thirdparty_app"


def _report(slug: str, **attributes: Any) -> type[Report]:
    return type(
        "ProbeReport",
        (Report,),
        {"slug": slug, "title": "Probe", "description": "A probe.", **attributes},
    )


def test_register_new_slug_lists_and_returns_an_instance() -> None:
    # Given a registry holding whatever the installed apps registered
    before = [report.slug for report in list_reports()]

    # When a report registers
    with registered(EchoReport):
        listed = [report.slug for report in list_reports()]
        found = get_report("echo")

    # Then it is listed last, found as an instance, and gone once unregistered
    assert listed == [*before, "echo"]
    assert type(found) is EchoReport
    assert [report.slug for report in list_reports()] == before


def test_register_as_decorator_returns_the_class_unchanged() -> None:
    probe = _report("probe-decorator")

    try:
        assert register(probe) is probe
    finally:
        unregister("probe-decorator")


def test_register_duplicate_slug_raises_improperly_configured() -> None:
    # Given a registered report
    with registered(EchoReport):
        # When another class claims its slug
        with pytest.raises(ImproperlyConfigured) as raised:
            register(_report("echo"))

        # Then registration fails, naming the holder, and the first stays
        assert str(raised.value) == (
            "A report with the slug 'echo' is already registered (EchoReport)."
        )
        assert type(get_report("echo")) is EchoReport


@pytest.mark.parametrize("slug", ["", "Echo", "echo report", "echo/1", "-echo"])
def test_register_malformed_slug_raises_improperly_configured(slug: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        register(_report(slug))

    assert str(raised.value) == (
        "ProbeReport.slug must be lower-case letters, digits, hyphens and "
        f"underscores; got {slug!r}."
    )


def test_register_class_that_is_not_a_report_raises_improperly_configured() -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        register(dict)

    assert str(raised.value) == "<class 'dict'> is not a Report subclass."


def test_register_option_named_like_a_shared_parameter_raises() -> None:
    # Given options that would shadow the range and the format switch
    options = type(
        "ClashingOptions",
        (serializers.Serializer,),
        {"to": serializers.CharField(), "format": serializers.CharField()},
    )

    # When the report registers, then it is refused
    with pytest.raises(ImproperlyConfigured) as raised:
        register(_report("probe-clash", options_serializer=options))

    assert str(raised.value) == (
        "Options of ProbeReport shadow shared parameters: format, to."
    )


def test_get_report_unknown_slug_raises_report_not_found_naming_known_ones() -> None:
    with registered(EchoReport):
        known = ", ".join(report.slug for report in list_reports())

        with pytest.raises(ReportNotFound) as raised:
            get_report("nope")

    assert raised.value.slug == "nope"
    assert str(raised.value) == f"No report is named nope; the reports are: {known}."


def test_unregister_unknown_slug_raises_report_not_found() -> None:
    with pytest.raises(ReportNotFound):
        unregister("nope")


def test_report_csv_columns_default_to_first_row_keys() -> None:
    report = EchoReport()

    assert report.csv_columns({"rows": [{"slot": "00:00", "count": 1}]}) == [
        "slot",
        "count",
    ]
    assert report.csv_columns({"rows": []}) == []
    assert report.csv_columns({}) == []


def test_report_compute_not_overridden_raises_not_implemented() -> None:
    with pytest.raises(NotImplementedError):
        _report("probe-abstract")().compute(None)  # type: ignore[arg-type]


@pytest.fixture
def third_party_app() -> Iterator[str]:
    """Forget the third-party app's reports before and after the test."""
    sys.modules.pop(f"{THIRD_PARTY_APP}.reports", None)
    yield THIRD_PARTY_APP
    sys.modules.pop(f"{THIRD_PARTY_APP}.reports", None)
    if "thirdparty-sample" in [report.slug for report in list_reports()]:
        unregister("thirdparty-sample")


def test_ready_installed_app_with_reports_module_registers_its_reports(
    third_party_app: str, settings: Any
) -> None:
    # Given an app that ships a reports module but is not installed
    with pytest.raises(ReportNotFound):
        get_report("thirdparty-sample")

    # When it is installed (which runs every AppConfig.ready() again)
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, third_party_app]

    # Then its report is registered, without registering any other twice
    assert get_report("thirdparty-sample").title == "Third-party sample"


def test_analytics_reports_register_is_the_registry_decorator() -> None:
    # The name the plugin documentation gives: `from analytics.reports import register`.
    assert analytics.reports.register is register
    assert {"day-distribution", "weekday-hour", "trend", "concurrency", "quality"} <= {
        report.slug for report in list_reports()
    }
