"""``bangdai programmes list|create|rules ... --as USERNAME``."""

import json

from django.core.management.base import CommandError

from bangdai.core import cli
from bangdai.programmes import services
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_settings(items: list[str]) -> dict:
    """``key=value`` pairs (values read as JSON, else text); ``capacity_by_tier.village=5`` sets one tier."""
    data: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CommandError(f"Expected key=value, got {item!r}.")
        head, dot, sub = key.partition(".")
        if dot:
            data.setdefault(head, {})[sub] = _value(raw)
        else:
            data[key] = _value(raw)
    return data


class Command(cli.ActionCommand):
    help = "List, create programmes and show or change their rules, with the rights of a user."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Programmes the user can see.")
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        create = sub.add_parser("create", help="Open a programme with default rules.")
        create.add_argument("--name", required=True)
        create.add_argument("--region", required=True, help="Region code (province, city or county).")
        create.add_argument("--year", type=int, required=True)
        create.add_argument("--description", default="")
        cli.add_as(create)
        rules = sub.add_parser("rules", help="Print the current rules; with --set write a new version.")
        rules.add_argument("programme", type=int)
        rules.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
        rules.add_argument("--note", default="")
        cli.add_as(rules)

    def do_list(self, user, **options):
        programmes = Programme.objects.visible_to(user).select_related("region")
        if options["json"]:
            cli.dump(
                self.stdout,
                [
                    {
                        "id": p.pk,
                        "name": p.name,
                        "region": p.region.code,
                        "region_name": p.region.name,
                        "year": p.year,
                        "status": p.status,
                    }
                    for p in programmes
                ],
            )
            return
        for p in programmes:
            self.stdout.write(f"{p.pk}\t{p.year}\t{p.region.code}\t{p.status}\t{p.name}")

    def do_create(self, user, name, region, year, description, **options):
        target = Region.objects.current().filter(code=region).first()
        if target is None:
            raise CommandError(f"Region {region} not found.")
        with cli.writing():
            programme = services.create_programme(
                actor=user, name=name, region=target, year=year, description=description
            )
        self.stdout.write(f"programme {programme.pk} created: {programme.name} ({target.code}, {year})")

    def do_rules(self, user, programme, settings, note, **options):
        target = cli.visible(Programme.objects.select_related("region"), programme, user, "Programme")
        if settings:
            data = parse_settings(settings)
            current = target.policy.as_data()
            for key, value in data.items():  # a dotted key changes one entry and keeps the others
                if isinstance(value, dict) and isinstance(current.get(key), dict):
                    data[key] = {**current[key], **value}
            with cli.writing():
                rules = services.change_rules(actor=user, programme=target, data=data, note=note)
        else:
            rules = target.current_rules()
        self.stdout.write(
            json.dumps(
                {"programme": target.pk, "version": rules.version, "rules": rules.data}, ensure_ascii=False
            )
        )
