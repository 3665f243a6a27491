"""The mentor pool at county scale: its cases, each timed in a subprocess against a floor measured the same way.

Every case is a ``Case`` in ``CASES``: ``prepare`` writes what it needs into a working copy of the province
database from the ``demo`` benchmark (not timed), ``measure`` runs the operation as a user runs it and times
it, ``floor`` times the baseline. Each step runs in its own ``python -m bench.pool STEP CASE DB`` subprocess
with Django set up on that copy, so ``peak_mb`` is the peak RSS of the measuring process alone (``wait4``).

certificates-1000: ``GET /documents/programmes/<pk>/certificates.pdf`` for a programme of 安吉县 with 1,000
appointed mentors, as the county admin ``anji``: one PDF of 1,000 聘书 pages. Over 100 pages the request queues a
job; the benchmark then runs that job in the same process as a worker would and reads its result file, so the
time covers the request, the queries, the template, WeasyPrint and storing the file. The floor is WeasyPrint typesetting the same text, 1,000 pages in the same font, with
no layout: one plain paragraph per line of each certificate and a page break after each.

import-10k: a 10,000-row mentor roster (xlsx, new cadres in 安吉县's villages) imported as ``anji`` through
``bangdai.rosters.importing.import_roster``: pre-check, parse, check every row, then every row through the people
and mentor services in one transaction. The floor is openpyxl alone reading the same file in read-only mode.
"""

import io
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .common import (
    WORK_DIR,
    check,
    markdown_table,
    print_table,
    record,
    run_measured,
    sqlite_env,
    update_doc,
    write_results,
)

NAME = "pool"
POOL_DB = WORK_DIR / "pool.sqlite3"  # a copy of the province database; the demo's own file stays untouched
COUNTY = "330523"  # 安吉县
ADMIN = "anji"

COLUMNS = [
    ("case", "case"),
    ("seconds", "seconds"),
    ("target s", "target_seconds"),
    ("pass", "passed"),
    ("peak MB", "peak_mb"),
    ("floor s", "baseline_seconds"),
    ("ratio", "ratio"),
    ("CPU s", "cpu_seconds"),
    ("floor CPU s", "baseline_cpu_seconds"),
    ("pages", "pages"),
    ("ms/page", "ms_per_page"),
    ("queries", "queries"),
    ("PDF MB", "pdf_mb"),
    ("HTML s", "html_seconds"),
    ("rows/s", "rows_per_second"),
    ("write s", "write_seconds"),
]


@dataclass(frozen=True)
class Case:
    """One measured case: set-up, the timed operation and its floor, each run inside a Django process."""

    name: str
    target_seconds: float
    prepare: Callable[[], dict]  # returns the parameters measure and floor receive (JSON)
    measure: Callable[[dict], dict]  # returns figures with at least "seconds"
    floor: Callable[[dict], dict]  # returns figures with at least "seconds"
    description: str


# ---------------------------------------------------------------------------------------------------------
# certificates-1000

CERTIFICATES = 1000


def _prepare_certificates() -> dict:
    """A programme of 安吉县 with 1,000 appointed mentors, written directly (the set-up is not measured)."""
    import datetime as dt

    from django.db import transaction

    from bangdai.accounts.models import User
    from bangdai.mentors.choices import MentorStatus, MentorTier, MentorTitle, NominationSource
    from bangdai.mentors.models import Mentor
    from bangdai.mentors.services import certificate_number
    from bangdai.people.models import Person
    from bangdai.programmes import services as programme_services
    from bangdai.regions.models import Region

    admin = User.objects.get(username=ADMIN)
    county = Region.objects.current().get(code=COUNTY)
    people = list(Person.objects.in_region(county).select_related("region").order_by("pk")[:CERTIFICATES])
    if len(people) < CERTIFICATES:
        raise SystemExit(f"only {len(people)} cadres in {county.name}; {CERTIFICATES} are needed")
    tiers = [MentorTier.VILLAGE, MentorTier.TOWNSHIP, MentorTier.COUNTY]
    titles = [[], [MentorTitle.XINGCUN_MINGSHI], [MentorTitle.DANDANG_HAO_ZHISHU, MentorTitle.LAO_XIANGZHEN]]
    appointed, term_end = dt.date(2026, 3, 5), dt.date(2029, 3, 4)
    with transaction.atomic():
        programme = programme_services.create_programme(
            actor=admin, name="安吉县2026年乡村年轻干部导师帮带", region=county, year=2026
        )
        mentors = Mentor.objects.bulk_create(
            Mentor(
                programme=programme,
                person=person,
                region=person.region,
                tier=tiers[i % 3],
                titles=titles[i % 3],
                capacity=2,
                status=MentorStatus.ACTIVE,
                nominated_via=NominationSource.ORG_RECOMMENDED,
                appointed_at=appointed,
                term_end=term_end,
            )
            for i, person in enumerate(people)
        )
        for mentor in mentors:
            mentor.certificate_no = certificate_number(mentor, appointed)
        Mentor.objects.bulk_update(mentors, ["certificate_no"])
    return {"programme": programme.pk, "one_mentor": mentors[0].pk, "mentors": len(mentors)}


def _measure_certificates(params: dict) -> dict:
    """The request as the county admin makes it, after one single-certificate request to warm the process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bangdai.accounts.models import User
    from bangdai.documents import selectors
    from bangdai.documents.rendering import render_html
    from bangdai.programmes.models import Programme

    admin = User.objects.get(username=ADMIN)
    client = Client()
    client.force_login(admin)
    _get_pdf(client, reverse("documents:certificate", args=[params["one_mentor"]]))  # imports, fonts

    url = reverse("documents:programme_certificates", args=[params["programme"]])
    # More than 100 certificates are a background job: the request queues it and a worker renders it. The timing
    # covers the request and the job run in this process as the worker runs it (its queries, the template,
    # WeasyPrint and storing the result file): everything the admin waits for before the download appears.
    from django.conf import settings

    from bangdai.documents import tasks
    from bangdai.jobs import services as job_services
    from bangdai.jobs.models import Job

    settings.MEDIA_ROOT = str(WORK_DIR / "media")
    with CaptureQueriesContext(connection) as queries:
        start, cpu_start = time.perf_counter(), time.process_time()
        response = client.get(url)
        job = Job.objects.order_by("-pk").first()
        if response.status_code != 302 or job is None:
            raise SystemExit(f"GET {url} answered {response.status_code}, no job")
        if job_services.run(job.pk, tasks._run) != "succeeded":
            raise SystemExit(f"the certificates job ended {Job.objects.get(pk=job.pk).status}")
        job.refresh_from_db()
        with job.result_file.open("rb") as file:
            body = file.read()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start

    # Not part of the timed request: how much of it the database and the template take.
    start = time.perf_counter()
    programme = Programme.objects.get(pk=params["programme"])
    render_html(
        "documents/certificates.html",
        {"certificates": selectors.certificates(list(selectors.programme_certificates(admin, programme)))},
    )
    html_seconds = time.perf_counter() - start

    pages = _page_count(body)
    if pages != params["mentors"]:
        raise SystemExit(f"the PDF has {pages} pages for {params['mentors']} certificates")
    return {
        "seconds": seconds,
        "cpu_seconds": round(cpu_seconds, 2),
        "pages": pages,
        "ms_per_page": round(seconds * 1000 / pages, 1),
        "queries": len(queries),
        "pdf_mb": round(len(body) / 2**20, 2),
        "html_seconds": round(html_seconds, 3),
        "url": url,
    }


def _floor_certificates(params: dict) -> dict:
    """WeasyPrint on the same text: same font and page size, one paragraph per line, no borders or layout."""
    from html import escape

    from bangdai.accounts.models import User
    from bangdai.documents import selectors
    from bangdai.documents.rendering import write_pdf
    from bangdai.programmes.models import Programme

    admin = User.objects.get(username=ADMIN)
    programme = Programme.objects.get(pk=params["programme"])
    certificates = selectors.certificates(list(selectors.programme_certificates(admin, programme)))
    head = (
        '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>'
        '@page { size: A4 landscape; } html { font-family: "Noto Serif CJK SC"; } '
        "section { break-after: page; }</style></head><body>"
    )
    write_pdf(head + "<p>聘书</p></body></html>", io.BytesIO())  # warm up like the measured process

    start, cpu_start = time.perf_counter(), time.process_time()
    sections = []
    for c in certificates:
        lines = [
            f"证书编号：{c.number}",
            "聘书",
            f"兹聘请{c.mentor.name}同志为{c.programme}{c.tier}导师，聘期自{c.appointed_on}至{c.term_end}。",
            "特发此聘书。",
            f"工作单位：{c.mentor.place} {c.mentor.unit}",
            f"荣誉称号：{'、'.join(c.titles)}",
            c.organiser,
            c.appointed_on,
        ]
        sections.append("<section>" + "".join(f"<p>{escape(line)}</p>" for line in lines) + "</section>")
    target = io.BytesIO()
    write_pdf(head + "".join(sections) + "</body></html>", target)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    pages = _page_count(target.getvalue())
    if pages != params["mentors"]:
        raise SystemExit(f"the floor PDF has {pages} pages for {params['mentors']} certificates")
    return {"seconds": seconds, "cpu_seconds": round(cpu_seconds, 2), "pages": pages}


def _get_pdf(client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200 or response["Content-Type"] != "application/pdf":
        raise SystemExit(f"GET {url} answered {response.status_code} {response.get('Content-Type')}")
    return b"".join(response.streaming_content)


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader  # a dev dependency, as the benchmarks are

    return len(PdfReader(io.BytesIO(pdf)).pages)


# ---------------------------------------------------------------------------------------------------------
# import-10k

IMPORT_ROWS = 10_000
IMPORT_FILE = WORK_DIR / "import-10k.xlsx"
IMPORT_HEADERS = [
    "序号", "姓名", "身份证号", "性别", "出生日期", "手机", "工作单位所在村", "职务", "政治面貌", "学历",
    "干部类别", "参加工作时间", "导师层级", "荣誉称号", "擅长领域", "特长", "帮带容量",
]  # fmt: skip


def _prepare_import() -> dict:
    """A fresh programme of 安吉县 and a 10,000-row mentor roster of new cadres in its villages (xlsx)."""
    import datetime as dt

    from openpyxl import Workbook
    from stdnum.cn import ric

    from bangdai.accounts.models import User
    from bangdai.people.models import Person
    from bangdai.people.protection import blind_index
    from bangdai.programmes import services as programme_services
    from bangdai.regions.models import Region

    admin = User.objects.get(username=ADMIN)
    county = Region.objects.current().get(code=COUNTY)
    villages = list(
        Region.objects.current().in_subtree(county.path).filter(depth=5).values_list("code", flat=True)
    )
    programme = programme_services.create_programme(
        actor=admin, name=f"安吉县导师名册导入基准{time.time_ns()}", region=county, year=2027
    )
    numbers, day = [], 0
    while len(numbers) < IMPORT_ROWS:
        birth = dt.date(1955, 1, 1) + dt.timedelta(days=day)
        day += 1
        body = f"330523{birth:%Y%m%d}97{day % 5 * 2 + 1}"  # odd: men
        numbers.append((birth, body + ric.calc_check_digit(body + "0")))
    taken = set(
        Person.objects.filter(id_number_index__in=[blind_index(n) for _, n in numbers]).values_list(
            "id_number_index", flat=True
        )
    )
    if taken:
        raise SystemExit(f"{len(taken)} generated ID numbers already exist in the database")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("导师名册")
    sheet.append(["安吉县2027年导师名册"])
    sheet.append(IMPORT_HEADERS)
    for i, (birth, number) in enumerate(numbers, start=1):
        name = "导师" + chr(0x4E00 + i % 3000) + chr(0x4E00 + i // 3000)
        sheet.append(
            [i, name, number, "男", birth.strftime("%Y.%m.%d"), f"139{i:08d}", villages[i % len(villages)],
             "党组织书记", "中共党员", "大学本科", "村干部", "1995.7.1", "村级", "兴村名师",
             "富民强村、基层党建", "民宿经营", 2]
        )  # fmt: skip
    IMPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(IMPORT_FILE)
    return {"programme": programme.pk, "rows": IMPORT_ROWS, "file": str(IMPORT_FILE)}


def _measure_import(params: dict) -> dict:
    """The whole import as the county admin runs it: pre-check, parse, check, write in one transaction."""
    from django.db import connection

    from bangdai.accounts.models import User
    from bangdai.mentors.models import Mentor
    from bangdai.programmes.models import Programme
    from bangdai.rosters.importing import import_roster

    admin = User.objects.get(username=ADMIN)
    programme = Programme.objects.select_related("region").get(pk=params["programme"])
    phases: dict[str, float] = {}

    def progress(done: int, total: int, phase: str) -> None:
        phases.setdefault(phase, time.perf_counter())

    queries: list[int] = []

    def count(execute, sql, params_, many, context):  # cheaper than CaptureQueriesContext on 10^5 statements
        queries.append(1)
        return execute(sql, params_, many, context)

    with open(params["file"], "rb") as file, connection.execute_wrapper(count):
        start, cpu_start = time.perf_counter(), time.process_time()
        report = import_roster(
            kind="mentors", programme=programme, actor=admin, file=file, dry_run=False, progress=progress
        )
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if report.error_rows or not report.written:
        first = report.error_rows[0] if report.error_rows else None
        raise SystemExit(f"the import failed: {len(report.error_rows)} rows with errors, first {first}")
    created = Mentor.objects.filter(programme=programme).count()
    if created != params["rows"]:
        raise SystemExit(f"{created} mentors created for {params['rows']} rows")
    return {
        "seconds": seconds,
        "cpu_seconds": round(cpu_seconds, 2),
        "rows": params["rows"],
        "rows_per_second": round(params["rows"] / seconds),
        "queries": len(queries),
        "parse_seconds": round(phases["check"] - start, 2),
        "check_seconds": round(phases["write"] - phases["check"], 2),
        "write_seconds": round(start + seconds - phases["write"], 2),
    }


def _floor_import(params: dict) -> dict:
    """openpyxl alone reading the same file: read-only mode, every cell of every row."""
    from openpyxl import load_workbook

    start, cpu_start = time.perf_counter(), time.process_time()
    workbook = load_workbook(params["file"], read_only=True, data_only=True)
    cells = 0
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        cells += len(row)
    workbook.close()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {"seconds": seconds, "cpu_seconds": round(cpu_seconds, 2), "cells": cells}


CASES: list[Case] = [
    Case(
        name="certificates-1000",
        target_seconds=60.0,
        prepare=_prepare_certificates,
        measure=_measure_certificates,
        floor=_floor_certificates,
        description=f"{CERTIFICATES:,} 聘书 of one programme in one PDF (GET …/certificates.pdf as {ADMIN})",
    ),
    Case(
        name="import-10k",
        target_seconds=30.0,
        prepare=_prepare_import,
        measure=_measure_import,
        floor=_floor_import,
        description=f"a {IMPORT_ROWS:,}-row mentor roster (xlsx) imported as {ADMIN}: every row through the services, one transaction",
    ),
]


# ---------------------------------------------------------------------------------------------------------


def run(names: list[str] | None = None) -> list[dict]:
    """Run every case, or only the named ones (the others keep their last record in the results file)."""
    from .demo import ensure_database

    known = [c.name for c in CASES]
    unknown = sorted(set(names or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown pool case(s) {', '.join(unknown)}; the cases are {', '.join(known)}")
    source = ensure_database()
    _fresh_copy(source, POOL_DB)
    env = sqlite_env(POOL_DB)
    records = []
    for case in CASES:
        if names and case.name not in names:
            continue
        print(f"pool: {case.name}: preparing ...", flush=True)
        prepared = _step("prepare", case, env)
        params = prepared.figures
        print(f"pool: {case.name}: measuring ...", flush=True)
        measured = _step("measure", case, env, params)
        print(f"pool: {case.name}: floor ...", flush=True)
        floor = _step("floor", case, env, params)
        figures = dict(measured.figures)
        seconds = figures.pop("seconds")
        records.append(
            record(
                case.name,
                seconds,
                measured.peak_mb,
                floor.figures["seconds"],
                target_seconds=case.target_seconds,
                passed=seconds <= case.target_seconds,
                **figures,
                description=case.description,
                baseline_cpu_seconds=floor.figures["cpu_seconds"],
                baseline_peak_mb=round(floor.peak_mb, 1),
                prepare_seconds=round(prepared.seconds, 2),
            )
        )
    print_table("Mentor pool at county scale (SQLite, a copy of the province database)", COLUMNS, records)
    written = write_results(NAME, records, order=known)
    table = markdown_table(COLUMNS, written)
    if len(written) > len(records):
        ran = ", ".join(r["case"] for r in records)
        table += f"\n\nThis run measured {ran} (`python -m bench pool {ran.replace(', ', ' ')}`); the other rows are from an earlier run."
    update_doc(NAME, table)
    return records


@dataclass
class Step:
    figures: dict
    seconds: float
    peak_mb: float


def _step(step: str, case: Case, env: dict[str, str], params: dict | None = None) -> Step:
    cmd = [sys.executable, "-m", "bench.pool", step, case.name, json.dumps(params or {})]
    run = check(run_measured(cmd, env), f"{case.name} {step}")
    return Step(json.loads(run.stdout.strip().splitlines()[-1]), run.seconds, run.peak_mb)


def _fresh_copy(source: Path, target: Path) -> None:
    """Copy the province database with SQLite's backup API (consistent even with a WAL beside it)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _child(argv: list[str]) -> None:
    """``python -m bench.pool STEP CASE PARAMS``: one step of one case; its figures as the last stdout line."""
    step, name, params = argv
    import django

    django.setup()
    case = next(c for c in CASES if c.name == name)
    if step == "prepare":
        figures = case.prepare()
    elif step == "measure":
        figures = case.measure(json.loads(params))
    elif step == "floor":
        figures = case.floor(json.loads(params))
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1:])
