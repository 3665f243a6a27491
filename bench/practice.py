"""Issue 5's figures: compliance on a province-scale ledger on PostgreSQL, and the alliance planner on a real city.

- ``compliance-page-county``: ``GET /compliance/`` (``compliance:region``, the falling-behind page) for 安吉县 (330523)
  as its admin ``anji``, in process with Django's test Client, settings from ``config.settings`` (DEBUG off) on
  the PostgreSQL database below; median and p95 of REQUESTS requests after WARMUP, with the query count. The
  baseline is the cadre list of the same county (``/cadres/?region=330523``) in the same run and process.
- ``compliance-nightly-province``: the nightly work for the whole province: ``compliance_of`` over every running
  pairing (the whole-province grouped-query path the region page uses), then the day's reminder run
  (``notifications.runs.run_day``: reminders, notices, escalations, e-mail to the locmem backend) inside a
  transaction rolled back afterwards, so every run does the full work. The baseline is the judging alone.
- ``alliance-city``: ``bench.alliances``'s own case (衢州市, 1,488 villages), run through its ``run()`` so that
  bench/results/alliances.json gets the same record; it is copied here unchanged.

The database: ``bench_practice`` on 127.0.0.1:5432 (``BANGDAI_PRACTICE_DATABASE_URL`` overrides it). It is built
once (``bangdai migrate``, ``bangdai demo --scale province``, then the top-up to PAIRINGS running pairings and
ACTIVITIES activities in ``python -m bench.practice topup``) and kept: a later run reuses it while it holds at
least that many running pairings and activities. Drop it (``dropdb -h 127.0.0.1 -U postgres bench_practice``) to
rebuild. The top-up clones the demo's running pairings: new apprentices (cadres of the same county who are not
yet apprentices of that programme), the same programme and mentors (mentors end up above their capacity; the
compliance judgement does not read capacity), started 10–14 months ago, and writes their year of ledger with
the demo's own generator (``bangdai.demo.practice.PracticeBuilder.plan_ledger`` and ``write_ledger``, which use
``bangdai.demo.pool._insert``: one ``executemany`` per 5,000 rows), in chunks of pairings.
"""

import datetime as dt
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from contextlib import redirect_stdout

from .common import (
    ROOT,
    bangdai_command,
    check,
    markdown_table,
    median,
    percentile,
    print_table,
    read_results,
    record,
    run_measured,
    update_doc,
    write_results,
)

NAME = "practice"
DATABASE = "bench_practice"
DATABASE_URL = os.environ.get(
    "BANGDAI_PRACTICE_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
)
PAIRINGS = 75_000
ACTIVITIES = 1_800_000
COUNTY = "330523"  # 安吉县
ADMIN = "anji"
WARMUP = 3
REQUESTS = 15
NIGHTS = 2
PAGE_TARGET_MS = 300.0
NIGHTLY_TARGET_S = 120.0
CHUNK = 3000  # pairings per ledger chunk in the top-up
SEED = 2004

COLUMNS = [
    ("case", "case"),
    ("median", "median"),
    ("p95", "p95"),
    ("target", "target"),
    ("pass", "passed"),
    ("baseline", "baseline"),
    ("ratio", "ratio"),
    ("queries", "queries"),
    ("pairings", "pairings"),
    ("gap %", "gap_pct"),
    ("peak MB", "peak_mb"),
]


def env() -> dict[str, str]:
    """A Bangdai process on the practice database: PostgreSQL, in-process cache, DEBUG off, no real e-mail."""
    out = {k: v for k, v in os.environ.items() if k not in ("BANGDAI_REDIS_URL", "BANGDAI_SQLITE_PATH")}
    out.update(
        BANGDAI_DATABASE_URL=DATABASE_URL,
        DJANGO_SETTINGS_MODULE="config.settings",
        BANGDAI_DEBUG="0",
        BANGDAI_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return out


# ---------------------------------------------------------------------------------------------- the database


def _counts() -> dict | None:
    """Running pairings and activities in the practice database, or None if it is missing or not migrated."""
    cmd = [sys.executable, "-m", "bench.practice", "counts"]
    done = subprocess.run(cmd, env=env(), cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_database() -> dict:
    """Build (or reuse) the practice database; the seconds each step took, zero for a reused one."""
    counts = _counts()
    built: dict = {"reused": True}
    if counts is None or counts["pairings"] == 0:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], capture_output=True)
        print("practice: bangdai migrate + demo --scale province on PostgreSQL ...", flush=True)
        migrate = check(run_measured([*bangdai_command(), "migrate", "-v0"], env()), "migrate")
        demo = check(run_measured([*bangdai_command(), "demo", "--scale", "province"], env()), "demo")
        built = {"reused": False, "migrate_s": round(migrate.seconds, 1), "demo_s": round(demo.seconds, 1)}
        counts = _counts()
    if counts["pairings"] < PAIRINGS or counts["activities"] < ACTIVITIES:
        print(
            f"practice: topping up {counts} to {PAIRINGS:,} pairings, {ACTIVITIES:,} activities ...",
            flush=True,
        )
        topup = check(run_measured([sys.executable, "-m", "bench.practice", "topup"], env()), "topup")
        print(topup.stdout[-2000:], flush=True)
        built.update(reused=False, topup_s=round(topup.seconds, 1))
        counts = _counts()
    return {**built, **counts}


def _child_counts() -> dict:
    from bangdai.ledger.models import Activity
    from bangdai.pairings.choices import RUNNING_STATES
    from bangdai.pairings.models import Pairing

    return {
        "pairings": Pairing.objects.filter(status__in=RUNNING_STATES, start_date__isnull=False).count(),
        "activities": Activity.objects.count(),
    }


def _topup() -> dict:
    """Clone the demo's running pairings up to PAIRINGS, then write their ledgers until ACTIVITIES."""
    from collections import defaultdict

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from bangdai.apprentices.models import Apprentice
    from bangdai.demo.pool import _insert
    from bangdai.demo.practice import PracticeBuilder
    from bangdai.ledger.models import Activity
    from bangdai.pairings.choices import RUNNING_STATES
    from bangdai.pairings.models import Pairing, PairingMentor
    from bangdai.people.models import Person
    from bangdai.regions.choices import Level
    from bangdai.regions.models import PATH_STEP, Region

    start = time.perf_counter()
    today = timezone.localdate()
    rng = random.Random(SEED)
    running = Pairing.objects.filter(status__in=RUNNING_STATES, start_date__isnull=False)
    have = running.count()
    county_len = Level.COUNTY * PATH_STEP
    cadres = defaultdict(list)  # county path -> persons
    for pk, path in Person.objects.values_list("pk", "region__path").order_by("pk"):
        if path:
            cadres[path[:county_len]].append((pk, path))
    taken = set(Apprentice.objects.values_list("programme_id", "person_id"))
    templates = list(
        running.order_by("pk").values_list(
            "pk", "programme_id", "region__path", "mode", "rules_version", "apprentice__categories",
            "apprentice__needs",
        )
    )  # fmt: skip
    mentors = defaultdict(list)
    for pairing_id, mentor_id, primary in PairingMentor.objects.filter(
        pairing_id__in=[t[0] for t in templates]
    ).values_list("pairing_id", "mentor_id", "is_primary"):
        mentors[pairing_id].append((mentor_id, primary))
    region_of = dict(Region.objects.current().values_list("path", "pk"))
    cursor_of = defaultdict(int)
    apprentice_rows, plans = [], []
    want = PAIRINGS - have
    rounds = 0
    while len(plans) < want and rounds < 20:
        rounds += 1
        for t in templates:
            if len(plans) >= want:
                break
            county = t[2][:county_len]
            pool = cadres[county]
            while cursor_of[county] < len(pool) and (t[1], pool[cursor_of[county]][0]) in taken:
                cursor_of[county] += 1
            if cursor_of[county] >= len(pool):
                continue
            person, path = pool[cursor_of[county]]
            cursor_of[county] += 1
            taken.add((t[1], person))
            plans.append((t, person, region_of.get(path)))
    now = timezone.now()
    next_apprentice = (Apprentice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    next_pairing = (Pairing.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    pairing_rows, member_rows = [], []
    for i, (t, person, region) in enumerate(plans):
        apprentice, pairing = next_apprentice + i, next_pairing + i
        begun = today - dt.timedelta(days=rng.randint(300, 420))
        apprentice_rows.append((apprentice, t[1], person, region, t[5], False, t[6], "", "paired", now, now))
        pairing_rows.append(
            (pairing, t[1], apprentice, region, t[3], "active", t[4], 24, now, begun,
             begun + dt.timedelta(days=730), begun, [], "", "", "", "", now, now)
        )  # fmt: skip
        member_rows += [(pairing, m, primary, now) for m, primary in mentors[t[0]]]
    with transaction.atomic():
        _insert(
            Apprentice,
            ["id", "programme_id", "person_id", "region_id", "categories", "three_gates", "needs", "note",
             "status", "created_at", "updated_at"],
            apprentice_rows,
        )  # fmt: skip
        _insert(
            Pairing,
            ["id", "programme_id", "apprentice_id", "region_id", "mode", "status", "rules_version",
             "term_months", "apprentice_confirmed_at", "start_date", "planned_end_date", "pledge_signed_on",
             "witnesses", "note", "end_reason", "ceremony_place", "pledge_text", "created_at", "updated_at"],
            pairing_rows,
        )  # fmt: skip
        _insert(PairingMentor, ["pairing_id", "mentor_id", "is_primary", "confirmed_at"], member_rows)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Apprentice, Pairing, PairingMentor]):
            cursor.execute(statement)
    cloned_s = time.perf_counter() - start

    # The ledgers of the new pairings, with the demo's generator, chunk by chunk.
    builder = PracticeBuilder(seed=SEED, today=today)
    builder.load()
    new = {p[0] for p in pairing_rows}
    runs = [r for r in builder.runs if r.pk in new]
    activities = Activity.objects.count()
    written = 0
    for offset in range(0, len(runs), CHUNK):
        if activities >= ACTIVITIES:
            break
        builder.runs = runs[offset : offset + CHUNK]
        with transaction.atomic():
            builder.plan_ledger()
            builder.write_ledger()
        activities += builder.counts["activities"]
        written += len(builder.runs)
        print(f"  {offset + len(builder.runs):,} pairings, {activities:,} activities", flush=True)
    builder.ids.reset_sequences()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "cloned": len(pairing_rows),
        "ledgers_written": written,
        "clone_s": round(cloned_s, 1),
        "total_s": round(time.perf_counter() - start, 1),
        **_child_counts(),
    }


# ---------------------------------------------------------------------------------------------- the cases


def _measure() -> dict:
    """Both compliance cases, in this process."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from bangdai.accounts.models import User
    from bangdai.compliance import selectors
    from bangdai.notifications import runs
    from bangdai.pairings.models import Pairing
    from bangdai.regions.models import Region

    client = Client()
    client.force_login(User.objects.get(username=ADMIN))
    county = Region.objects.current().get(code=COUNTY)

    def timed(url: str) -> dict:
        for _ in range(WARMUP):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(REQUESTS):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, url
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return {"times": times, "queries": len(captured.captured_queries)}

    page_url = f"{reverse('compliance:region')}?region={COUNTY}"
    page = timed(page_url)
    base = timed(f"/cadres/?region={COUNTY}")
    page["pairings"] = selectors.running(selectors.in_region(Pairing.objects.all(), county)).count()

    nights = []
    for _ in range(NIGHTS):
        t0 = time.perf_counter()
        judged = selectors.compliance_of(Pairing.objects.all())
        t1 = time.perf_counter()
        with transaction.atomic(), redirect_stdout(io.StringIO()):
            counts = runs.run_day(timezone.localdate())
            transaction.set_rollback(True)
        t2 = time.perf_counter()
        nights.append(
            {"seconds": t2 - t0, "judge_s": t1 - t0, "remind_s": t2 - t1, "pairings": len(judged),
             "notifications": counts["written"], "emails": counts.get("emails", 0)}
        )  # fmt: skip
    return {
        "page": page,
        "page_url": page_url,
        "base": base,
        "nights": nights,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run() -> list[dict]:
    built = ensure_database()
    print(f"practice: database {built}", flush=True)
    print("practice: compliance page and nightly run ...", flush=True)
    measured = check(run_measured([sys.executable, "-m", "bench.practice", "measure"], env()), "measure")
    m = json.loads(measured.stdout.strip().splitlines()[-1])
    page, base, nights = m["page"], m["base"], m["nights"]
    page_s, base_s = median(page["times"]), median(base["times"])
    records = [
        record(
            "compliance-page-county",
            page_s,
            measured.peak_mb,
            base_s,
            median=f"{page_s * 1000:,.0f} ms",
            p95=f"{percentile(page['times'], 95) * 1000:,.0f} ms",
            target=f"{PAGE_TARGET_MS:.0f} ms",
            target_ms=PAGE_TARGET_MS,
            passed=page_s * 1000 <= PAGE_TARGET_MS,
            median_ms=round(page_s * 1000, 1),
            p95_ms=round(percentile(page["times"], 95) * 1000, 1),
            baseline=f"{base_s * 1000:,.0f} ms",
            baseline_url=f"/cadres/?region={COUNTY}",
            baseline_queries=base["queries"],
            queries=page["queries"],
            pairings=page["pairings"],
            url=m["page_url"],
            user=ADMIN,
            requests=REQUESTS,
            database="postgresql",
        )
    ]
    night_s = median([n["seconds"] for n in nights])
    judge_s = median([n["judge_s"] for n in nights])
    last = nights[-1]
    records.append(
        record(
            "compliance-nightly-province",
            night_s,
            measured.peak_mb,
            judge_s,
            median=f"{night_s:,.1f} s",
            p95="",
            target=f"{NIGHTLY_TARGET_S:.0f} s",
            target_seconds=NIGHTLY_TARGET_S,
            passed=night_s <= NIGHTLY_TARGET_S,
            baseline=f"{judge_s:,.1f} s (judging alone)",
            pairings=last["pairings"],
            judge_s=round(last["judge_s"], 2),
            remind_s=round(last["remind_s"], 2),
            notifications=last["notifications"],
            emails=last["emails"],
            runs=len(nights),
            runs_seconds=[round(n["seconds"], 2) for n in nights],
            activities=built["activities"],
            database="postgresql",
        )
    )
    print("practice: alliance-city (bench.alliances) ...", flush=True)
    from . import alliances

    alliances.run(["alliance-city"])
    city = next(r for r in read_results("alliances") if r["case"] == "alliance-city")
    records.append(
        {
            **city,
            "median": f"{city['seconds']:,.1f} s",
            "target": f"{city['target_seconds']} s, gap < {city['target_gap_pct']} %",
            "baseline": f"k-medoids ×{city['kmedoids_ratio']}",
        }
    )
    print_table("Issue 5: compliance on PostgreSQL at province scale, the alliance planner", COLUMNS, records)
    write_results(NAME, records)
    update_doc(
        NAME,
        markdown_table(COLUMNS, records)
        + f"\n\nDatabase: PostgreSQL, {built['pairings']:,} running pairings, {built['activities']:,} activities"
        f" ({'reused from an earlier run' if built.get('reused') else 'built in this run'}). "
        f"Page: {REQUESTS} requests after {WARMUP} warm-ups, baseline the county's cadre list in the same process. "
        f"Nightly: median of {len(nights)} runs ({', '.join(f'{n["seconds"]:.1f}' for n in nights)} s): judging "
        f"{last['judge_s']:.1f} s, reminder run {last['remind_s']:.1f} s ({last['notifications']:,} notifications, "
        f"rolled back). alliance-city: `bench.alliances`'s record, copied.",
    )
    return records


def _child(argv: list[str]) -> None:
    import django

    django.setup()
    step = argv[0]
    if step == "counts":
        figures = _child_counts()
    elif step == "topup":
        figures = _topup()
    elif step == "measure":
        figures = _measure()
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(figures, ensure_ascii=False, default=str))


if __name__ == "__main__":
    _child(sys.argv[1:])
