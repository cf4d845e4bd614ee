from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils import timezone

from analytics.reporting.export import render_csv, render_json, report_table, run_report
from analytics.reporting.parameters import (
    ParameterDescription,
    ReportParameterError,
    describe_options,
    describe_shared_parameters,
    parse_report_parameters,
)
from analytics.reporting.registry import ReportNotFound, get_report, list_reports


class Command(BaseCommand):
    help = (
        "Print a report exactly as GET /api/reports/SLUG/ answers it, as JSON or as "
        "CSV. Parameters are those of the API; a dimension filter may be repeated "
        "or take comma-separated codes."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The report, e.g. day-distribution.")
        parser.add_argument(
            "--format",
            dest="output_format",
            choices=("json", "csv"),
            default="json",
            help="json (default) for the whole report, csv for its rows.",
        )
        for description, help_text in _command_line_parameters():
            flags = {f"--{description.name}", f"--{description.name.replace('_', '-')}"}
            # Every value is collected, as a query string does, so that a repeated
            # single-valued parameter is refused here just as by the API.
            parser.add_argument(
                *sorted(flags),
                dest=description.name,
                action="append",
                metavar="CODE" if description.many else description.type.upper(),
                help=help_text,
            )

    def handle(self, *args: Any, slug: str, output_format: str, **options: Any) -> None:
        """Validate the parameters as the API does and write the rendered report."""
        try:
            report = get_report(slug)
        except ReportNotFound as error:
            raise CommandError(str(error)) from None
        data = QueryDict(mutable=True)
        for description, _help in _command_line_parameters():
            if options.get(description.name):
                data.setlist(description.name, options[description.name])
        try:
            parameters = parse_report_parameters(report, data)
        except ReportParameterError as error:
            raise CommandError(f"Invalid parameters: {error}") from None

        payload = run_report(report, parameters, generated_at=timezone.now())
        if output_format == "csv":
            body = render_csv(report_table(report, payload))
        else:
            body = render_json(payload)
        self.stdout.write(body.decode("utf-8"), ending="")


def _command_line_parameters() -> list[tuple[ParameterDescription, str]]:
    """
    Return the shared parameters and every registered report's options, once each,
    with a help text that names the choices and which reports read an option.
    """
    described = {d.name: d for d in describe_shared_parameters()}
    readers: dict[str, list[str]] = {}
    for report in list_reports():
        for description in describe_options(report):
            described.setdefault(description.name, description)
            readers.setdefault(description.name, []).append(report.slug)

    return [
        (description, _help_text(description, readers.get(description.name, [])))
        for description in described.values()
    ]


def _help_text(description: ParameterDescription, readers: list[str]) -> str:
    text = description.help
    if description.choices:
        text += f" Choices: {', '.join(map(str, description.choices))}."
    if readers:
        text += f" Reports: {', '.join(readers)}."
    return text
