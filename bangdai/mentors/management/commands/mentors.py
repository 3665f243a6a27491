"""``bangdai mentors list|nominate|step ... --as USERNAME``."""

from bangdai.core import cli
from bangdai.mentors import services
from bangdai.mentors.choices import MentorStatus, MentorTier
from bangdai.mentors.models import Mentor
from bangdai.programmes.models import Programme

ACTIONS = sorted(services.TRANSITIONS)


class Command(cli.ActionCommand):
    help = "List the mentor pool, nominate cadres and move mentors through their steps, with the rights of a user."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Mentors of a programme the user can see.")
        listing.add_argument("--programme", type=int, required=True)
        listing.add_argument("--status", choices=MentorStatus.values)
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        nominate = sub.add_parser("nominate", help="Nominate a cadre into the programme's pool.")
        nominate.add_argument("--programme", type=int, required=True)
        nominate.add_argument("--cadre", required=True, help="Cadre id or ID number.")
        nominate.add_argument("--tier", required=True, choices=MentorTier.values)
        nominate.add_argument("--expertise", help="Comma-separated content areas.")
        nominate.add_argument("--statement", default="", help="Nomination statement.")
        cli.add_as(nominate)
        step = sub.add_parser("step", help="Take one step: " + ", ".join(ACTIONS) + ".")
        step.add_argument("mentor", type=int)
        step.add_argument("step", choices=ACTIONS)
        step.add_argument("--reason", default="")
        cli.add_as(step)

    def do_list(self, user, programme, status, **options):
        target = cli.visible(Programme.objects, programme, user, "Programme")
        mentors = (
            Mentor.objects.visible_to(user)
            .filter(programme=target)
            .select_related("person", "region")
            .order_by("pk")
        )
        if status:
            mentors = mentors.filter(status=status)
        if options["json"]:
            cli.dump(
                self.stdout,
                [
                    {
                        "id": m.pk,
                        "name": m.person.name,
                        "region": m.region.code,
                        "tier": m.tier,
                        "status": m.status,
                        "capacity": m.capacity,
                        "load": m.load,
                        "expertise": m.expertise,
                        "certificate_no": m.certificate_no,
                    }
                    for m in mentors
                ],
            )
            return
        for m in mentors:
            self.stdout.write(f"{m.pk}\t{m.status}\t{m.tier}\t{m.load}/{m.capacity}\t{m.person.name}")

    def do_nominate(self, user, programme, cadre, tier, expertise, statement, **options):
        target = cli.visible(Programme.objects.select_related("region"), programme, user, "Programme")
        person = cli.cadre(cadre, user)
        with cli.writing():
            mentor = services.nominate(
                actor=user,
                programme=target,
                person=person,
                tier=tier,
                expertise=cli.split_list(expertise),
                nomination_statement=statement,
            )
        self.stdout.write(f"mentor {mentor.pk} nominated: {person.name} ({mentor.status})")

    def do_step(self, user, mentor, step, reason, **options):
        target = cli.visible(
            Mentor.objects.select_related("person", "region", "programme__region"), mentor, user, "Mentor"
        )
        before = target.status
        with cli.writing():
            target = services.transition(actor=user, mentor=target, action=step, reason=reason)
        self.stdout.write(f"mentor {target.pk} {step}: {before} -> {target.status}")
