"""``bangdai notifications list|read|read-all|preferences --as USERNAME``: a person's notifications and settings."""

from django.core.management.base import BaseCommand, CommandError

from bangdai.core import cli
from bangdai.notifications import services
from bangdai.notifications.choices import REMINDER_KINDS, Frequency
from bangdai.notifications.models import Notification

MAX_LISTED = 200


def row(n: Notification) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "mandatory": n.mandatory,
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "email_state": n.email_state,
    }


def _setting(text: str) -> tuple[str, str]:
    kind, sep, frequency = text.partition("=")
    if not sep:
        raise CommandError(f"Give KIND=FREQUENCY, not {text!r}.")
    return kind.strip(), frequency.strip()


class Command(BaseCommand):
    help = "List your notifications, mark them read, and show or change how often reminders reach you."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Your notifications, newest first.")
        listing.add_argument("--unread", action="store_true")
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        read = sub.add_parser("read", help="Mark one notification read.")
        read.add_argument("notification", type=int)
        cli.add_as(read)
        read_all = sub.add_parser("read-all", help="Mark all your notifications read.")
        cli.add_as(read_all)
        prefs = sub.add_parser(
            "preferences",
            help=f"Show, or --set KIND=FREQUENCY (kinds: {', '.join(REMINDER_KINDS)}; "
            f"frequencies: {', '.join(Frequency.values)}).",
        )
        prefs.add_argument("--set", dest="settings", action="append", type=_setting, default=[])
        prefs.add_argument("--json", action="store_true")
        cli.add_as(prefs)

    def handle(self, *args, **options):
        cli.activate_language()
        user = cli.acting_user(options["username"])
        action = options["action"]
        if action == "list":
            notifications = Notification.objects.visible_to(user)
            if options["unread"]:
                notifications = notifications.unread()
            rows = [row(n) for n in notifications.order_by("-created_at", "-pk")[:MAX_LISTED]]
            if options["json"]:
                cli.dump(self.stdout, rows)
                return
            for r in rows:
                mark = " " if r["read_at"] else "*"
                self.stdout.write(
                    f"{mark} {r['id']:>6} {r['created_at']:%Y-%m-%d} [{r['kind']}] {r['title']}"
                )
            self.stdout.write(f"{len(rows)} notifications.")
        elif action == "read":
            notification = cli.visible(
                Notification.objects.all(), options["notification"], user, "Notification"
            )
            services.mark_read(user=user, notification=notification)
            self.stdout.write(f"Notification {notification.pk} marked read.")
        elif action == "read-all":
            self.stdout.write(f"{services.mark_all_read(user=user)} notifications marked read.")
        else:
            if options["settings"]:
                with cli.writing():
                    values = services.set_preferences(user=user, values=dict(options["settings"]))
            else:
                values = services.preferences_of(user)
            if options["json"]:
                cli.dump(self.stdout, values)
                return
            for kind, frequency in values.items():
                self.stdout.write(f"{kind}: {frequency}")
