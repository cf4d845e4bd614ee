"""Generate realistic demo consultations with known patterns."""

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from tqdm import tqdm

from consultations.demo.generator import generate_demo_data
from consultations.demo.scenario import DemoOptions
from consultations.demo.truth import write_truth


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs text, not a lazy string
        return gettext(
            "Generate demo consultations ending at --end (default: yesterday in the "
            "business time zone) and write the ground truth of the injected patterns. "
            "The same arguments give the same data; keys already stored are skipped."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help=_("Days to generate."))
        parser.add_argument(
            "--per-day",
            type=int,
            default=3000,
            help=_("Consultations on an ordinary working day."),
        )
        parser.add_argument("--seed", type=int, default=1, help=_("Random seed."))
        parser.add_argument(
            "--end", help=_("Last day, YYYY-MM-DD, in the business time zone.")
        )
        parser.add_argument(
            "--truth",
            default=str(Path(settings.BASE_DIR) / "var" / "demo-truth.json"),
            help=_("Where to write the ground-truth JSON file."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Generate the range, write the truth file and print a summary."""
        demo = self._demo_options(options)
        started = time.monotonic()

        with tqdm(
            total=demo.days, unit="day", disable=options["verbosity"] == 0
        ) as progress:
            result = generate_demo_data(demo, on_day=lambda count: progress.update(1))
        truth_path = Path(options["truth"])
        write_truth(result.truth, truth_path)

        self.stdout.write(
            gettext(
                "Generated %(generated)d consultations from %(start)s to %(end)s "
                "(%(created)d new, %(skipped)d already stored), %(customers)d "
                "customers, %(agents)d agents in %(seconds).1f s; ground truth in "
                "%(truth)s."
            )
            % {
                "generated": result.generated,
                "start": demo.start.isoformat(),
                "end": demo.end.isoformat(),
                "created": result.created,
                "skipped": result.generated - result.created,
                "customers": result.customers,
                "agents": result.agents,
                "seconds": time.monotonic() - started,
                "truth": truth_path,
            }
        )

    def _demo_options(self, options: dict[str, Any]) -> DemoOptions:
        """Validate the arguments; raise CommandError naming the bad one."""
        for name in ("days", "per_day"):
            if options[name] < 1:
                raise CommandError(
                    gettext("--%(option)s must be at least 1, got %(value)d.")
                    % {"option": name.replace("_", "-"), "value": options[name]}
                )
        if options["seed"] < 0:
            raise CommandError(
                gettext("--seed must not be negative, got %(value)d.")
                % {"value": options["seed"]}
            )

        time_zone = settings.PEAKDESK_BUSINESS_TIME_ZONE
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                gettext("Unknown business time zone %(zone)s.") % {"zone": time_zone}
            ) from None
        return DemoOptions(
            days=options["days"],
            per_day=options["per_day"],
            seed=options["seed"],
            end=self._end(options["end"], zone),
            time_zone=time_zone,
        )

    def _end(self, value: str | None, zone: ZoneInfo) -> date:
        if value is None:
            return timezone.localdate(timezone=zone) - timedelta(days=1)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                gettext("--end must be a date as YYYY-MM-DD, got %(value)s.")
                % {"value": value}
            ) from None
