"""``bangdai ledger list|show|record|confirm|verify|correct|withdraw|review ... --as USERNAME``."""

import datetime as dt
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from bangdai.core import cli
from bangdai.core.choices import ContentArea, Method
from bangdai.core.filters import visible_region
from bangdai.ledger import selectors, services
from bangdai.ledger.choices import LedgerFlag, Verification
from bangdai.ledger.filtersets import filter_flag
from bangdai.ledger.models import Activity
from bangdai.pairings.models import Pairing
from bangdai.regions.models import Region

MAX_LISTED = 500


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"Not a month (YYYY-MM): {text!r}") from None


def _place(code: str) -> Region:
    region = Region.objects.current().filter(code=code.strip()).first()
    if region is None:
        raise CommandError(f"No current region has the code {code!r}.")
    return region


def _files(paths: list[str]) -> list[SimpleUploadedFile]:
    files = []
    for name in paths or []:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"No such file: {name}")
        files.append(SimpleUploadedFile(path.name, path.read_bytes()))
    return files


def row(activity: Activity) -> dict:
    return {
        "id": activity.pk,
        "pairing": activity.pairing_id,
        "apprentice": activity.pairing.apprentice.person.name,
        "mentors": [m.mentor.person.name for m in activity.pairing.members.all()],
        "occurred_on": activity.occurred_on,
        "duration_min": activity.duration_min,
        "method": activity.method,
        "content_areas": activity.content_areas,
        "place": activity.place.code,
        "place_name": activity.place.name,
        "on_site": activity.on_site,
        "summary": activity.summary,
        "problems_solved": activity.problems_solved,
        "logged_as": activity.logged_as,
        "logged_by": str(activity.logged_by or ""),
        "status": activity.status,
        "standing": selectors.standing(activity).value,
        "confirm_due": activity.confirm_due,
        "confirmed_at": activity.confirmed_at,
        "verification": activity.verification,
        "verification_note": activity.verification_note,
        "files": [{"id": f.pk, "name": f.name, "kind": f.kind, "size": f.size} for f in activity.files],
    }


class Command(BaseCommand):
    help = (
        "List, show, record, confirm, correct, withdraw and check ledger entries, with the rights of a user."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Entries the user can see.")
        listing.add_argument("--pairing", type=int)
        listing.add_argument("--region", help="A region code: its whole subtree.")
        listing.add_argument("--month", type=_month, help="YYYY-MM")
        listing.add_argument("--method", choices=Method.values)
        listing.add_argument("--flag", choices=LedgerFlag.values)
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        show = sub.add_parser("show", help="One entry with its history.")
        show.add_argument("activity", type=int)
        show.add_argument("--json", action="store_true")
        cli.add_as(show)
        record = sub.add_parser("record", help="Record an activity of your own running pairing.")
        record.add_argument("--pairing", type=int, required=True)
        self._fields(record, required=True)
        record.add_argument("--lng", type=float)
        record.add_argument("--lat", type=float)
        cli.add_as(record)
        correct = sub.add_parser("correct", help="Correct your own entry (--note once it was confirmed).")
        correct.add_argument("activity", type=int)
        self._fields(correct, required=False)
        correct.add_argument("--note", default="")
        correct.add_argument("--remove-file", dest="remove_evidence", type=int, action="append", default=[])
        cli.add_as(correct)
        confirm = sub.add_parser("confirm", help="Confirm an entry of the other party.")
        confirm.add_argument("activity", type=int)
        cli.add_as(confirm)
        withdraw = sub.add_parser("withdraw", help="Withdraw your own entry before it is confirmed.")
        withdraw.add_argument("activity", type=int)
        withdraw.add_argument("--reason", required=True)
        cli.add_as(withdraw)
        verify = sub.add_parser("verify", help="Mark an entry verified or questionable (with --note).")
        verify.add_argument("activity", type=int)
        verify.add_argument(
            "--verdict", choices=[Verification.VERIFIED, Verification.QUESTIONABLE], required=True
        )
        verify.add_argument("--note", default="")
        cli.add_as(verify)
        review = sub.add_parser(
            "review", help="Write a 复盘 over activities of your pairing (as its mentor)."
        )
        review.add_argument("--pairing", type=int, required=True)
        review.add_argument("--activity", dest="activities", type=int, action="append", required=True)
        review.add_argument("--lessons", required=True)
        review.add_argument("--next-steps", dest="next_steps", required=True)
        cli.add_as(review)

    @staticmethod
    def _fields(parser, *, required: bool):
        parser.add_argument(
            "--date", dest="occurred_on", type=_date, help="YYYY-MM-DD (default: today when recording)"
        )
        parser.add_argument("--minutes", dest="duration_min", type=int, required=required)
        parser.add_argument("--method", choices=Method.values, required=required)
        parser.add_argument(
            "--area", dest="content_areas", action="append", choices=ContentArea.values, required=required
        )
        parser.add_argument("--place", help="A village or township code (default: the pairing's region).")
        parser.add_argument("--on-site", dest="on_site", action="store_true", default=None)
        parser.add_argument("--not-on-site", dest="on_site", action="store_false", default=None)
        parser.add_argument("--summary", required=required)
        parser.add_argument("--problem", dest="problems_solved", action="append")
        parser.add_argument("--file", dest="files", action="append", default=[])

    def handle(self, *args, action, username, **options):
        cli.activate_language()
        user = cli.acting_user(username)
        getattr(self, f"do_{action}")(user, **options)

    def _activity(self, user, pk) -> Activity:
        return cli.visible(selectors.with_details(Activity.objects.all()), pk, user, "Activity")

    def do_list(self, user, pairing, region, month, method, flag, json, **options):
        activities = Activity.objects.visible_to(user)
        if pairing:
            activities = activities.filter(pairing=cli.visible(Pairing.objects, pairing, user, "Pairing"))
        if region:
            try:
                low, high = visible_region(user, region).subtree_range
            except Http404:
                raise CommandError(f"Region {region} not found.") from None
            activities = activities.filter(region__path__gte=low, region__path__lt=high)
        if month:
            activities = activities.filter(
                occurred_on__gte=month, occurred_on__lt=selectors.next_month(month)
            )
        if method:
            activities = activities.filter(method=method)
        if flag:
            activities = filter_flag(activities, "flag", flag)
        rows = [
            row(a) for a in selectors.with_details(activities.order_by("-occurred_on", "-pk"))[:MAX_LISTED]
        ]
        if json:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']}\t{r['occurred_on']}\t{r['method']}\t{r['duration_min']}min\t{r['apprentice']}\t{r['standing']}"
            )

    def do_show(self, user, activity, json, **options):
        target = self._activity(user, activity)
        data = row(target)
        data["events"] = [
            {
                "action": e.action,
                "actor": str(e.actor or ""),
                "note": e.note,
                "changes": e.changes,
                "at": e.at,
            }
            for e in target.events.select_related("actor").order_by("at", "id")
        ]
        if json:
            cli.dump(self.stdout, [data])
            return
        for key, value in data.items():
            if key != "events":
                self.stdout.write(f"{key}: {value}")
        for event in data["events"]:
            self.stdout.write(
                f"  {timezone.localtime(event['at']):%Y-%m-%d %H:%M} {event['action']} {event['actor']} {event['note']}"
            )

    def do_record(self, user, pairing, occurred_on, place, files, **options):
        target = cli.visible(
            Pairing.objects.select_related("apprentice__person", "programme", "region"),
            pairing,
            user,
            "Pairing",
        )
        fields = {
            k: options[k]
            for k in ("duration_min", "method", "content_areas", "summary", "on_site", "lng", "lat")
        }
        with cli.writing():
            activity = services.record_activity(
                actor=user,
                pairing=target,
                occurred_on=occurred_on or timezone.localdate(),
                place=_place(place) if place else None,
                problems_solved=options["problems_solved"] or [],
                files=_files(files),
                **fields,
            )
        self.stdout.write(
            f"activity {activity.pk} recorded: {activity.occurred_on} {activity.method}; "
            f"the {activity.counterpart} confirms by {activity.confirm_due}"
        )

    def do_correct(self, user, activity, note, remove_evidence, place, files, **options):
        target = self._activity(user, activity)
        changes = {
            k: options[k]
            for k in (
                "occurred_on",
                "duration_min",
                "method",
                "content_areas",
                "summary",
                "on_site",
                "problems_solved",
            )
            if options[k] is not None
        }
        if place:
            changes["place"] = _place(place)
        with cli.writing():
            target = services.correct_activity(
                actor=user,
                activity=target,
                note=note,
                files=_files(files),
                remove_evidence=remove_evidence,
                **changes,
            )
        self.stdout.write(f"activity {target.pk} corrected (revision {target.revision})")

    def do_confirm(self, user, activity, **options):
        target = self._activity(user, activity)
        with cli.writing():
            target = services.confirm_activity(actor=user, activity=target)
        self.stdout.write(f"activity {target.pk} confirmed")

    def do_withdraw(self, user, activity, reason, **options):
        target = self._activity(user, activity)
        with cli.writing():
            target = services.withdraw_activity(actor=user, activity=target, reason=reason)
        self.stdout.write(f"activity {target.pk} withdrawn")

    def do_verify(self, user, activity, verdict, note, **options):
        target = self._activity(user, activity)
        with cli.writing():
            target = services.verify_activity(actor=user, activity=target, verdict=verdict, note=note)
        self.stdout.write(f"activity {target.pk} {target.verification}")

    def do_review(self, user, pairing, activities, lessons, next_steps, **options):
        target = cli.visible(Pairing.objects.select_related("apprentice__person"), pairing, user, "Pairing")
        chosen = [cli.visible(Activity.objects, pk, user, "Activity") for pk in activities]
        with cli.writing():
            review = services.write_review(
                actor=user, pairing=target, activities=chosen, lessons=lessons, next_steps=next_steps
            )
        self.stdout.write(f"review {review.pk} written over {len(chosen)} activities")
