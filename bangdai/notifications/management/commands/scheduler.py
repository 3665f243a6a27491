"""``bangdai scheduler``: enqueue the reminder run once a day at the configured hour (beside ``db_worker``).

Safe to run in several processes: each day is claimed once (a unique row), whoever gets there first.
"""

import signal
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from bangdai.notifications import runs
from bangdai.notifications.schedule import schedule


class Command(BaseCommand):
    help = "Enqueue the day's reminder run for the task worker once a day, at BANGDAI['REMINDERS']['HOUR']."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60, help="Seconds between checks (default 60).")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args, **options):
        stop = {"now": False}

        def request_stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if not options["once"]:
            self.stdout.write(
                f"Scheduler: the reminder run is enqueued daily from {schedule().hour:02d}:00 "
                f"({timezone.get_current_timezone_name()})."
            )
        while True:
            day = runs.due_today()
            if day is not None:
                run = runs.enqueue_day(day)
                if run is not None:
                    self.stdout.write(
                        f"{timezone.localtime():%Y-%m-%d %H:%M} enqueued the reminder run for {day}."
                    )
                elif options["once"]:
                    self.stdout.write(f"The reminder run for {day} was already enqueued.")
            elif options["once"]:
                self.stdout.write("Not yet time for today's reminder run.")
            if options["once"] or stop["now"]:
                return
            for _second in range(max(options["interval"], 1)):
                if stop["now"]:
                    return
                time.sleep(1)
