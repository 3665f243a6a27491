"""Writing notifications once, honouring each person's preferences; marking them read; e-mailing them.

A notification is identified by its recipient and ``key`` (kind, object, period): writing the same draft twice,
from one run repeated or from two processes at once, leaves one row (a unique constraint, ``ignore_conflicts``).
Non-mandatory kinds follow the recipient's preference (immediately, daily digest, weekly digest, off); notices
after a deadline and escalations are always written and e-mailed at once.

E-mail: each run claims the pending rows it will send with one compare-and-set (``email_state`` pending →
sending, with a batch id), sends one message per recipient, and marks them sent; a failed message returns its
rows to pending for the next run. Rows of recipients without an address are marked skipped.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangdai.accounts.models import User

from .choices import DEFAULT_FREQUENCY, MANDATORY_KINDS, REMINDER_KINDS, EmailState, Frequency
from .models import Notification, ReminderPreference
from .schedule import schedule, site_url

logger = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list: well under SQLite's limit on query parameters


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass(frozen=True)
class Draft:
    """A notification to write: to whom, what, and the key that makes it unique for that person."""

    recipient_id: int
    kind: str
    key: str
    title: str
    body: str = ""
    link: str = ""
    pairing_id: int | None = None

    @property
    def mandatory(self) -> bool:
        return self.kind in MANDATORY_KINDS


# ---------------------------------------------------------------------------------------------------------------
# Preferences


def frequencies(user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """Each (user, kind) preference that differs from the default, for the given users."""
    ids = sorted(set(user_ids))
    found = {}
    for part in chunks(ids):
        for user_id, kind, frequency in ReminderPreference.objects.filter(user_id__in=part).values_list(
            "user_id", "kind", "frequency"
        ):
            found[(user_id, kind)] = frequency
    return found


def preferences_of(user) -> dict[str, str]:
    """The user's frequency for every non-mandatory kind."""
    mine = dict(ReminderPreference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: mine.get(kind, DEFAULT_FREQUENCY) for kind in REMINDER_KINDS}


def set_preferences(*, user, values: dict[str, str]) -> dict[str, str]:
    """Set the user's frequency for some non-mandatory kinds; mandatory kinds cannot be changed."""
    errors = {}
    for kind, frequency in values.items():
        if kind in MANDATORY_KINDS:
            errors[kind] = _(
                "Notices after a deadline and escalations are always sent; they cannot be turned off."
            )
        elif kind not in REMINDER_KINDS:
            errors[kind] = _("Unknown kind of reminder.")
        elif frequency not in Frequency.values:
            errors[kind] = _("Choose immediately, daily digest, weekly digest or off.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, frequency in values.items():
            ReminderPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"frequency": frequency}
            )
    return preferences_of(user)


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _existing(drafts: Sequence[Draft]) -> set[tuple[int, str]]:
    keys = sorted({d.key for d in drafts})
    found: set[tuple[int, str]] = set()
    for part in chunks(keys):
        found.update(Notification.objects.filter(key__in=part).values_list("recipient_id", "key"))
    return found


def deliver(drafts: Sequence[Draft], *, dry_run: bool = False) -> list[Draft]:
    """Write the drafts that were not written before and that their recipients want; returns those.

    Drafts for inactive accounts are dropped. Safe to repeat and to run in several processes at once.
    """
    if not drafts:
        return []
    unique = list({(d.recipient_id, d.key): d for d in drafts}.values())
    active = set()
    ids = sorted({d.recipient_id for d in unique})
    for part in chunks(ids):
        active.update(User.objects.filter(pk__in=part, is_active=True).values_list("pk", flat=True))
    done = _existing(unique)
    prefs = frequencies(d.recipient_id for d in unique if not d.mandatory)
    rows, written = [], []
    now = timezone.now()
    for draft in unique:
        if draft.recipient_id not in active or (draft.recipient_id, draft.key) in done:
            continue
        delivery = (
            Frequency.IMMEDIATELY
            if draft.mandatory
            else prefs.get((draft.recipient_id, draft.kind), DEFAULT_FREQUENCY)
        )
        if delivery == Frequency.OFF:
            continue
        written.append(draft)
        rows.append(
            Notification(
                recipient_id=draft.recipient_id,
                kind=draft.kind,
                mandatory=draft.mandatory,
                title=draft.title[:200],
                body=draft.body,
                link=draft.link[:300],
                key=draft.key,
                pairing_id=draft.pairing_id,
                created_at=now,
                delivery=delivery,
            )
        )
    if not dry_run:
        Notification.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)
    return written


def notify(draft: Draft) -> Notification | None:
    """Write one notification now (another app's event); e-mailed after commit when it is to go at once."""
    written = deliver([draft])
    if not written:
        return None
    notification = Notification.objects.get(recipient_id=draft.recipient_id, key=draft.key)
    if notification.delivery == Frequency.IMMEDIATELY:
        recipient = draft.recipient_id
        transaction.on_commit(
            lambda: send_emails(deliveries=(Frequency.IMMEDIATELY,), recipients=[recipient])
        )
    return notification


# ---------------------------------------------------------------------------------------------------------------
# Reading state


def mark_read(*, user, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (reading it again changes nothing)."""
    if notification.recipient_id != user.pk:
        raise ValidationError(_("This is not your notification."))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------------------------
# E-mail


def due_deliveries(day) -> tuple[str, ...]:
    """What a run on ``day`` e-mails: immediate and daily rows, and weekly ones on the digest weekday."""
    deliveries = (Frequency.IMMEDIATELY, Frequency.DAILY)
    if day.weekday() == schedule().digest_weekday:
        deliveries += (Frequency.WEEKLY,)
    return deliveries


def _message(user, rows: list[Notification]) -> EmailMessage:
    base = site_url()
    urgent = [n for n in rows if n.mandatory]
    with translation.override(settings.LANGUAGE_CODE):
        if len(rows) == 1:
            subject = rows[0].title
        elif urgent:
            subject = _("Bangdai: %(n)s notifications, %(urgent)s past a deadline") % {
                "n": len(rows),
                "urgent": len(urgent),
            }
        else:
            subject = _("Bangdai: %(n)s reminders") % {"n": len(rows)}
        body = render_to_string(
            "notifications/email.txt",
            {
                "user": user,
                "urgent": urgent,
                "others": [n for n in rows if not n.mandatory],
                "base": base,
                "inbox": base + "/notifications/",
                "preferences": base + "/notifications/preferences/",
            },
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_emails(*, deliveries: Sequence[str], recipients: Sequence[int] | None = None) -> dict[str, int]:
    """E-mail the pending notifications of the given deliveries, one message per recipient.

    Returns how many messages went out, how many failed, and how many rows were skipped for want of an address.
    """
    batch = uuid.uuid4().hex
    pending = Notification.objects.filter(email_state=EmailState.PENDING, delivery__in=list(deliveries))
    if recipients is not None:
        pending = pending.filter(recipient_id__in=list(recipients))
    claimed = pending.update(email_state=EmailState.SENDING, batch=batch)
    counts = {"emails": 0, "failed": 0, "skipped": 0}
    if not claimed:
        return counts
    rows = list(
        Notification.objects.filter(batch=batch, email_state=EmailState.SENDING)
        .select_related("recipient")
        .order_by("recipient_id", "-mandatory", "created_at", "pk")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.recipient_id].append(row)
    sent, failed, skipped = [], [], []
    for user_id, items in by_user.items():
        user = items[0].recipient
        if not user.email:
            skipped.append(user_id)
            continue
        try:
            _message(user, items).send()
        except Exception:  # noqa: BLE001  (any transport error: keep the rows for the next run)
            logger.exception("E-mail to user %s failed", user_id)
            failed.append(user_id)
        else:
            sent.append(user_id)
    now = timezone.now()
    claimed_rows = Notification.objects.filter(batch=batch, email_state=EmailState.SENDING)
    for part in chunks(sent):
        claimed_rows.filter(recipient_id__in=part).update(email_state=EmailState.SENT, emailed_at=now)
    for part in chunks(skipped):
        counts["skipped"] += claimed_rows.filter(recipient_id__in=part).update(email_state=EmailState.SKIPPED)
    for part in chunks(failed):
        claimed_rows.filter(recipient_id__in=part).update(email_state=EmailState.PENDING, batch="")
    counts["emails"], counts["failed"] = len(sent), len(failed)
    return counts
