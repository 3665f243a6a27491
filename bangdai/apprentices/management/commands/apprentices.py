"""``bangdai apprentices list|register ... --as USERNAME``."""

from bangdai.apprentices import services
from bangdai.apprentices.choices import ApprenticeCategory, ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.core import cli
from bangdai.programmes.models import Programme


class Command(cli.ActionCommand):
    help = "List and register apprentices, with the rights of a user."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Apprentices of a programme the user can see.")
        listing.add_argument("--programme", type=int, required=True)
        listing.add_argument("--status", choices=ApprenticeStatus.values)
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        register = sub.add_parser("register", help="Register a cadre as an apprentice.")
        register.add_argument("--programme", type=int, required=True)
        register.add_argument("--cadre", required=True, help="Cadre id or ID number.")
        register.add_argument(
            "--category", dest="categories", action="append", required=True, choices=ApprenticeCategory.values
        )
        register.add_argument("--needs", help="Comma-separated content areas.")
        register.add_argument("--three-gates", action="store_true", help="三门干部.")
        register.add_argument("--note", default="")
        cli.add_as(register)

    def do_list(self, user, programme, status, **options):
        target = cli.visible(Programme.objects, programme, user, "Programme")
        apprentices = (
            Apprentice.objects.visible_to(user)
            .filter(programme=target)
            .select_related("person", "region")
            .order_by("pk")
        )
        if status:
            apprentices = apprentices.filter(status=status)
        if options["json"]:
            cli.dump(
                self.stdout,
                [
                    {
                        "id": a.pk,
                        "name": a.person.name,
                        "region": a.region.code,
                        "categories": a.categories,
                        "needs": a.needs,
                        "status": a.status,
                    }
                    for a in apprentices
                ],
            )
            return
        for a in apprentices:
            self.stdout.write(f"{a.pk}\t{a.status}\t{','.join(a.categories)}\t{a.person.name}")

    def do_register(self, user, programme, cadre, categories, needs, three_gates, note, **options):
        target = cli.visible(Programme.objects.select_related("region"), programme, user, "Programme")
        person = cli.cadre(cadre, user)
        with cli.writing():
            apprentice = services.register(
                actor=user,
                programme=target,
                person=person,
                categories=categories,
                three_gates=three_gates,
                needs=cli.split_list(needs),
                note=note,
            )
        self.stdout.write(f"apprentice {apprentice.pk} registered: {person.name} ({apprentice.status})")
