from django.core.management.base import BaseCommand

from analytics.services import rebuild_aggregates, refresh_aggregates


class Command(BaseCommand):
    help = "Apply pending consultation changes to the aggregates (or rebuild them)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Recompute every aggregate from the consultations.",
        )

    def handle(self, *args, rebuild: bool, **options):
        outcome = rebuild_aggregates() if rebuild else refresh_aggregates()
        self.stdout.write(
            f"Applied {outcome.changes_applied} changes and "
            f"{outcome.rebuild_pieces} rebuild days in {outcome.milliseconds} ms."
        )
