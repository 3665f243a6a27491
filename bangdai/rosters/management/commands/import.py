"""``bangdai import mentors|apprentices|pairings FILE.xlsx --programme ID --as USERNAME [--dry-run]``."""

import os
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from bangdai.accounts.models import User
from bangdai.programmes.models import Programme
from bangdai.rosters import services
from bangdai.rosters.choices import RosterKind, RowAction
from bangdai.rosters.importing import ROW, Report
from bangdai.rosters.reading import RosterFileError


class Command(BaseCommand):
    help = "Import a roster of mentors, apprentices or pairings with the rights of a user; all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=RosterKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--programme", type=int, required=True, help="Programme id.")
        parser.add_argument("--as", dest="username", required=True, help="Import with this user's scope.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")
        parser.add_argument(
            "--background", action="store_true", help="Queue a job for a task worker (`bangdai db_worker`)."
        )
        parser.add_argument("--report", type=Path, help="Also write the per-row report to this xlsx file.")

    def handle(self, *args, kind, file, programme, username, dry_run, background, report, **options):
        self.verbosity = options.get("verbosity", 1)
        translation.activate(os.environ.get("BANGDAI_LANGUAGE", "zh-hans"))
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        target = Programme.objects.visible_to(user).select_related("region").filter(pk=programme).first()
        if target is None:
            raise CommandError(f"Programme {programme} does not exist or {username} cannot see it.")
        try:
            with file.open("rb") as handle:
                roster = services.upload(
                    actor=user, programme=target, kind=kind, file=File(handle, name=file.name), name=file.name
                )
        except RosterFileError as error:
            raise CommandError(str(error)) from None
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        if background:
            if not dry_run:
                # A queued import needs a clean check first; run the check now (fast) then queue the import.
                services.process(roster, actor=user, dry_run=True)
                roster.refresh_from_db()
                self._print(Report.from_data(roster.report) if "rows" in roster.report else None, roster)
                if roster.status != "checked":
                    raise CommandError("Rows failed the check; nothing was queued.")
            job = services.submit(roster, actor=user, dry_run=dry_run, background=True)
            self.stdout.write(f"job {job.pk} queued for upload {roster.pk}")
            return
        result = services.process(roster, actor=user, dry_run=dry_run)
        roster.refresh_from_db()
        self._print(result, roster)
        if report and roster.report_file:
            with roster.report_file.open("rb") as source:
                report.write_bytes(source.read())
        if result is None or result.error_rows:
            raise CommandError("Nothing was written." if result else roster.report.get("error", ""))

    def _print(self, report: Report | None, roster) -> None:
        if report is None:
            self.stderr.write(roster.report.get("error", ""))
            return
        labels = dict(RowAction.choices)
        for row in report.rows:
            if row.errors:
                for key, messages in row.errors.items():
                    column = report.header_of(key) if key != ROW else ""
                    for message in messages:
                        self.stdout.write(f"row {row.number}\t{labels[RowAction.ERROR]}\t{column}\t{message}")
            elif report.dry_run or self.verbosity > 1:
                self.stdout.write(f"row {row.number}\t{labels.get(row.action, row.action)}")
        self.stdout.write(services.summary(report, roster))
        sys.stdout.flush()
