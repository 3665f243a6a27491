"""List pages, the home page and the API list of one county at province scale, against their bare SQL.

In process, with Django's test Client on the province database from the ``demo`` benchmark, signed in as the
county admin ``anji`` (安吉县) and as the province admin ``province``, both looking at 安吉县 (330523). Each
case is warmed up, then timed over REQUESTS requests (median and p95). The baseline ("floor") is the bare SQL
of the same request: the statements the request executed, captured with ``CaptureQueriesContext`` and
re-executed (rows fetched) on a plain sqlite3 connection configured like Django's.
"""

import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from .common import (
    markdown_table,
    median,
    percentile,
    print_table,
    raw_connection,
    record,
    sqlite_env,
    update_doc,
    write_results,
)
from .demo import ensure_database

NAME = "lists"
COUNTY = "330523"  # 安吉县
USERS = ["anji", "province"]
WARMUP = 5
REQUESTS = 30
TARGET_MS = 150.0
TEMPLATE_RETRIES = 10  # pages are templated concurrently by others: wait for a missing template
TEMPLATE_WAIT_SECONDS = 60

COLUMNS = [
    ("case", "case"),
    ("median ms", "median_ms"),
    ("p95 ms", "p95_ms"),
    ("target ms", "target_ms"),
    ("pass", "passed"),
    ("floor ms", "baseline_ms"),
    ("ratio", "ratio"),
    ("queries", "queries"),
    ("rows fetched", "rows_fetched"),
    ("peak MB", "peak_mb"),
]


def _no_op() -> None:
    pass


def run() -> list[dict]:
    db = ensure_database()
    for key, value in sqlite_env(db).items():
        os.environ[key] = value
    os.environ.pop("BANGDAI_DATABASE_URL", None)
    os.environ.pop("BANGDAI_REDIS_URL", None)

    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from bangdai.accounts.models import User
    from bangdai.people.models import Person
    from bangdai.regions.models import Region

    county = Region.objects.current().get(code=COUNTY)
    cadres_in_county = Person.objects.in_region(county).count()
    cases: list[tuple[str, str, Callable[[], None]]] = [
        ("cadre list", f"/cadres/?region={COUNTY}", _no_op),
        ("home", "/", _no_op),
        # The home page caches its counts (15 min, per scope); this is the first visit after a write.
        ("home, counts not cached", "/", cache.clear),
        ("API list", f"/api/cadres/?region={COUNTY}", _no_op),
    ]
    records = []
    for username in USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        switched = client.post("/regions/switch/", {"code": COUNTY})
        if switched.status_code != 302:
            raise SystemExit(f"switching {username} to {COUNTY} answered {switched.status_code}")
        for label, url, before in cases:
            print(f"lists: {username}: {label} ({url}) ...", flush=True)
            figures = _measure(client, url, before, db)
            records.append(
                record(
                    f"{label} · {username}",
                    figures.pop("median"),
                    figures.pop("peak_mb"),
                    figures.pop("floor"),
                    user=username,
                    url=url,
                    region=COUNTY,
                    cadres_in_county=cadres_in_county,
                    target_ms=TARGET_MS,
                    **figures,
                )
            )
            last = records[-1]
            last["median_ms"] = round(last["seconds"] * 1000, 1)
            last["baseline_ms"] = round(last["baseline_seconds"] * 1000, 2)
            last["passed"] = last["median_ms"] <= TARGET_MS
    process_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_table(
        f"Lists at province scale on SQLite, region {COUNTY} (median of {REQUESTS})", COLUMNS, records
    )
    print(f"  process peak RSS {process_peak_mb:.0f} MB")
    write_results(NAME, records)
    update_doc(
        NAME,
        markdown_table(COLUMNS, records)
        + f"\n\n{REQUESTS} requests per case after {WARMUP} warm-up requests; {cadres_in_county:,} cadres in "
        f"{county.name} ({COUNTY}); process peak RSS {process_peak_mb:.0f} MB.",
    )
    return records


def _measure(client, url: str, before: Callable[[], None], db: Path) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _first_ok(client, url)
    for _ in range(WARMUP):
        before()
        _get(client, url)
    times = []
    for _ in range(REQUESTS):
        before()
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        _ok(response, url)

    before()
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, url)
    statements = [q["sql"] for q in captured.captured_queries]

    before()
    tracemalloc.start()
    _get(client, url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    floor, rows_fetched = _floor(db, statements)
    figures = {
        "median": median(times),
        "p95_ms": round(percentile(times, 95) * 1000, 1),
        "min_ms": round(min(times) * 1000, 1),
        "requests": REQUESTS,
        "queries": len(statements),
        "rows_fetched": rows_fetched,
        "response_kb": round(len(response.content) / 1024, 1),
        "peak_mb": peak / 2**20,  # Python heap allocated during one request (tracemalloc)
        "floor": floor,
    }
    if url.startswith("/api/"):
        body = response.json()
        figures.update(count=body["count"], page_rows=len(body["results"]))
    return figures


def _floor(db: Path, statements: list[str]) -> tuple[float, int]:
    """Median time of re-executing the request's statements on a raw connection, fetching every row."""
    conn = raw_connection(db)
    writes = any(not s.lstrip().upper().startswith(("SELECT", "WITH")) for s in statements)
    times = []
    rows = 0
    try:
        for _ in range(WARMUP):
            _execute(conn, statements, writes)
        for _ in range(REQUESTS):
            start = time.perf_counter()
            rows = _execute(conn, statements, writes)
            times.append(time.perf_counter() - start)
    finally:
        conn.close()
    return median(times), rows


def _execute(conn, statements: list[str], writes: bool) -> int:
    rows = 0
    if writes:  # a write (a session save, a savepoint) is replayed, then rolled back
        conn.execute("BEGIN")
    try:
        for sql in statements:
            rows += len(conn.execute(sql).fetchall())
    finally:
        if writes:
            conn.execute("ROLLBACK")
    return rows


def _get(client, url: str):
    response = client.get(url)
    _ok(response, url)
    return response


def _ok(response, url: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")


def _first_ok(client, url: str) -> None:
    """The first request; while a template the page needs is still being written, wait and retry."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError

    for attempt in range(TEMPLATE_RETRIES):
        try:
            _get(client, url)
            return
        except (TemplateDoesNotExist, TemplateSyntaxError) as error:
            print(
                f"lists: {url}: template problem ({error}); retry {attempt + 1} in {TEMPLATE_WAIT_SECONDS} s",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(TEMPLATE_WAIT_SECONDS)
    _get(client, url)
