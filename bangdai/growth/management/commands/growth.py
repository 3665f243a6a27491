"""``bangdai growth show APPRENTICE_ID --as USERNAME [--json] [--pdf FILE] [--kind KIND ...] [--year YEAR]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from bangdai.core import cli
from bangdai.documents.rendering import render_html, write_pdf
from bangdai.growth import selectors
from bangdai.growth.api.serializers import growth_file_data
from bangdai.growth.choices import Kind


class Command(BaseCommand):
    help = (
        "Show an apprentice's growth file (成长档案) as the user sees it: figures and timeline, JSON or PDF."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="The file's figures and its whole timeline, newest first.")
        show.add_argument("apprentice", help="The apprentice's id.")
        show.add_argument("--kind", dest="kinds", action="append", choices=Kind.values, default=[])
        show.add_argument("--year", type=int)
        show.add_argument("--json", action="store_true", help="Print the file as JSON (the API's shape).")
        show.add_argument("--pdf", metavar="FILE", help="Write the printable PDF to FILE.")
        cli.add_as(show)

    def handle(self, *args, **options):
        cli.activate_language()
        user = cli.acting_user(options["username"])
        pk = options["apprentice"]
        file = selectors.open_growth_file(user, int(pk)) if str(pk).isdigit() else None
        if file is None:
            raise CommandError(f"Apprentice {pk} not found.")
        kinds, year = options["kinds"], options["year"]
        if options["pdf"]:
            self.write_pdf(file, kinds, year, Path(options["pdf"]))
        timeline = selectors.timeline_page(file, kinds, year, per_page=max(len(file.keys), 1))
        summary = selectors.summary(file)
        if options["json"]:
            cli.dump(self.stdout, growth_file_data(file, summary, timeline, year=year))
            return
        if not options["pdf"]:
            self.print_file(file, summary, timeline)

    def write_pdf(self, file, kinds, year, path: Path) -> None:
        with translation.override("zh-hans"):
            html = render_html("documents/growth.html", {"doc": selectors.document(file, kinds, year)})
        try:
            with path.open("wb") as target:
                write_pdf(html, target)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}") from None
        self.stderr.write(f"PDF written to {path}")

    def print_file(self, file, summary, timeline) -> None:
        apprentice = file.apprentice
        write = self.stdout.write
        write(f"{apprentice.person.name} · {apprentice.programme.name} · {apprentice.region.name}")
        write("Mentors: " + ("、".join(m.person.name for m in file.mentors) or "–"))
        if not file.sees_everything:
            write("(Only the records of your own pairings with this apprentice are shown.)")
        figures = summary.assignments
        mean = "–" if figures.mean_score is None else f"{figures.mean_score:g}"
        on_site = "–" if summary.on_site_percent is None else f"{summary.on_site_percent}%"
        write(
            f"Months mentored {summary.months} · activities {summary.activities} ({summary.hours:g} h, "
            f"on site {on_site}) · assignments {figures.submitted}/{figures.issued} done, mean score {mean} · "
            f"open classes {summary.classes} · plan goals {summary.goals_met}/{summary.goals_total} · "
            f"joint activities {summary.joint_activities}"
        )
        write("")
        for entry, _new_month in timeline.rows:
            extra = f" [{entry.status_label}]" if entry.status_label else ""
            extra += f" {entry.score}" if entry.score is not None else ""
            write(f"{entry.on.isoformat()}  {entry.kind:<10}  {entry.title}{extra}")
            if entry.detail:
                write(f"{'':12}{'':12}{entry.detail}")
        if not timeline.rows:
            write("No entries.")
