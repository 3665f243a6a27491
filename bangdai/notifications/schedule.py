"""When reminders go out: the settings of ``BANGDAI["REMINDERS"]`` with their defaults.

    LEAD_DAYS            remind this many days before a deadline (and on the day itself)               3
    ESCALATE_AFTER_DAYS  escalate to the township committee this many days after a missed deadline       3
    CATCH_UP_DAYS        a day's run also sends what earlier days' runs missed, this far back            14
    MONTH_END_DAYS       the monthly minimum reminder starts this many days before the month's end         5
    HOUR                 the scheduler enqueues the day's run at this local hour                          7
    DIGEST_WEEKDAY       weekly digests go out on this weekday (0 = Monday)                               0
``BANGDAI["SITE_URL"]`` makes the links in e-mails absolute (default http://127.0.0.1:8000).
"""

from dataclasses import dataclass, fields

from django.conf import settings


@dataclass(frozen=True)
class Schedule:
    lead_days: int = 3
    escalate_after_days: int = 3
    catch_up_days: int = 14
    month_end_days: int = 5
    hour: int = 7
    digest_weekday: int = 0


def schedule() -> Schedule:
    configured = getattr(settings, "BANGDAI", {}).get("REMINDERS", {}) or {}
    values = {
        f.name: int(configured[f.name.upper()]) for f in fields(Schedule) if f.name.upper() in configured
    }
    return Schedule(**values)


def site_url() -> str:
    return str(getattr(settings, "BANGDAI", {}).get("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
