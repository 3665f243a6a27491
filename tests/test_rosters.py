"""Roster imports: messy real-world layouts, preview without writes, all-or-nothing commits, re-imports that
update, the pre-check against zip bombs, the actor's scope on every row, jobs (immediate backend and a real
``db_worker`` process), the pages and the CLI."""

import datetime as dt
import io
import os
import shutil
import sqlite3
import subprocess
import time
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

from bangdai.apprentices.models import Apprentice
from bangdai.jobs.choices import JobStatus
from bangdai.jobs.models import Job
from bangdai.mentors import services as mentor_services
from bangdai.mentors.choices import MentorAction, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor, MentorEvent
from bangdai.pairings.models import Pairing
from bangdai.people import services as people_services
from bangdai.people.choices import Education, Gender, Position
from bangdai.people.models import Person, PersonChange
from bangdai.people.protection import blind_index
from bangdai.programmes.choices import ProgrammeStatus
from bangdai.rosters import reading, services
from bangdai.rosters.choices import RosterKind, RowAction, UploadStatus
from bangdai.rosters.columns import LAYOUTS
from bangdai.rosters.importing import PERSON_FIELDS, import_roster
from bangdai.rosters.models import RosterUpload
from bangdai.rosters.reading import RosterFileError, precheck, read_sheet
from bangdai.rosters.tasks import run_roster_job

from . import pool
from .factories import make_id_number
from .servers import BIN, ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    """The refusals below are matched in English."""
    with translation.override("en"):
        yield


IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

MENTOR_HEADERS = [
    "序号", "姓名", "身份证号", "性别", "出生日期", "手机", "工作单位所在村", "职务",
    "政治面貌", "学历", "干部类别", "参加工作时间", "导师层级", "荣誉称号", "擅长领域", "特长", "帮带容量",
]  # fmt: skip


def xlsx(headers, rows, title="安吉县2027年导师名册") -> bytes:
    """A roster as departments send them: a merged title row above the header."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def id_number(birth: dt.date, gender=Gender.MALE, county="330523") -> str:
    """The same ID number every time for the same birth date (the factories' numbers change per call)."""
    body = f"{county}{birth:%Y%m%d}{'013' if gender == Gender.MALE else '024'}"
    return body + ric.calc_check_digit(body + "0")


def mentor_row(i, *, village="330523205201", tier="村级", **over):
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=i)
    values = {
        "序号": i,
        "姓名": f"导师{chr(0x4E00 + i % 2000)}{chr(0x4E00 + i // 2000)}",
        "身份证号": id_number(birth),
        "性别": "男",
        "出生日期": birth.strftime("%Y.%m.%d"),
        "手机": f"139{i:08d}",
        "工作单位所在村": village,
        "职务": "党组织书记",
        "政治面貌": "中共党员",
        "学历": "大学本科",
        "干部类别": "村干部",
        "参加工作时间": "1995.7.1",
        "导师层级": tier,
        "荣誉称号": "兴村名师",
        "擅长领域": "富民强村、基层党建",
        "特长": "民宿经营",
        "帮带容量": 2,
        **over,
    }
    return [values[h] for h in MENTOR_HEADERS]


def mentor_file(n=3, **kwargs) -> io.BytesIO:
    return io.BytesIO(xlsx(MENTOR_HEADERS, [mentor_row(i, **kwargs) for i in range(1, n + 1)]))


def run(kind, programme, actor, data, dry_run=False):
    file = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    return import_roster(kind=kind, programme=programme, actor=actor, file=file, dry_run=dry_run)


def counts():
    return (
        Person.objects.count(),
        PersonChange.objects.count(),
        Mentor.objects.count(),
        MentorEvent.objects.count(),
        Apprentice.objects.count(),
        Pairing.objects.count(),
    )


@pytest.fixture
def programme(world):
    return pool.programme(world.county_admin_a)


# --- parsing ---


def test_messy_layout_parses(world, programme):
    birth = dt.date(1968, 5, 17)
    number = make_id_number(birth, Gender.MALE)
    headers = [" 序 号", "姓  名", "公民身份号码 ", "性别", "出生年月", "联系电话", "区划代码", "职务*", "政治面貌",
               "文化程度", "人员类别", "参加工作时间（格式：2001.3.5）", "层级", "荣誉称号", "擅长领域", "特长", "帮带容量", "备注栏"]  # fmt: skip
    row = ["1", " 陈　建国 ", " " + number.translate(FULL_WIDTH) + " ", "男 ", dt.datetime(1968, 5, 17), "１３９ ０００１ ２３４５",
           "３３０５２３２０５２０１", "书记兼主任", "党员", "本科", "村干部", "2021.3.5", "县级 ",
           "兴村名师、千名好支书（第二批）", "富民强村，基层治理", "茶叶种植、调解", "３", "不读的列"]  # fmt: skip
    data = xlsx(headers, [row, [None] * len(headers), ["2"] + [None] * (len(headers) - 1)])
    sheet = read_sheet(io.BytesIO(data), LAYOUTS[RosterKind.MENTORS])
    assert sheet.title == "安吉县2027年导师名册"
    assert sheet.header_row == 2
    assert sheet.unknown_headers == ["备注栏"]
    assert len(sheet.rows) == 1  # blank rows and a row with only 序号 are skipped

    report = run(RosterKind.MENTORS, programme, world.county_admin_a, data)
    assert not report.error_rows, report.error_rows
    assert report.written and report.rows[0].action == RowAction.CREATED
    person = Person.objects.get(id_number_index=blind_index(number))
    assert person.name == "陈建国"
    assert person.birth_date == birth
    assert person.phone == "13900012345"
    assert person.region.code == "330523205201"
    assert person.position == Position.ONE_SHOULDER
    assert person.education == Education.BACHELOR
    assert person.entry_date == dt.date(2021, 3, 5)
    mentor = Mentor.objects.get(person=person)
    assert mentor.tier == MentorTier.COUNTY
    assert mentor.titles == [MentorTitle.XINGCUN_MINGSHI, MentorTitle.QIANMING_HAO_ZHISHU]
    assert mentor.qianming_batch == 2
    assert mentor.expertise == ["common_prosperity", "governance_harmony"]
    assert mentor.specialties == ["茶叶种植", "调解"]
    assert mentor.capacity == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021.3.5", dt.date(2021, 3, 5)),
        ("2021-03-05", dt.date(2021, 3, 5)),
        ("2021年3月5日", dt.date(2021, 3, 5)),
        ("2021/3/5", dt.date(2021, 3, 5)),
        ("２０２１．３．５", dt.date(2021, 3, 5)),
        ("20210305", dt.date(2021, 3, 5)),
        (dt.datetime(2021, 3, 5), dt.date(2021, 3, 5)),
        (44260, dt.date(2021, 3, 5)),  # an Excel serial in a General cell
        ("2021.03", reading.YearMonth(2021, 3)),
        (2021.03, reading.YearMonth(2021, 3)),
    ],
)
def test_dates(value, expected):
    assert reading.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2021.13.1", "2021.2.30", "昨天", 2021.1, "21.3.5"])
def test_bad_dates(value):
    with pytest.raises(reading.DateError):
        reading.parse_date(value)


def test_template_round_trips(world, programme, client):
    client.force_login(world.county_admin_a)
    for kind in RosterKind.values:
        response = client.get(f"/rosters/template/{kind}.xlsx", {"programme": programme.pk})
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames[1] == "填表说明"
        sheet = workbook.worksheets[0]
        assert sheet.merged_cells.ranges  # the title row
        assert sheet.cell(1, 1).value.startswith(programme.name)
        parsed = read_sheet(io.BytesIO(response.content), LAYOUTS[kind])
        assert parsed.header_row == 2
        assert all(parsed.keys)  # every template header is recognised


# --- preview, commit, re-import ---


def test_preview_writes_nothing(world, programme):
    before = counts()
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, mentor_file(5), dry_run=True)
    assert not report.error_rows
    assert [r.action for r in report.rows] == [RowAction.CREATED] * 5
    assert not report.written
    assert counts() == before


def test_commit_creates_through_the_services(world, programme):
    before = counts()
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, mentor_file(5))
    assert report.written and report.counts[RowAction.CREATED] == 5
    after = counts()
    assert after[0] - before[0] == 5  # cadres
    assert after[1] - before[1] == 5  # their history (PersonChange "created")
    assert after[2] - before[2] == 5  # mentors
    assert MentorEvent.objects.filter(action=MentorAction.NOMINATE).count() == 5


def test_reimport_updates_without_duplicating(world, programme):
    run(RosterKind.MENTORS, programme, world.county_admin_a, mentor_file(3))
    before = counts()
    again = run(RosterKind.MENTORS, programme, world.county_admin_a, mentor_file(3))
    assert [r.action for r in again.rows] == [RowAction.UNCHANGED] * 3
    assert counts() == before  # no duplicates, no history noise

    changed = xlsx(
        MENTOR_HEADERS, [mentor_row(1, tier="县级", 手机="13700000001"), mentor_row(2), mentor_row(3)]
    )
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, changed)
    assert [r.action for r in report.rows] == [RowAction.UPDATED, RowAction.UNCHANGED, RowAction.UNCHANGED]
    assert Person.objects.count() == before[0] and Mentor.objects.count() == before[2]
    number = mentor_row(1)[2]
    person = Person.objects.get(id_number_index=blind_index(number))
    assert person.phone == "13700000001"
    assert Mentor.objects.get(person=person).tier == MentorTier.COUNTY
    assert person.changes.count() == 2  # created, then the phone


def test_existing_cadre_is_nominated_not_duplicated(world, programme):
    existing = world.mentor_person
    row = mentor_row(1, 身份证号=existing.id_number, 姓名=existing.name, 出生日期="", 性别="")
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, xlsx(MENTOR_HEADERS, [row]))
    assert not report.error_rows, report.error_rows
    assert Person.objects.filter(id_number_index=existing.id_number_index).count() == 1
    assert Mentor.objects.get(programme=programme).person == existing


def test_one_bad_row_among_10000_writes_nothing(world, programme):
    rows = [mentor_row(i) for i in range(1, 10_001)]
    rows[9233][4] = "1970.2.30"  # 出生日期 of the row Excel shows as 9236 (title, header, then data)
    before = counts()
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, xlsx(MENTOR_HEADERS, rows))
    assert not report.written
    bad = report.error_rows
    assert [r.number for r in bad] == [9236]
    assert list(bad[0].errors) == ["birth_date"]
    assert report.header_of("birth_date") == "出生日期"
    assert counts() == before


def test_service_errors_are_reported_on_their_row(world, programme):
    """Errors only the services find (here: the apprentice age rule) still land on the row, nothing written."""
    headers = LAYOUTS[RosterKind.APPRENTICES]
    names = [c.header for c in headers.columns]
    young, old = dt.date(1997, 4, 2), dt.date(1960, 4, 2)

    def row(birth, entry):
        values = {"姓名": "李青年", "身份证号": make_id_number(birth, Gender.FEMALE), "工作单位所在村": "上墅乡上墅村",
                  "职务": "村两委委员", "政治面貌": "共青团员", "学历": "大专", "干部类别": "村干部",
                  "参加工作时间": entry, "徒弟类别": "新任村书记、后备干部", "三门干部": "否", "帮带需求": "基层治理"}  # fmt: skip
        return [values.get(h) for h in names]

    before = counts()
    data = xlsx(names, [row(young, "2022.9.1"), row(old, "1980.9.1")], title="安吉县徒弟名册")
    report = run(RosterKind.APPRENTICES, programme, world.county_admin_a, data)
    assert [r.number for r in report.error_rows] == [4]
    assert "" in report.error_rows[0].errors  # the age rule speaks about the whole row
    assert counts() == before
    ok = run(RosterKind.APPRENTICES, programme, world.county_admin_a, xlsx(names, [row(young, "2022.9.1")]))
    assert ok.written
    apprentice = Apprentice.objects.get(programme=programme)
    assert apprentice.categories == ["new_village_secretary", "reserve_cadre"]
    assert apprentice.person.region.code == "330523205201"  # found by 乡镇+村 name


def test_out_of_scope_rows_are_rejected(world, programme):
    """A township committee imports only inside its township; another county's cadre is not theirs to change."""
    rows = [
        mentor_row(1),  # 上墅乡: theirs
        mentor_row(2, village="330523105201"),  # 孝丰镇: same county, other township
        mentor_row(3, 身份证号=world.cadre_b.id_number, 姓名=world.cadre_b.name),  # a 德清县 cadre
        mentor_row(4, village="330521002201"),  # 德清县, outside the programme too
    ]
    before = counts()
    report = run(RosterKind.MENTORS, programme, world.township_a, xlsx(MENTOR_HEADERS, rows))
    errors = {r.number: set(r.errors) for r in report.error_rows}
    assert errors == {4: {"region"}, 5: {"id_number"}, 6: {"region"}}
    assert counts() == before


def test_duplicate_and_malformed_cells(world, programme):
    rows = [
        mentor_row(1),
        mentor_row(1),
        mentor_row(3, 身份证号=330523197001070011),
        mentor_row(4, 导师层级="部级"),
    ]
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, xlsx(MENTOR_HEADERS, rows))
    errors = {r.number: r.errors for r in report.error_rows}
    assert set(errors) == {4, 5, 6}
    assert "row 3" in errors[4]["id_number"][0] or "3" in errors[4]["id_number"][0]
    assert "id_number" in errors[5]  # stored as a number: digits lost
    assert "tier" in errors[6]


def test_pairings_from_a_roster(world, programme):
    mentor = pool.appointed_mentor(world.county_admin_a, programme)
    apprentice = pool.apprentice(world.county_admin_a, programme)
    headers = [c.header for c in LAYOUTS[RosterKind.PAIRINGS].columns]
    row = [
        "1",
        mentor.person.name,
        mentor.person.id_number,
        apprentice.person.name,
        apprentice.person.id_number,
        "拜师",
    ]
    unknown = ["2", "", make_id_number(dt.date(1970, 1, 1), Gender.MALE), "", world.cadre_a.id_number, ""]
    report = run(
        RosterKind.PAIRINGS, programme, world.county_admin_a, xlsx(headers, [row, unknown], "结对名册")
    )
    assert {r.number: set(r.errors) for r in report.error_rows} == {4: {"mentor_id", "apprentice_id"}}
    assert not Pairing.objects.exists()

    report = run(RosterKind.PAIRINGS, programme, world.county_admin_a, xlsx(headers, [row], "结对名册"))
    assert report.written and report.rows[0].action == RowAction.CREATED
    pairing = Pairing.objects.get()
    assert list(pairing.mentors.all()) == [mentor]
    again = run(RosterKind.PAIRINGS, programme, world.county_admin_a, xlsx(headers, [row], "结对名册"))
    assert again.rows[0].action == RowAction.UNCHANGED and Pairing.objects.count() == 1


def test_import_queries_do_not_grow_with_rows(world, programme):
    """Cadres, mentors and their history go in through the batch services: a few statements per thousand rows."""
    assert world.county_admin_a.scope and programme.policy  # loaded once per request

    def queries(first, n):
        data = xlsx(MENTOR_HEADERS, [mentor_row(i) for i in range(first, first + n)])
        with CaptureQueriesContext(connection) as captured:
            report = run(RosterKind.MENTORS, programme, world.county_admin_a, data)
        assert report.written and report.counts[RowAction.CREATED] == n
        return len(captured)

    assert queries(1, 5) == queries(100, 60) <= 25


def test_imported_records_match_the_per_record_services(world, programme):
    """The cadre's history and the nomination event written in bulk are those create_person and nominate write."""
    actor = world.county_admin_a

    def imported():
        report = run(RosterKind.MENTORS, programme, actor, xlsx(MENTOR_HEADERS, [mentor_row(1)]))
        assert report.written
        person = Person.objects.select_related("region").get(id_number_index=blind_index(mentor_row(1)[2]))
        mentor = Mentor.objects.get(programme=programme, person=person)
        data = {key: getattr(person, key) for key in PERSON_FIELDS}
        profile = {key: getattr(mentor, key) for key in ("tier", "titles", "qianming_batch", "expertise", "specialties", "capacity")}  # fmt: skip
        return data, profile, _history(person), _events(mentor)

    with transaction.atomic():
        data, profile, imported_history, imported_events = imported()
        transaction.set_rollback(True)
    assert not Person.objects.filter(id_number_index=blind_index(mentor_row(1)[2])).exists()

    person = people_services.create_person(actor=actor, data=data)
    mentor = mentor_services.nominate(actor=actor, programme=programme, person=person, **profile)
    assert _history(person) == imported_history
    assert imported_history[0][3]["id_number"][1].count("*") == 10  # masked, never in clear
    assert _events(mentor) == imported_events == [(MentorAction.NOMINATE, "", "submitted", actor.pk, "")]


def _history(person) -> list[tuple]:
    return [(c.action, c.actor_id, c.person_name, c.changes) for c in person.changes.order_by("id")]


def _events(mentor) -> list[tuple]:
    return [
        (e.action, e.from_status, e.to_status, e.actor_id, e.reason) for e in mentor.events.order_by("id")
    ]


def test_reimport_updates_and_creates_in_one_file(world, programme):
    run(RosterKind.MENTORS, programme, world.county_admin_a, mentor_file(2))
    rows = [mentor_row(1, 手机="13700000001"), mentor_row(2), mentor_row(3)]
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, xlsx(MENTOR_HEADERS, rows))
    assert [r.action for r in report.rows] == [RowAction.UPDATED, RowAction.UNCHANGED, RowAction.CREATED]
    person = Person.objects.get(id_number_index=blind_index(mentor_row(1)[2]))
    assert person.phone == "13700000001"
    assert [c.action for c in person.changes.order_by("id")] == ["created", "updated"]
    assert person.changes.order_by("id").last().changes == {"phone": ["139****0001", "137****0001"]}
    assert Mentor.objects.filter(programme=programme).count() == 3


def test_errors_only_the_batch_services_find_write_nothing(world, programme):
    """A closed programme is refused by nominate_many on every row; the cadres created before are rolled back."""
    programme.status = ProgrammeStatus.CLOSED
    programme.save()
    before = counts()
    report = run(RosterKind.MENTORS, programme, world.county_admin_a, mentor_file(3))
    assert not report.written
    assert [list(r.errors) for r in report.rows] == [[""]] * 3  # about the whole row
    assert counts() == before


# --- the pre-check ---


def _refuses_before_parsing(monkeypatch, data: bytes, match: str):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(reading, "load_workbook", no_parsing)
    with pytest.raises(RosterFileError, match=match):
        precheck(io.BytesIO(data))


def test_zip_bomb_is_refused_before_parsing(monkeypatch, english):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))  # compresses ~1000:1
    _refuses_before_parsing(monkeypatch, buffer.getvalue(), "expands")


def test_huge_uncompressed_total_is_refused(monkeypatch, english):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    # Forge the central directory's uncompressed size (offset 24 in the entry) to 200 MB, as a bomb would.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (200 * 1024 * 1024).to_bytes(4, "little")
    _refuses_before_parsing(monkeypatch, bytes(data), "expand")


def test_non_xlsx_and_oversized_are_refused(monkeypatch, english):
    _refuses_before_parsing(monkeypatch, "姓名,身份证号\n张三,1\n".encode(), "not an xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    _refuses_before_parsing(monkeypatch, buffer.getvalue(), "workbook.xml")
    _refuses_before_parsing(monkeypatch, b"PK" + b"\0" * (reading.MAX_UPLOAD_BYTES + 1), "MB")


def test_real_template_passes_the_precheck():
    from bangdai.rosters.reports import template_xlsx

    assert precheck(io.BytesIO(template_xlsx(RosterKind.MENTORS))) > 0


# --- pages ---


def test_pages_preview_then_import(world, programme, client):
    client.force_login(world.county_admin_a)
    assert client.get("/rosters/").status_code == 200
    upload = io.BytesIO(xlsx(MENTOR_HEADERS, [mentor_row(1), mentor_row(2)]))
    upload.name = "名册.xlsx"
    response = client.post("/rosters/", {"programme": programme.pk, "kind": "mentors", "file": upload})
    roster = RosterUpload.objects.get()
    assert response.status_code == 302 and response.url == f"/rosters/{roster.pk}/"
    assert roster.status == UploadStatus.CHECKED and Mentor.objects.count() == 0
    page = client.get(response.url)
    assert page.status_code == 200 and "导师" in page.content.decode()
    response = client.post(f"/rosters/{roster.pk}/import/")
    roster.refresh_from_db()
    assert roster.status == UploadStatus.IMPORTED and Mentor.objects.count() == 2
    # A second click does not import again.
    client.post(f"/rosters/{roster.pk}/import/")
    assert Mentor.objects.count() == 2 and MentorEvent.objects.count() == 2


def test_error_report_download(world, programme, client):
    client.force_login(world.county_admin_a)
    rows = [mentor_row(1), mentor_row(2, 姓名="@SUM(A1)", 导师层级="部级")]
    upload = io.BytesIO(xlsx(MENTOR_HEADERS, rows))
    upload.name = "bad.xlsx"
    client.post("/rosters/", {"programme": programme.pk, "kind": "mentors", "file": upload})
    roster = RosterUpload.objects.get()
    assert roster.status == UploadStatus.HAS_ERRORS
    assert "部级" in client.get(f"/rosters/{roster.pk}/").content.decode()
    response = client.get(f"/rosters/{roster.pk}/report.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[1]
    assert header[0] in ("行号", "Row")
    bad = values[3]
    name_cell = sheet.cell(4, header.index("姓名") + 1)
    tier_cell = sheet.cell(4, header.index("导师层级") + 1)
    assert name_cell.value == "'@SUM(A1)"  # escaped: not a formula
    assert tier_cell.fill.fgColor.rgb.endswith("FFC7CE")  # highlighted
    assert "部级" in bad[-1]
    assert sheet.cell(3, header.index("导师层级") + 1).fill.fgColor.rgb in (None, "00000000")


def test_only_admins_and_townships_import(world, programme, client):
    client.force_login(world.mentor)
    assert client.get("/rosters/").status_code == 403
    client.force_login(world.township_a)
    assert client.get("/rosters/").status_code == 200
    client.force_login(world.county_admin_b)
    upload = io.BytesIO(xlsx(MENTOR_HEADERS, [mentor_row(1)]))
    upload.name = "x.xlsx"
    response = client.post("/rosters/", {"programme": programme.pk, "kind": "mentors", "file": upload})
    assert response.status_code == 404 and not RosterUpload.objects.exists()  # not a programme they can see


def test_upload_refuses_a_non_xlsx_on_the_page(world, programme, client):
    client.force_login(world.county_admin_a)
    upload = io.BytesIO("姓名,身份证号\n".encode())
    upload.name = "roster.xlsx"
    response = client.post("/rosters/", {"programme": programme.pk, "kind": "mentors", "file": upload})
    assert response.status_code == 200 and "xlsx" in response.content.decode()
    assert not RosterUpload.objects.exists()


# --- jobs ---


def test_large_roster_runs_as_a_job(
    world, programme, client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 2)
    client.force_login(world.county_admin_a)
    upload = io.BytesIO(xlsx(MENTOR_HEADERS, [mentor_row(i) for i in range(1, 6)]))
    upload.name = "big.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/rosters/", {"programme": programme.pk, "kind": "mentors", "file": upload})
    job = Job.objects.get()
    assert response.url == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.SUCCEEDED and job.task_id
    assert job.progress_done == job.progress_total == 10
    assert job.result_file and Mentor.objects.count() == 0
    roster = RosterUpload.objects.get()
    assert roster.status == UploadStatus.CHECKED

    page = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "every 2s" not in page.content.decode()  # finished: polling stops
    assert client.get(f"/jobs/{job.pk}/result/").status_code == 200
    assert client.get(f"/jobs/{job.pk}/").status_code == 200 and client.get("/jobs/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/rosters/{roster.pk}/import/")
    commit = Job.objects.exclude(pk=job.pk).get()
    assert commit.status == JobStatus.SUCCEEDED
    assert Mentor.objects.count() == 5
    # Idempotent: a task delivered twice does the work once.
    assert run_roster_job.call(commit.pk) == "skipped"
    assert Mentor.objects.count() == 5 and MentorEvent.objects.count() == 5


def test_job_visibility(world, programme, client, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 0)
    roster = services.upload(
        actor=world.township_a, programme=programme, kind="mentors", file=mentor_file(1), name="t.xlsx"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = services.submit(roster, actor=world.township_a, dry_run=True)
    assert set(Job.objects.visible_to(world.township_a)) == {job}
    assert set(Job.objects.visible_to(world.county_admin_a)) == {job}  # the county's org admin
    assert not Job.objects.visible_to(world.county_admin_b).exists()
    client.force_login(world.county_admin_b)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404


def test_queued_job_waits_for_commit(world, programme, settings, monkeypatch):
    settings.TASKS = IMMEDIATE
    roster = services.upload(
        actor=world.county_admin_a, programme=programme, kind="mentors", file=mentor_file(1), name="t.xlsx"
    )
    job = services.submit(roster, actor=world.county_admin_a, dry_run=True, background=True)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED  # the test's transaction never commits: nothing was sent


SETUP = (
    "from tests.conftest import load_test_tree; from tests.factories import user_with_role; "
    "from tests import pool; from bangdai.accounts.choices import Role; load_test_tree(); "
    "u = user_with_role('anji', Role.ORG_ADMIN, '330523'); print(pool.programme(u).pk)"
)


def _env(db, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BANGDAI_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        BANGDAI_SQLITE_PATH=str(db),
        BANGDAI_MEDIA_ROOT=str(tmp_path / "media"),
        BANGDAI_DEBUG="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def _bangdai(env, *args, check=True):
    return subprocess.run(
        [str(BIN / "bangdai"), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=check
    )


@pytest.fixture(scope="module")
def file_db(tmp_path_factory):
    """A migrated file SQLite database with the test tree, an org admin ``anji`` and a programme (copied per test)."""
    tmp = tmp_path_factory.mktemp("worker-db")
    db = tmp / "template.sqlite3"
    env = _env(db, tmp)
    _bangdai(env, "migrate", "--noinput", "-v0")
    programme_id = _bangdai(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1]
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, programme_id


def _copy(file_db, tmp_path):
    template, programme_id = file_db
    db = tmp_path / "bangdai.sqlite3"
    shutil.copy(template, db)
    return db, programme_id, _env(db, tmp_path)


def test_real_worker_process(file_db, tmp_path):
    """``bangdai db_worker`` in its own process takes the queued job from a file SQLite database and finishes it."""
    db, programme_id, env = _copy(file_db, tmp_path)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(MENTOR_HEADERS, [mentor_row(1), mentor_row(2, 导师层级="部级")]))
    failed = _bangdai(
        env, "import", "mentors", str(bad), "--programme", programme_id, "--as", "anji", check=False
    )
    assert failed.returncode != 0 and "row 4" in failed.stdout, failed.stdout + failed.stderr

    roster = tmp_path / "mentors.xlsx"
    roster.write_bytes(xlsx(MENTOR_HEADERS, [mentor_row(i) for i in range(1, 31)]))
    queued = _bangdai(
        env, "import", "mentors", str(roster), "--programme", programme_id, "--as", "anji", "--background"
    )
    assert "queued" in queued.stdout, queued.stdout + queued.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from jobs_job").fetchall() == [("queued",)]
        assert conn.execute("select count(*) from mentors_mentor").fetchone() == (0,)
    worker = subprocess.Popen(
        [str(BIN / "bangdai"), "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output, _ = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    with sqlite3.connect(db) as conn:
        status, done, total, log = conn.execute(
            "select status, progress_done, progress_total, log from jobs_job"
        ).fetchone()
        assert (status, done, total) == ("succeeded", 60, 60), log
        assert conn.execute("select count(*) from mentors_mentor").fetchone() == (30,)
        statuses = conn.execute(
            "select original_name, status from rosters_rosterupload order by id"
        ).fetchall()
        assert statuses == [("bad.xlsx", "has_errors"), ("mentors.xlsx", "imported")]
        assert conn.execute("select status from django_tasks_database_dbtaskresult").fetchone() == (
            "SUCCESSFUL",
        )


def test_killed_import_leaves_nothing(file_db, tmp_path):
    """An import killed in the middle of its write transaction leaves no row behind."""
    db, programme_id, env = _copy(file_db, tmp_path)
    roster = tmp_path / "mentors.xlsx"
    # Enough rows that the batched write transaction lasts seconds, not a fraction of one.
    roster.write_bytes(xlsx(MENTOR_HEADERS, [mentor_row(i) for i in range(1, 5001)]))
    importer = subprocess.Popen(
        [str(BIN / "bangdai"), "import", "mentors", str(roster), "--programme", programme_id, "--as", "anji"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline, locked_since = time.monotonic() + 90, None
    try:
        # Kill it once it has held the write lock for a moment: inside the one write transaction.
        while time.monotonic() < deadline and importer.poll() is None:
            conn = sqlite3.connect(db, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                locked_since = None
            except sqlite3.OperationalError:
                locked_since = locked_since or time.monotonic()
                if time.monotonic() - locked_since > 0.3:
                    break
            finally:
                conn.close()
            time.sleep(0.05)
        assert locked_since is not None, "the import never held the write lock"
    finally:
        importer.kill()
        importer.wait()
    assert importer.returncode != 0  # killed, not finished
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from mentors_mentor").fetchone() == (0,)
        assert conn.execute("select count(*) from people_person").fetchone() == (0,)
        assert conn.execute("select status from rosters_rosterupload").fetchone() == ("uploaded",)


# --- CLI ---


def test_cli_reports_rows_and_fails_on_errors(world, programme, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(MENTOR_HEADERS, [mentor_row(1), mentor_row(2)]))
    call_command("import", "mentors", str(good), programme=programme.pk, username="anji", dry_run=True)
    out = capsys.readouterr().out
    assert "row 3" in out and Mentor.objects.count() == 0
    call_command("import", "mentors", str(good), programme=programme.pk, username="anji")
    assert Mentor.objects.count() == 2

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(MENTOR_HEADERS, [mentor_row(3), mentor_row(4, 帮带容量="很多")]))
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError):
        call_command("import", "mentors", str(bad), programme=programme.pk, username="anji", report=report)
    out = capsys.readouterr().out
    assert "row 4" in out and "帮带容量" in out
    assert Mentor.objects.count() == 2 and report.exists()


# --- the REST API over the same services ---


def api_upload(client, programme, data: bytes, name="roster.xlsx", **extra):
    file = io.BytesIO(data)
    file.name = name
    body = {"programme": programme.pk, "kind": "mentors", "file": file, **extra}
    return client.post("/api/rosters/", body, format="multipart")


@pytest.fixture
def api(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.county_admin_a)
    return client


def test_api_check_reports_rows_then_refuses_import(world, programme, api):
    rows = [mentor_row(i) for i in range(1, 6)]
    rows[2][4] = "1970.2.30"
    before = counts()
    response = api_upload(api, programme, xlsx(MENTOR_HEADERS, rows))
    assert response.status_code == 422
    roster = response.json()["roster"]
    assert roster["status"] == "has_errors" and roster["row_count"] == 5
    [bad] = roster["report"]["error_rows"]
    assert bad["row"] == 5 and bad["errors"][0]["column"] == "出生日期" and bad["errors"][0]["messages"]
    response = api.post(f"/api/rosters/{roster['id']}/import/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == "只有检查通过且无错误的名册才能导入。"
    assert counts() == before
    report = api.get(f"/api/rosters/{roster['id']}/report/")
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert any("出生日期" in str(cell.value or "") for row in sheet.iter_rows() for cell in row)


def test_api_check_then_import_once(world, programme, api):
    response = api_upload(api, programme, mentor_file(3).getvalue())
    assert response.status_code == 200, response.json()
    roster = response.json()["roster"]
    assert roster["status"] == "checked" and roster["report"]["counts"]["created"] == 3
    assert Mentor.objects.count() == 0
    response = api.post(f"/api/rosters/{roster['id']}/import/", {}, format="json")
    assert response.status_code == 200 and response.json()["roster"]["status"] == "imported"
    assert Mentor.objects.filter(programme=programme).count() == 3
    again = api.post(f"/api/rosters/{roster['id']}/import/", {}, format="json")
    assert again.status_code == 400 and Mentor.objects.count() == 3
    listed = api.get("/api/rosters/", {"programme": programme.pk}).json()["results"]
    assert [r["id"] for r in listed] == [roster["id"]]


def test_api_refuses_a_file_that_is_not_xlsx(world, programme, api):
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    response = api_upload(api, programme, b"name,id\n" * 50, name="roster.csv")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attr"] == "file" and "xlsx" in error["detail"]
    assert not RosterUpload.objects.exists()


def test_api_background_check_answers_with_the_job(
    world, programme, api, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(api, programme, mentor_file(2).getvalue(), background="true")
    assert response.status_code == 202
    job_id = response.json()["job"]["id"]
    job = api.get(f"/api/jobs/{job_id}/").json()
    assert job["status"] == "succeeded" and job["finished"] and job["percent"] == 100
    roster = api.get(f"/api/rosters/{response.json()['roster']['id']}/").json()
    assert roster["status"] == "checked" and roster["report"]["counts"]["created"] == 2


def test_api_template_and_unknown_kind(world, api):
    response = api.get("/api/rosters/template/", {"kind": "apprentices"})
    headers = [c.value for c in load_workbook(io.BytesIO(response.content)).active[2]]
    assert response.status_code == 200 and "姓名" in headers
    assert api.get("/api/rosters/template/", {"kind": "cats"}).status_code == 400
