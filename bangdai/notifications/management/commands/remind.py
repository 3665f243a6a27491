"""``bangdai remind [--date YYYY-MM-DD] [--dry-run]``: one day's reminders, notices, escalations and e-mails."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bangdai.core.cli import activate_language
from bangdai.notifications import runs


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "Run one day's reminders: remind before deadlines, notify and escalate after them, e-mail what is due. "
        "Running it twice on one day sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, help="The day to run for (default: today).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be sent; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args, **options):
        activate_language()
        day = options["date"] or timezone.localdate()
        if options["dry_run"]:
            counts = runs.run_day(day, dry_run=True)
            drafts = counts.pop("drafts")
            if options["json"]:
                rows = [
                    {
                        "recipient": d.recipient_id,
                        "kind": d.kind,
                        "key": d.key,
                        "title": d.title,
                        "link": d.link,
                    }
                    for d in drafts
                ]
                self.stdout.write(json.dumps({**counts, "notifications": rows}, ensure_ascii=False, indent=2))
                return
            for d in drafts:
                self.stdout.write(f"would notify user {d.recipient_id} [{d.kind}] {d.title}")
            self.stdout.write(f"{day}: {counts['written']} notifications would be written (dry run).")
            return
        run = runs.record_run(day)
        run = runs.execute(run)
        counts = run.counts
        if options["json"]:
            self.stdout.write(json.dumps(counts, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{day}: {counts['written']} notifications written ({counts['found']} found), "
            f"{counts.get('emails', 0)} e-mails sent, {counts.get('failed', 0)} failed, "
            f"{counts.get('skipped', 0)} not e-mailed (no address)."
        )
        for kind, n in counts["by_kind"].items():
            self.stdout.write(f"  {kind}: {n}")
