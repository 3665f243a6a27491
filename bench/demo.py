"""``bangdai demo --scale province`` on a fresh SQLite file, against the floor of inserting the same rows.

The demo runs in a subprocess exactly as a user runs it (``bangdai migrate``, then ``bangdai demo``); we time
the demo step alone and read that process's peak RSS. The baseline is the floor of writing the same rows:
the regions, cadres and history rows the demo produced, copied with plain ``sqlite3`` ``executemany`` into an
empty database with the same schema and indexes, in one transaction, timing only the inserts and the commit.
The resulting database is kept at var/bench/province.sqlite3 for the ``lists`` benchmark.
"""

import json
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from .common import (
    PROVINCE_DB,
    WORK_DIR,
    bangdai_command,
    check,
    markdown_table,
    print_table,
    raw_connection,
    record,
    run_measured,
    sqlite_env,
    update_doc,
    write_results,
)

NAME = "demo"
TARGET_SECONDS = 180.0
# The floor copies every table the demo fills (the tree, cadres, the pool, pairings and a year of practice).
SKIPPED_TABLES = ("django_migrations", "sqlite_sequence")


def demo_tables(conn) -> list[str]:
    """The tables holding rows after the demo, in creation order (foreign keys point backwards)."""
    names = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        if name not in SKIPPED_TABLES and not name.startswith("sqlite_")
    ]
    return [t for t in names if conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]  # noqa: S608


REPORT_LINE = re.compile(r"(\d+) villages and communities, (\d+) cadres, (\d+) accounts in ([\d.]+) s")

COLUMNS = [
    ("case", "case"),
    ("seconds", "seconds"),
    ("target s", "target_seconds"),
    ("pass", "passed"),
    ("peak MB", "peak_mb"),
    ("floor s", "baseline_seconds"),
    ("ratio", "ratio"),
    ("villages", "villages"),
    ("cadres", "cadres"),
    ("rows written", "rows_written"),
    ("rows/s", "rows_per_second"),
    ("migrate s", "migrate_seconds"),
]


def run() -> list[dict]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="demo-", dir=WORK_DIR))  # same disk as the kept file: no tmpfs
    try:
        db = tmp / "province.sqlite3"
        env = sqlite_env(db)
        print(f"demo: migrating a fresh database in {tmp} ...", flush=True)
        migrate = check(
            run_measured([*bangdai_command(), "migrate", "--noinput", "-v0"], env), "bangdai migrate"
        )
        print("demo: bangdai demo --scale province ...", flush=True)
        demo = check(run_measured([*bangdai_command(), "demo", "--scale", "province"], env), "bangdai demo")
        found = REPORT_LINE.search(demo.stdout)
        if not found:
            raise SystemExit(f"unexpected demo output: {demo.stdout!r}")
        villages, cadres, accounts = map(int, found.groups()[:3])
        generator_seconds = float(found.group(4))
        rows = _checkpoint_and_count(db)

        print("demo: floor (plain sqlite3 executemany of the same rows) ...", flush=True)
        floor_db = tmp / "floor.sqlite3"
        floor = check(
            run_measured([sys.executable, "-m", "bench.demo", "--floor", str(db), str(floor_db)], env),
            "floor",
        )
        floor_figures = json.loads(floor.stdout.strip().splitlines()[-1])
        if floor_figures["rows"] != rows:
            raise SystemExit(f"floor copied {floor_figures['rows']}, the demo wrote {rows}")

        for suffix in ("", "-wal", "-shm"):
            Path(f"{PROVINCE_DB}{suffix}").unlink(missing_ok=True)
        db.replace(PROVINCE_DB)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows_written = sum(rows.values())
    records = [
        record(
            "demo --scale province",
            demo.seconds,
            demo.peak_mb,
            floor_figures["seconds"],
            target_seconds=TARGET_SECONDS,
            passed=demo.seconds <= TARGET_SECONDS,
            villages=villages,
            cadres=cadres,
            accounts=accounts,
            region_rows=rows["regions_region"],
            cadre_rows=rows["people_person"],
            history_rows=rows["people_personchange"],
            rows_written=rows_written,
            rows_per_second=round(rows_written / demo.seconds),
            baseline="plain sqlite3 executemany of the same rows into the same schema",
            baseline_peak_mb=round(floor.peak_mb, 1),
            generator_seconds=generator_seconds,  # as the command reports it: without start-up
            migrate_seconds=round(migrate.seconds, 2),
            database_mb=round(PROVINCE_DB.stat().st_size / 2**20, 1),
        )
    ]
    print_table("bangdai demo --scale province (SQLite, fresh file)", COLUMNS, records)
    write_results(NAME, records)
    update_doc(NAME, markdown_table(COLUMNS, records))
    return records


def ensure_database() -> Path:
    """The province database of the last demo run if its schema is current; otherwise run this benchmark."""
    if PROVINCE_DB.exists() and _is_current(PROVINCE_DB):
        return PROVINCE_DB
    print("demo: no current province database under var/bench/; building it (about a minute) ...", flush=True)
    run()
    return PROVINCE_DB


def _is_current(db: Path) -> bool:
    migrate = run_measured([*bangdai_command(), "migrate", "--check", "-v0"], sqlite_env(db))
    if migrate.returncode != 0:
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        users = {
            u
            for (u,) in conn.execute(
                "SELECT username FROM accounts_user WHERE username IN ('anji', 'province')"
            )
        }
        cadres = conn.execute("SELECT count(*) FROM people_person").fetchone()[0]
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return users == {"anji", "province"} and cadres > 100_000


def _checkpoint_and_count(db: Path) -> dict[str, int]:
    """Fold the WAL into the main file (so it can be moved alone) and count the rows the demo wrote."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in demo_tables(conn)}  # noqa: S608
    finally:
        conn.close()


def floor(source: Path, target: Path) -> dict:
    """Copy the demo's rows into an empty database with the same schema; time the inserts and commit only."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    schema = src.execute(
        "SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END"
    ).fetchall()
    dst = raw_connection(target)
    for _, sql in schema:
        dst.execute(sql)
    seconds = 0.0
    rows: dict[str, int] = {}
    start = time.perf_counter()
    dst.execute("BEGIN IMMEDIATE")
    seconds += time.perf_counter() - start
    for table in demo_tables(src):
        cursor = src.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # noqa: S608
        marks = ", ".join("?" for _ in cursor.description)
        insert = f'INSERT INTO "{table}" VALUES ({marks})'  # noqa: S608
        rows[table] = 0
        while chunk := cursor.fetchmany(5000):  # reading the source is not part of the floor
            start = time.perf_counter()
            dst.executemany(insert, chunk)
            seconds += time.perf_counter() - start
            rows[table] += len(chunk)
    start = time.perf_counter()
    dst.execute("COMMIT")
    seconds += time.perf_counter() - start
    dst.close()
    src.close()
    return {"seconds": seconds, "rows": rows}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--floor":
        print(json.dumps(floor(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        raise SystemExit(
            "usage: python -m bench.demo --floor SOURCE.sqlite3 TARGET.sqlite3 (or python -m bench demo)"
        )
