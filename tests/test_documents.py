"""PDF documents: the 拜师帖, a mentor's 聘书 and a programme's certificates, read back with pypdf."""

import datetime as dt
import io
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from bangdai.accounts.choices import Role
from bangdai.documents.rendering import ResourceRefused, render_html, write_pdf
from bangdai.documents.selectors import Certificate, Party, PledgeLetter, organisation_department
from bangdai.mentors import services as mentor_services
from bangdai.mentors.choices import MentorAction, MentorTier, MentorTitle
from bangdai.pairings import services as pairing_services
from bangdai.regions.models import Region

from . import pool
from .factories import user_with_role

pytestmark = pytest.mark.django_db

PROGRAMME = "安吉县2027年乡村年轻干部导师帮带"


def _zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _pdf(client, user, url):
    client.force_login(user)
    response = client.get(url)
    client.logout()
    return response


def _read(response) -> PdfReader:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    assert int(response["Content-Length"]) == len(body)
    return PdfReader(io.BytesIO(body))


def _text(page) -> str:
    # Letter-spaced titles come out as 拜 师 帖: compare without whitespace.
    return re.sub(r"\s+", "", page.extract_text())


def _disposition_names(response, name: str) -> None:
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]


def _signed_pairing(world, signed_on):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    pairing = pairing_services.confirm(actor=world.mentor, pairing=pairing)
    pairing = pairing_services.confirm(actor=world.apprentice, pairing=pairing)
    return pairing_services.sign_pledge(
        actor=world.township_a,
        pairing=pairing,
        signed_on=signed_on,
        ceremony_place="上墅乡师说馆",
        witnesses=["乡党委书记", "刘家塘村党总支书记"],
    )


def test_pledge_letter_for_the_admin_the_mentor_and_the_apprentice(client, world):
    signed_on = dt.date.today() - dt.timedelta(days=3)
    pairing = _signed_pairing(world, signed_on)
    url = reverse("documents:pledge", args=[pairing.pk])
    assert url == f"/documents/pairings/{pairing.pk}/pledge.pdf"

    for user in (world.county_admin_a, world.township_a, world.mentor, world.apprentice):
        response = _pdf(client, user, url)
        reader = _read(response)
        assert len(reader.pages) == 1
        text = _text(reader.pages[0])
        for expected in (
            "拜师帖",
            "尊敬的陈导师",
            "吴徒弟",
            "陈导师",
            "湖州市安吉县上墅乡上墅村",
            "湖州市安吉县上墅乡刘家塘村",
            _zh(signed_on),
            "上墅乡师说馆",
            "乡党委书记、刘家塘村党总支书记",
            PROGRAMME,
            "中共安吉县委组织部",
            "12个月",
        ):
            assert expected in text, (user.username, expected)
        assert "浙江省" not in text  # region names start below the province
        _disposition_names(response, f"拜师帖-吴徒弟-{pairing.pk}.pdf")

    # Still printable once extended and after graduation.
    pairing = pairing_services.extend(actor=world.county_admin_a, pairing=pairing, months=6, reason="消薄")
    assert _read(_pdf(client, world.apprentice, url))
    pairing_services.complete(actor=world.county_admin_a, pairing=pairing)
    assert "18个月" in _text(_read(_pdf(client, world.mentor, url)).pages[0])


def test_pledge_letter_is_hidden_out_of_scope_and_before_signing(client, world):
    pairing = _signed_pairing(world, dt.date.today())
    url = reverse("documents:pledge", args=[pairing.pk])
    other_township = user_with_role("xiaofeng", Role.TOWNSHIP, "330523105")  # 孝丰镇, same county
    for user in (world.county_admin_b, other_township):
        assert _pdf(client, user, url).status_code == 404
    assert _read(_pdf(client, world.auditor, url))  # 湖州市's auditor reads 安吉县's records
    assert client.get(url).status_code == 302  # anonymous: to the login page

    admin = world.county_admin_a
    prog = pool.programme(admin, name="孝丰镇链式帮带")
    proposed = pairing_services.propose(
        actor=admin, apprentice=pool.apprentice(admin, prog), mentors=[pool.appointed_mentor(admin, prog)]
    )
    assert _pdf(client, admin, reverse("documents:pledge", args=[proposed.pk])).status_code == 404


def test_certificate_of_an_appointed_mentor(client, world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(
        admin,
        prog,
        person=world.mentor_person,
        tier=MentorTier.COUNTY,
        titles=[MentorTitle.XINGCUN_MINGSHI, MentorTitle.QIANMING_HAO_ZHISHU],
        qianming_batch=2,
    )
    assert mentor.certificate_no
    url = reverse("documents:certificate", args=[mentor.pk])
    assert url == f"/documents/mentors/{mentor.pk}/certificate.pdf"

    for user in (admin, world.province_admin, world.mentor):
        response = _pdf(client, user, url)
        reader = _read(response)
        assert len(reader.pages) == 1
        text = _text(reader.pages[0])
        for expected in (
            "聘书",
            f"证书编号：{mentor.certificate_no}",
            "陈导师",
            f"{PROGRAMME}县级导师",
            "兴村名师、千名好支书",
            "湖州市安吉县上墅乡刘家塘村",
            "中共安吉县委组织部",
            _zh(mentor.appointed_at),
            _zh(mentor.term_end),
        ):
            assert expected in text, (user.username, expected)
        _disposition_names(response, f"聘书-陈导师-{mentor.certificate_no}.pdf")

    # The apprentice does not see mentor records, an admin of another county neither.
    for user in (world.apprentice, world.county_admin_b):
        assert _pdf(client, user, url).status_code == 404

    nominee = mentor_services.nominate(
        actor=admin, programme=prog, person=world.cadre_a, tier=MentorTier.VILLAGE, expertise=[]
    )
    assert _pdf(client, admin, reverse("documents:certificate", args=[nominee.pk])).status_code == 404


def test_programme_certificates_in_one_document_one_page_each(client, world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    own = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    others = [pool.appointed_mentor(admin, prog) for _ in range(3)]
    suspended = pool.appointed_mentor(admin, prog)
    mentor_services.transition(actor=admin, mentor=suspended, action=MentorAction.SUSPEND, reason="调查")
    mentor_services.nominate(  # nominated, no certificate
        actor=admin, programme=prog, person=world.cadre_a, tier=MentorTier.VILLAGE, expertise=[]
    )
    url = reverse("documents:programme_certificates", args=[prog.pk])
    assert url == f"/documents/programmes/{prog.pk}/certificates.pdf"

    response = _pdf(client, admin, url)
    reader = _read(response)
    appointed = sorted([own, *others], key=lambda m: m.certificate_no)
    assert len(reader.pages) == len(appointed) == 4
    for page, mentor in zip(reader.pages, appointed, strict=True):
        text = _text(page)
        assert f"证书编号：{mentor.certificate_no}" in text
        assert mentor.person.name in text and "聘书" in text
    _disposition_names(response, f"聘书-{PROGRAMME}.pdf")

    # A mentor sees the programme but only their own mentor record: one page.
    reader = _read(_pdf(client, world.mentor, url))
    assert len(reader.pages) == 1 and own.certificate_no in _text(reader.pages[0])
    # 德清县 does not see 安吉县's programme.
    assert _pdf(client, world.county_admin_b, url).status_code == 404


def test_programme_certificates_take_the_same_queries_for_any_number(client, world):
    admin = world.county_admin_a
    client.force_login(admin)
    counts = []
    for size in (1, 4):
        prog = pool.programme(admin, name=f"帮带{size}")
        for _ in range(size):
            pool.appointed_mentor(admin, prog)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("documents:programme_certificates", args=[prog.pk]))
        assert len(_read(response).pages) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("template", ["documents/certificates.html", "documents/pledge.html"])
def test_documents_embed_noto_serif_cjk_only(template):
    person = Party(name="陈导师", place="湖州市安吉县上墅乡刘家塘村")
    certificate = Certificate(
        "330523-2027-000001", person, "村级", [], PROGRAMME, "中共安吉县委组织部", "", ""
    )
    letter = PledgeLetter(
        "尊敬的陈导师：", ["我自愿拜您为师。"], person, [person], "", "", "", 12, "", [], "", ""
    )
    pdf = io.BytesIO()
    write_pdf(render_html(template, {"certificates": [certificate], "letter": letter}), pdf)
    names = set()
    for ref in PdfReader(pdf).pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font  # embedded (a subset)
        names.add(str(font["/BaseFont"]).split("+", 1)[1])
    # Regular and bold, nothing substituted by fontconfig.
    assert names == {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold"}, names


@pytest.mark.parametrize(
    "url", ["file:///etc/hostname", "http://127.0.0.1:9/x.png", "https://example.org/x.css", "ftp://x/y"]
)
def test_only_data_urls_are_loaded(url):
    with pytest.raises(ResourceRefused):
        write_pdf(f'<img src="{url}">', io.BytesIO())
    with pytest.raises(ResourceRefused):
        write_pdf(f'<link rel="stylesheet" href="{url}"><p>x</p>', io.BytesIO())


def test_data_urls_are_loaded():
    dot = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/%3E"
    pdf = io.BytesIO()
    write_pdf(f'<img src="{dot}"><p>印</p>', pdf)
    assert PdfReader(pdf).pages


@pytest.mark.parametrize(
    ("name", "depth", "issuer"),
    [
        ("浙江省", 1, "中共浙江省委组织部"),
        ("湖州市", 2, "中共湖州市委组织部"),
        ("安吉县", 3, "中共安吉县委组织部"),
        ("吴兴区", 3, "中共吴兴区委组织部"),
        ("上墅乡", 4, "中共上墅乡委员会"),
        ("递铺街道", 4, "中共递铺街道工作委员会"),
    ],
)
def test_issuer_of_a_region(name, depth, issuer):
    assert organisation_department(Region(name=name, depth=depth)) == issuer


def test_a_large_batch_becomes_a_background_job(
    client, world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from bangdai.documents import views as document_views
    from bangdai.jobs.models import Job

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(settings.BASE_DIR / "var" / "test-media")
    monkeypatch.setattr(document_views, "INLINE_CERTIFICATES", 2)
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentors = [pool.appointed_mentor(admin, prog) for _ in range(3)]
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("documents:programme_certificates", args=[prog.pk]))
    job = Job.objects.get(created_by=admin)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.status, job.kind, job.progress_done) == ("succeeded", "certificates", 3)
    with job.result_file.open("rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    assert [m.certificate_no in _text(p) for p, m in zip(reader.pages, mentors, strict=True)] == [True] * 3
    # The job is the requester's: 德清县 cannot open it.
    client.force_login(world.county_admin_b)
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
