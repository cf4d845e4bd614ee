from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from analytics.services import rebuild_aggregates, refresh_aggregates


class Command(BaseCommand):
    help = "Apply pending consultation changes to the aggregates (or rebuild them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Recompute every aggregate from the consultations.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="Changes applied per transaction (default 10000).",
        )

    def handle(self, *args: object, rebuild: bool, batch_size: int, **options) -> None:
        """Run one refresh or rebuild in the foreground and say what it did."""
        if batch_size < 1:
            raise CommandError(
                _("--batch-size must be at least 1, got %(value)d.")
                % {"value": batch_size}
            )

        if rebuild:
            outcome = rebuild_aggregates(batch_size=batch_size)
        else:
            outcome = refresh_aggregates(batch_size=batch_size)
        self.stdout.write(
            _(
                "Applied %(changes)d changes and %(days)d rebuild days in "
                "%(milliseconds)d ms."
            )
            % {
                "changes": outcome.changes_applied,
                "days": outcome.rebuild_pieces,
                "milliseconds": outcome.milliseconds,
            }
        )
