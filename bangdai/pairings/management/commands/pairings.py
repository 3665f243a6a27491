"""``bangdai pairings list|propose|confirm|decline|sign|complete|terminate ... --as USERNAME``."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from bangdai.apprentices.models import Apprentice
from bangdai.core import cli
from bangdai.mentors.models import Mentor
from bangdai.pairings import services
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import Pairing
from bangdai.programmes.models import Programme

SIMPLE = {
    "confirm": "Confirm as the mentor or the apprentice.",
    "decline": "Decline a proposal (needs --reason).",
    "complete": "The apprentice graduates (出师).",
    "terminate": "End an open pairing early (needs --reason).",
}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "List, propose, confirm, sign and close pairings, with the rights of a user."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Pairings of a programme the user can see.")
        listing.add_argument("--programme", type=int, required=True)
        listing.add_argument("--status", choices=PairingStatus.values)
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        propose = sub.add_parser("propose", help="Propose a pairing (repeat --mentor for a mentor team).")
        propose.add_argument("--apprentice", type=int, required=True)
        propose.add_argument("--mentor", dest="mentors", type=int, action="append", required=True)
        propose.add_argument("--note", default="")
        cli.add_as(propose)
        for name, text in SIMPLE.items():
            simple = sub.add_parser(name, help=text)
            simple.add_argument("pairing", type=int)
            simple.add_argument("--reason", default="")
            cli.add_as(simple)
        sign = sub.add_parser("sign", help="Record the signed 拜师帖 and the ceremony.")
        sign.add_argument("pairing", type=int)
        sign.add_argument("--date", required=True, type=_date)
        sign.add_argument("--place", required=True)
        sign.add_argument("--witness", dest="witnesses", action="append", required=True)
        cli.add_as(sign)

    def handle(self, *args, action, username, **options):
        cli.activate_language()
        user = cli.acting_user(username)
        if action in ("list", "propose", "sign"):
            getattr(self, f"do_{action}")(user, **options)
        else:
            self.do_simple(user, action, **options)

    def do_list(self, user, programme, status, **options):
        target = cli.visible(Programme.objects, programme, user, "Programme")
        pairings = (
            Pairing.objects.visible_to(user)
            .filter(programme=target)
            .select_related("apprentice__person", "region")
            .prefetch_related("members__mentor__person")
            .order_by("pk")
        )
        if status:
            pairings = pairings.filter(status=status)
        if options["json"]:
            cli.dump(
                self.stdout,
                [
                    {
                        "id": p.pk,
                        "apprentice": p.apprentice.person.name,
                        "mentors": [m.mentor.person.name for m in p.members.all()],
                        "region": p.region.code,
                        "mode": p.mode,
                        "status": p.status,
                        "term_months": p.term_months,
                        "start_date": p.start_date,
                        "planned_end_date": p.planned_end_date,
                    }
                    for p in pairings
                ],
            )
            return
        for p in pairings:
            mentors = "、".join(m.mentor.person.name for m in p.members.all())
            self.stdout.write(f"{p.pk}\t{p.status}\t{p.apprentice.person.name}\t{mentors}")

    def _pairing(self, user, pk) -> Pairing:
        return cli.visible(
            Pairing.objects.select_related("apprentice__person", "region", "programme"), pk, user, "Pairing"
        )

    def do_propose(self, user, apprentice, mentors, note, **options):
        target = cli.visible(
            Apprentice.objects.select_related("person", "region", "programme"), apprentice, user, "Apprentice"
        )
        chosen = [cli.visible(Mentor.objects.select_related("person"), pk, user, "Mentor") for pk in mentors]
        with cli.writing():
            pairing = services.propose(actor=user, apprentice=target, mentors=chosen, note=note)
        names = "、".join(m.person.name for m in chosen)
        self.stdout.write(
            f"pairing {pairing.pk} proposed: {names} -> {target.person.name} ({pairing.status})"
        )

    def do_sign(self, user, pairing, date, place, witnesses, **options):
        target = self._pairing(user, pairing)
        with cli.writing():
            target = services.sign_pledge(
                actor=user, pairing=target, signed_on=date, ceremony_place=place, witnesses=witnesses
            )
        self.stdout.write(f"pairing {target.pk} signed on {date.isoformat()}: {target.status}")

    def do_simple(self, user, action, pairing, reason, **options):
        target = self._pairing(user, pairing)
        with cli.writing():
            if action == "confirm":
                target = services.confirm(actor=user, pairing=target)
            elif action == "decline":
                target = services.decline(actor=user, pairing=target, reason=reason)
            elif action == "complete":
                target = services.complete(actor=user, pairing=target, note=reason)
            else:
                target = services.terminate(actor=user, pairing=target, reason=reason)
        self.stdout.write(f"pairing {target.pk} {action}: {target.status}")
