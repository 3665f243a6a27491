"""Shared plumbing of the workflow commands: act as a named user, see only what the user sees, fail cleanly."""

import json
import os
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from bangdai.accounts.models import User
from bangdai.people.models import Person
from bangdai.people.protection import blind_index


def add_as(parser) -> None:
    parser.add_argument("--as", dest="username", required=True, help="Act with this user's scope and rights.")


def activate_language() -> None:
    translation.activate(os.environ.get("BANGDAI_LANGUAGE", "zh-hans"))


def acting_user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user


def visible(queryset, pk, user, label: str):
    """The object ``pk`` among those ``user`` may see, or a "not found" error (never "exists but hidden")."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise CommandError(f"{label} {pk!r} not found.") from None
    found = queryset.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise CommandError(f"{label} {pk} not found.")
    return found


def cadre(value: str, user) -> Person:
    """A cadre the user may see, by database id or by ID number (matched on the blind index)."""
    people = Person.objects.visible_to(user).select_related("region")
    value = value.strip()
    if value.isdigit() and len(value) < 15:
        found = people.filter(pk=int(value)).first()
    else:
        found = people.filter(id_number_index=blind_index(value)).first()
    if found is None:
        raise CommandError("Cadre not found.")
    return found


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                f"{key}: {' '.join(str(m) for m in messages)}" if key != "__all__" else " ".join(messages)
                for key, messages in error.message_dict.items()
            )
        return " ".join(str(m) for m in error.messages)
    return str(error) or "Permission denied."


@contextmanager
def writing():
    """One transaction for the whole command; a refusal becomes a CommandError and nothing is written."""
    try:
        with transaction.atomic():
            yield
    except PermissionDenied as error:
        raise CommandError(f"Permission denied: {error_text(error)}") from None
    except ValidationError as error:
        raise CommandError(f"Refused: {error_text(error)}") from None


def dump(stdout, rows: list[dict]) -> None:
    stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class ActionCommand(BaseCommand):
    """A command of subcommands (``bangdai mentors step …``): ``do_<action>(user, **options)`` acts as ``--as``."""

    def handle(self, *args, action, username, **options):
        activate_language()
        getattr(self, f"do_{action}")(acting_user(username), **options)
