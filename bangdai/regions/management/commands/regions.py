"""``bangdai regions load`` and ``bangdai regions import-villages FILE``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bangdai.regions import services


class Command(BaseCommand):
    help = "Load the shipped jurisdiction tree or import villages and communities from CSV."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="Load or refresh province → township from data/zhejiang/divisions.csv"
        )
        load.add_argument("--file", type=Path, default=None)
        villages = sub.add_parser(
            "import-villages",
            help="Import villages/communities (columns: code,name,parent_code[,kind,lng,lat,urban_rural_class,valid_from])",
        )
        villages.add_argument("file", type=Path)

    def handle(self, *args, action, **options):
        if action == "load":
            result = services.load_divisions(options["file"])
            self.stdout.write(f"Jurisdictions: {result.created} created, {result.updated} updated.")
            return
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        try:
            report = services.import_villages_csv(path.read_bytes(), source=path.name)
        except services.VillageImportError as error:
            for item in error.report.errors[:200]:
                self.stderr.write(f"row {item.row}, {item.column}: {item.message}")
            raise CommandError(
                f"Nothing imported: {len(error.report.errors)} errors in {error.report.rows} rows."
            ) from None
        self.stdout.write(
            f"Villages: {report.created} created, {report.updated} updated ({report.rows} rows)."
        )
