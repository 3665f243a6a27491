"""``bangdai teaching sites|classes|enrol|assign|attend … --as USER``: teaching sites and open classes.

    bangdai teaching sites list [--region CODE] [--theme AREA] [--level LEVEL] [--json] --as USER
    bangdai teaching sites add --name N --village CODE --level LEVEL --themes A,B --capacity N
                               [--course TITLE …] [--host MENTOR …] [--academy TEXT] --as USER
    bangdai teaching sites close SITE --reason TEXT --as USER
    bangdai teaching sites reopen SITE --as USER
    bangdai teaching classes list [--region CODE] [--site ID] [--mentor ID] [--upcoming] [--json] --as USER
    bangdai teaching classes schedule --mentor ID (--site ID | --village CODE) --title T --start TIME --end TIME
                                      --areas A,B --capacity N [--method M] [--place P] --as USER
    bangdai teaching classes show CLASS [--json] --as USER
    bangdai teaching classes cancel CLASS --reason TEXT --as USER
    bangdai teaching classes counts [--year Y] [--programme ID] [--json] --as USER
    bangdai teaching enrol CLASS [--apprentice ID …] --as USER           (without --apprentice: yourself)
    bangdai teaching assign propose --class ID [--class ID …] --area CODE [--programme ID] [--max-km N]
                                    [--any-topic] [--json] --as USER
    bangdai teaching assign confirm|discard ASSIGNMENT --as USER
    bangdai teaching attend CLASS --token TOKEN --as USER                 (the apprentice's scan)
    bangdai teaching attend CLASS --apprentice ID [--absent] --as USER    (the host's check list)

Times are local (Asia/Shanghai), as 2027-03-05T09:00. Every command acts with the user's scope and rights;
a refusal prints the reason and changes nothing.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bangdai.apprentices.models import Apprentice
from bangdai.core import cli
from bangdai.core.choices import ContentArea, Method
from bangdai.mentors.models import Mentor
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region
from bangdai.teaching import rules, selectors, services
from bangdai.teaching.choices import EnrolmentStatus, SiteLevel
from bangdai.teaching.filtersets import has_area
from bangdai.teaching.models import ClassAssignment, OpenClass, TeachingSite


def _time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a time (YYYY-MM-DDTHH:MM): {text!r}") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _areas(text: str) -> list[str]:
    areas = cli.split_list(text)
    unknown = sorted(set(areas) - set(ContentArea.values))
    if unknown:
        raise CommandError(
            f"Unknown content areas: {', '.join(unknown)} (one of {', '.join(ContentArea.values)})."
        )
    return areas


def _region(code: str, user) -> Region:
    region = Region.objects.visible_to(user).current().filter(code=code).first()
    if region is None:
        raise CommandError(f"Region {code} not found.")
    return region


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _class_row(c: OpenClass) -> dict:
    return {
        "id": c.pk,
        "title": c.title,
        "mentor": c.mentor.person.name,
        "site": c.site.name if c.site_id else None,
        "village": c.village.code,
        "starts_at": _local(c.starts_at),
        "ends_at": _local(c.ends_at),
        "content_areas": c.content_areas,
        "capacity": c.capacity,
        "enrolled": c.enrolled_count,
        "status": c.status,
        "phase": selectors.phase(c),
    }


class Command(BaseCommand):
    help = (
        "Teaching sites and open classes: register, schedule, enrol, assign and take attendance, as a user."
    )

    def add_arguments(self, parser):
        groups = parser.add_subparsers(dest="group", required=True)

        sites = groups.add_parser("sites", help="Teaching sites.").add_subparsers(
            dest="action", required=True
        )
        listing = sites.add_parser("list", help="Sites the user can see.")
        listing.add_argument("--region")
        listing.add_argument("--theme", choices=ContentArea.values)
        listing.add_argument("--level", choices=SiteLevel.values)
        listing.add_argument("--json", action="store_true")
        add = sites.add_parser("add", help="Register a site (organisation departments).")
        add.add_argument("--name", required=True)
        add.add_argument("--village", required=True, help="Host village code.")
        add.add_argument("--level", required=True, choices=SiteLevel.values)
        add.add_argument("--themes", required=True, help="Content areas, comma-separated.")
        add.add_argument("--capacity", type=int, required=True, help="Seats per session.")
        add.add_argument("--course", dest="courses", action="append", default=[])
        add.add_argument("--host", dest="hosts", type=int, action="append", default=[], help="Mentor id.")
        add.add_argument("--academy", default="")
        add.add_argument("--description", default="")
        close = sites.add_parser("close", help="Close a site.")
        close.add_argument("site", type=int)
        close.add_argument("--reason", required=True)
        reopen = sites.add_parser("reopen", help="Reopen a closed site.")
        reopen.add_argument("site", type=int)
        for sub in (listing, add, close, reopen):
            cli.add_as(sub)

        classes = groups.add_parser("classes", help="Open classes.").add_subparsers(
            dest="action", required=True
        )
        listing = classes.add_parser("list", help="Classes the user can see.")
        listing.add_argument("--region")
        listing.add_argument("--site", type=int)
        listing.add_argument("--mentor", type=int)
        listing.add_argument("--upcoming", action="store_true", help="Only classes that have not ended.")
        listing.add_argument("--json", action="store_true")
        schedule = classes.add_parser("schedule", help="Schedule a class (the mentor, or an organiser).")
        schedule.add_argument("--mentor", type=int, required=True)
        schedule.add_argument("--site", type=int)
        schedule.add_argument("--village", help="Village code, when not at a site.")
        schedule.add_argument("--title", required=True)
        schedule.add_argument("--start", type=_time, required=True)
        schedule.add_argument("--end", type=_time, required=True)
        schedule.add_argument("--areas", required=True, help="Content areas, comma-separated.")
        schedule.add_argument("--capacity", type=int, required=True)
        schedule.add_argument("--method", choices=Method.values, default=Method.ONSITE_TEACHING)
        schedule.add_argument("--place", default="")
        schedule.add_argument("--description", default="")
        show = classes.add_parser("show", help="One class; its roster and check-in token for its managers.")
        show.add_argument("open_class", type=int)
        show.add_argument("--json", action="store_true")
        cancel = classes.add_parser("cancel", help="Cancel a class.")
        cancel.add_argument("open_class", type=int)
        cancel.add_argument("--reason", required=True)
        counts = classes.add_parser("counts", help="Open classes per mentor in a year, against the target.")
        counts.add_argument("--year", type=int)
        counts.add_argument("--programme", type=int)
        counts.add_argument("--json", action="store_true")
        for sub in (listing, schedule, show, cancel, counts):
            cli.add_as(sub)

        enrol = groups.add_parser("enrol", help="Enrol yourself, or (organisers) apprentices, in a class.")
        enrol.add_argument("open_class", type=int)
        enrol.add_argument("--apprentice", dest="apprentices", type=int, action="append", default=[])
        cli.add_as(enrol)

        assign = groups.add_parser("assign", help="Seat apprentices by the matching engine.").add_subparsers(
            dest="action", required=True
        )
        propose = assign.add_parser("propose", help="Propose seats in upcoming classes.")
        propose.add_argument("--class", dest="classes", type=int, action="append", required=True)
        propose.add_argument("--area", required=True, help="Region code: its apprentices are candidates.")
        propose.add_argument("--programme", type=int)
        propose.add_argument("--max-km", type=int, default=services.ASSIGN_MAX_DISTANCE_KM)
        propose.add_argument(
            "--any-topic", action="store_true", help="Also seat apprentices off the classes' topics."
        )
        propose.add_argument("--json", action="store_true")
        cli.add_as(propose)
        for name in ("confirm", "discard"):
            decide = assign.add_parser(name, help=f"{name.capitalize()} a proposal.")
            decide.add_argument("assignment", type=int)
            cli.add_as(decide)

        attend = groups.add_parser("attend", help="Check in (with the QR token) or tick the check list.")
        attend.add_argument("open_class", type=int)
        attend.add_argument(
            "--token", help="The token of the class's QR code (the apprentice's own check-in)."
        )
        attend.add_argument("--apprentice", type=int, help="Apprentice id (the host's check list).")
        attend.add_argument("--absent", action="store_true", help="Take a check-list mark back.")
        cli.add_as(attend)

    def handle(self, *args, group, username, **options):
        cli.activate_language()
        user = cli.acting_user(username)
        action = options.pop("action", None)
        handler = getattr(self, f"{group}_{action}" if action else group)
        handler(user, **options)

    # ------------------------------------------------------------------------------------------ sites

    def sites_list(self, user, region, theme, level, json, **options):
        sites = (
            TeachingSite.objects.visible_to(user).select_related("village").order_by("village__path", "name")
        )
        if region:
            low, high = _region(region, user).subtree_range
            sites = sites.filter(village__path__gte=low, village__path__lt=high)
        if theme:
            sites = has_area(sites, "themes", theme)
        if level:
            sites = sites.filter(level=level)
        rows = [
            {
                "id": s.pk,
                "name": s.name,
                "village": s.village.code,
                "village_name": s.village.name,
                "level": s.level,
                "themes": s.themes,
                "capacity_per_session": s.capacity_per_session,
                "academy": s.academy,
                "status": s.status,
            }
            for s in sites
        ]
        if json:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            self.stdout.write(f"{r['id']}\t{r['status']}\t{r['level']}\t{r['village_name']}\t{r['name']}")

    def sites_add(
        self, user, name, village, level, themes, capacity, courses, hosts, academy, description, **o
    ):
        mentors = [cli.visible(Mentor.objects, pk, user, "Mentor") for pk in hosts]
        with cli.writing():
            site = services.register_site(
                actor=user,
                village=_region(village, user),
                name=name,
                level=level,
                themes=_areas(themes),
                capacity_per_session=capacity,
                courses=courses,
                host_mentors=mentors,
                academy=academy,
                description=description,
            )
        self.stdout.write(f"site {site.pk} registered: {site.name} ({site.village.name})")

    def _site(self, user, pk) -> TeachingSite:
        return cli.visible(TeachingSite.objects.select_related("village"), pk, user, "Site")

    def sites_close(self, user, site, reason, **options):
        target = self._site(user, site)
        with cli.writing():
            services.close_site(actor=user, site=target, reason=reason)
        self.stdout.write(f"site {target.pk} closed")

    def sites_reopen(self, user, site, **options):
        target = self._site(user, site)
        with cli.writing():
            services.reopen_site(actor=user, site=target)
        self.stdout.write(f"site {target.pk} reopened")

    # ------------------------------------------------------------------------------------------ classes

    def _class(self, user, pk) -> OpenClass:
        return cli.visible(
            OpenClass.objects.select_related("mentor__person", "mentor__programme", "site", "village"),
            pk,
            user,
            "Class",
        )

    def classes_list(self, user, region, site, mentor, upcoming, json, **options):
        classes = selectors.classes_for_lists(OpenClass.objects.visible_to(user)).order_by("starts_at", "pk")
        if region:
            low, high = _region(region, user).subtree_range
            classes = classes.filter(village__path__gte=low, village__path__lt=high)
        if site:
            classes = classes.filter(site_id=site)
        if mentor:
            classes = classes.filter(mentor_id=mentor)
        if upcoming:
            classes = classes.filter(ends_at__gte=timezone.now())
        rows = [_class_row(c) for c in classes]
        if json:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']}\t{r['starts_at']}\t{r['phase']}\t{r['enrolled']}/{r['capacity']}\t{r['title']}"
            )

    def classes_schedule(
        self,
        user,
        mentor,
        site,
        village,
        title,
        start,
        end,
        areas,
        capacity,
        method,
        place,
        description,
        **options,
    ):
        if bool(site) == bool(village):
            raise CommandError("Give either --site or --village.")
        chosen = cli.visible(
            Mentor.objects.select_related("person", "programme__region"), mentor, user, "Mentor"
        )
        with cli.writing():
            open_class = services.schedule_class(
                actor=user,
                mentor=chosen,
                site=self._site(user, site) if site else None,
                village=_region(village, user) if village else None,
                title=title,
                starts_at=start,
                ends_at=end,
                content_areas=_areas(areas),
                capacity=capacity,
                method=method,
                place=place,
                description=description,
            )
        self.stdout.write(
            f"class {open_class.pk} scheduled: {open_class.title} at {_local(open_class.starts_at)}"
        )

    def classes_show(self, user, open_class, json, **options):
        target = self._class(user, open_class)
        row = _class_row(target)
        if rules.manages_class(user, target):
            row["checkin_token"] = services.checkin_token(target)
            row["roster"] = [
                {
                    "enrolment": e.pk,
                    "apprentice": e.apprentice_id,
                    "name": e.person.name,
                    "source": e.source,
                    "attended_at": _local(e.attended_at) if e.attended_at else None,
                    "check_in_method": e.check_in_method,
                }
                for e in selectors.roster(target)
            ]
        if json:
            cli.dump(self.stdout, row)
            return
        for key, value in row.items():
            if key != "roster":
                self.stdout.write(f"{key}: {value}")
        for e in row.get("roster", []):
            self.stdout.write(f"  {e['apprentice']}\t{e['name']}\t{e['attended_at'] or '-'}")

    def classes_cancel(self, user, open_class, reason, **options):
        target = self._class(user, open_class)
        with cli.writing():
            services.cancel_class(actor=user, open_class=target, reason=reason)
        self.stdout.write(f"class {target.pk} cancelled")

    def classes_counts(self, user, year, programme, json, **options):
        year = year or timezone.localdate().year
        mentors = Mentor.objects.visible_to(user).select_related("person", "programme")
        if programme:
            mentors = mentors.filter(programme=cli.visible(Programme.objects, programme, user, "Programme"))
        counts = selectors.open_class_counts(year, mentors)
        names = {m.pk: m for m in mentors.filter(pk__in=counts)}
        rows = [
            {
                "mentor": pk,
                "name": names[pk].person.name,
                "tier": names[pk].tier,
                **vars(c),
                "shortfall": c.shortfall,
            }
            for pk, c in sorted(counts.items())
            if c.target is not None or c.given or c.scheduled or c.unattended or c.cancelled
        ]
        for row in rows:
            row.pop("mentor_id", None)
        if json:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            target = r["target"] if r["target"] is not None else "-"
            self.stdout.write(
                f"{r['mentor']}\t{r['name']}\t{r['tier']}\tgiven {r['given']}/{target}\t"
                f"scheduled {r['scheduled']}"
            )

    # ------------------------------------------------------------------------------------------ enrolment

    def enrol(self, user, open_class, apprentices, **options):
        target = self._class(user, open_class)
        chosen = [
            cli.visible(Apprentice.objects.select_related("person", "region"), pk, user, "Apprentice")
            for pk in apprentices
        ]
        with cli.writing():
            if chosen:
                enrolled = services.enrol(actor=user, open_class=target, apprentices=chosen)
            else:
                enrolled = [services.enrol_self(actor=user, open_class=target)]
        target.refresh_from_db()
        self.stdout.write(
            f"class {target.pk}: {len(enrolled)} enrolled ({target.enrolled_count}/{target.capacity} seats taken)"
        )

    # ------------------------------------------------------------------------------------------ assignment

    def assign_propose(self, user, classes, area, programme, max_km, any_topic, json, **options):
        chosen = [self._class(user, pk) for pk in classes]
        prog = cli.visible(Programme.objects, programme, user, "Programme") if programme else None
        with cli.writing():
            assignment = services.propose_assignment(
                actor=user,
                classes=chosen,
                area=_region(area, user),
                programme=prog,
                max_distance_km=max_km,
                require_topic=not any_topic,
            )
        rows = list(
            assignment.rows.select_related("apprentice__person").order_by("open_class_id", "apprentice_id")
        )
        if json:
            cli.dump(
                self.stdout,
                {
                    "assignment": assignment.pk,
                    "summary": assignment.summary,
                    "rows": [
                        {
                            "apprentice": r.apprentice_id,
                            "name": r.apprentice.person.name,
                            "open_class": r.open_class_id,
                            "distance_km": r.distance_km,
                            "coverage": r.coverage,
                            "score": r.score,
                            "reason": r.reason,
                        }
                        for r in rows
                    ],
                },
            )
            return
        s = assignment.summary
        self.stdout.write(
            f"assignment {assignment.pk} proposed: {s['assigned']} of {s['candidates']} candidates "
            f"seated in {s['seats']} free seats"
        )
        for r in rows:
            where = f"class {r.open_class_id} ({r.distance_km} km)" if r.open_class_id else f"- ({r.reason})"
            self.stdout.write(f"  {r.apprentice_id}\t{r.apprentice.person.name}\t{where}")

    def _assignment(self, user, pk) -> ClassAssignment:
        return cli.visible(ClassAssignment.objects.select_related("region"), pk, user, "Assignment")

    def assign_confirm(self, user, assignment, **options):
        target = self._assignment(user, assignment)
        with cli.writing():
            services.confirm_assignment(actor=user, assignment=target)
        seated = target.rows.filter(open_class__isnull=False).count()
        self.stdout.write(f"assignment {target.pk} confirmed: {seated} apprentices enrolled")

    def assign_discard(self, user, assignment, **options):
        target = self._assignment(user, assignment)
        with cli.writing():
            services.discard_assignment(actor=user, assignment=target)
        self.stdout.write(f"assignment {target.pk} discarded")

    # ------------------------------------------------------------------------------------------ attendance

    def attend(self, user, open_class, token, apprentice, absent, **options):
        target = self._class(user, open_class)
        if bool(token) == bool(apprentice):
            raise CommandError("Give either --token (your own check-in) or --apprentice (the check list).")
        with cli.writing():
            if token:
                enrolment = services.check_in(actor=user, open_class=target, token=token)
            else:
                if not rules.manages_class(user, target):
                    raise CommandError(
                        "Permission denied: only the class's mentor or its organisers keep the check list."
                    )
                enrolment = target.enrolments.filter(
                    apprentice_id=apprentice, status=EnrolmentStatus.ENROLLED
                ).first()
                if enrolment is None:
                    raise CommandError(f"Apprentice {apprentice} is not enrolled in class {target.pk}.")
                mark = services.clear_attendance if absent else services.mark_present
                enrolment = mark(actor=user, enrolment=enrolment)
        state = _local(enrolment.attended_at) if enrolment.attended_at else "not checked in"
        self.stdout.write(f"class {target.pk}: {enrolment.person.name} {state}")
