"""Assignments (布置作业): issue, submit with files, resubmit, review, withdraw; refusals, files, selectors,
scope, pages, API, CLI, and two reviews at once."""

import datetime as dt
import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from bangdai.accounts.choices import Role
from bangdai.accounts.models import User
from bangdai.assignments import selectors, services
from bangdai.assignments.choices import AssignmentAction, AssignmentStatus, Flag
from bangdai.assignments.models import Assignment, AssignmentEvent, Submission, SubmissionFile
from bangdai.core.choices import ContentArea
from bangdai.pairings import services as pairing_services
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.programmes import services as programme_services

from . import pool
from .factories import PersonFactory, region, user_with_role
from .test_concurrency import _race
from .test_plans import running_pairing

pytestmark = pytest.mark.django_db

S = AssignmentStatus
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _english_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with translation.override("en"):
        yield


@pytest.fixture
def active(world):
    return running_pairing(world)


def issue(world, active, **changes) -> Assignment:
    data = {
        "title": "村集体经济增收方案",
        "brief": "调研本村资源，写出一份增收方案。",
        "content_area": ContentArea.COMMON_PROSPERITY,
        "due_on": TODAY + dt.timedelta(days=14),
        **changes,
    }
    return services.issue(actor=world.mentor, pairing=active.pairing, **data)


def fresh(assignment) -> Assignment:
    return Assignment.objects.select_related("pairing__region").get(pk=assignment.pk)


def photo(name="现场.jpg", *, gps=True, size=(64, 48)) -> SimpleUploadedFile:
    """A JPEG as a phone takes it: with EXIF GPS coordinates and the camera model."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = image.getexif()
    exif[ExifTags.Base.Model] = "Phone X"
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (30.0, 31.0, 12.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (119.0, 37.0, 5.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name="方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def stored_files(tmp_root) -> list[Path]:
    return [p for p in Path(tmp_root).rglob("*") if p.is_file()]


def nothing_stored(settings):
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


# ---------------------------------------------------------------------------------------------- the workflow


def test_issue_submit_resubmit_review(world, active, settings):
    assignment = issue(world, active)
    assert (assignment.status, assignment.issued_by, assignment.submission_count) == (
        S.ISSUED,
        world.mentor,
        0,
    )

    first = services.submit(
        actor=world.apprentice, assignment=fresh(assignment), text="初稿", files=[photo(), pdf()]
    )
    assignment = fresh(assignment)
    assert (assignment.status, assignment.submission_count, first.number) == (S.SUBMITTED, 1, 1)
    assert assignment.first_submitted_at == assignment.submitted_at
    kinds = sorted(first.files.values_list("kind", "content_type"))
    assert kinds == [("document", "application/pdf"), ("image", "image/jpeg")]

    # The photo is stored without its EXIF: no GPS position, no camera model.
    stored = first.files.get(kind="image")
    with stored.file.open("rb") as handle, Image.open(handle) as image:
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and ExifTags.Base.Model not in exif
    assert stored.name == "现场.jpg" and stored.file.name.startswith(f"assignments/{assignment.pk}/")

    second = services.submit(actor=world.apprentice, assignment=assignment, text="修改稿")
    assignment = fresh(assignment)
    assert (assignment.submission_count, second.number) == (2, 2)
    first.refresh_from_db()
    assert first.superseded_at is not None and first.files.count() == 2  # the earlier answer is kept
    assert assignment.first_submitted_at < assignment.submitted_at

    reviewed = services.review(
        actor=world.mentor, assignment=assignment, feedback="思路清楚", score=88, submission=2
    )
    assert (reviewed.status, reviewed.score, reviewed.feedback, reviewed.reviewed_by) == (
        S.REVIEWED,
        88,
        "思路清楚",
        world.mentor,
    )
    actions = list(AssignmentEvent.objects.filter(assignment=assignment).values_list("action", "actor"))
    assert actions == [
        (AssignmentAction.ISSUE, world.mentor.pk),
        (AssignmentAction.SUBMIT, world.apprentice.pk),
        (AssignmentAction.RESUBMIT, world.apprentice.pk),
        (AssignmentAction.REVIEW, world.mentor.pk),
    ]
    assert len(stored_files(settings.MEDIA_ROOT)) == 2


def test_withdraw_keeps_what_was_submitted(world, active):
    assignment = issue(world, active)
    services.submit(actor=world.apprentice, assignment=fresh(assignment), text="答案")
    withdrawn = services.withdraw(
        actor=world.mentor, assignment=fresh(assignment), reason="题目有误，重新布置"
    )
    assert withdrawn.status == S.WITHDRAWN and withdrawn.withdraw_reason == "题目有误，重新布置"
    assert Submission.objects.filter(assignment=assignment).count() == 1


# ---------------------------------------------------------------------------------------------- refusals


def _snapshot(assignment):
    return (
        list(Assignment.objects.filter(pk=assignment.pk).values()),
        list(Submission.objects.filter(assignment=assignment).values()),
        SubmissionFile.objects.count(),
        AssignmentEvent.objects.filter(assignment=assignment).count(),
    )


def test_issue_refusals(world, active):
    with pytest.raises(ValidationError) as refused:
        issue(world, active, title=" ", brief="", content_area="x", due_on=TODAY - dt.timedelta(days=1))
    assert refused.value.message_dict == {
        "title": ["Give the assignment a title."],
        "brief": ["Say what the apprentice should do."],
        "content_area": ["Choose one of the five content areas."],
        "due_on": ["The due date cannot be in the past."],
    }
    with pytest.raises(ValidationError, match="after the pairing's planned end"):
        issue(world, active, due_on=active.pairing.planned_end_date + dt.timedelta(days=1))
    for actor in (world.apprentice, world.township_a, world.county_admin_a):
        with pytest.raises(PermissionDenied):
            services.issue(
                actor=actor,
                pairing=active.pairing,
                title="t",
                brief="b",
                content_area="party_building",
                due_on=TODAY,
            )
    pairing_services.complete(actor=world.county_admin_a, pairing=active.pairing)
    with pytest.raises(ValidationError, match="not running"):
        issue(world, active, due_on=TODAY)
    assert not Assignment.objects.exists()


def test_submission_refusals(world, active, settings):
    assignment = issue(world, active)
    before = _snapshot(assignment)
    with pytest.raises(PermissionDenied):
        services.submit(actor=world.mentor, assignment=fresh(assignment), text="代写")
    with pytest.raises(ValidationError, match="Write your answer or attach"):
        services.submit(actor=world.apprentice, assignment=fresh(assignment), text="  ")
    with pytest.raises(ValidationError, match="at most 10 files"):
        services.submit(
            actor=world.apprentice, assignment=fresh(assignment), files=[pdf() for _ in range(11)]
        )
    assert _snapshot(assignment) == before
    nothing_stored(settings)

    services.withdraw(actor=world.mentor, assignment=fresh(assignment), reason="重新布置")
    before = _snapshot(assignment)
    with pytest.raises(ValidationError, match="withdrawn by the mentor; it takes no submissions"):
        services.submit(actor=world.apprentice, assignment=fresh(assignment), text="答案", files=[photo()])
    with pytest.raises(ValidationError, match="withdrawn; it cannot be reviewed"):
        services.review(actor=world.mentor, assignment=fresh(assignment), feedback="好", score=90)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.withdraw(actor=world.mentor, assignment=fresh(assignment), reason="再撤")
    assert _snapshot(assignment) == before
    nothing_stored(settings)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.jpg", b"just some words, not a picture", content_type="image/jpeg"),
            "is not a photo",
        ),
        (
            SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), content_type="image/png"),
            "larger than 10 MB",
        ),
        ("truncated", "damaged"),
        (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), "is empty"),
    ],
    ids=["text-renamed-jpg", "oversized", "undecodable", "empty"],
)
def test_a_bad_file_refuses_the_whole_submission(world, active, settings, upload, message):
    if upload == "truncated":
        import weasyprint  # noqa: F401  as in every app process: its import makes Pillow pad truncated images

        whole = photo(size=(400, 300)).read()
        upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    assignment = issue(world, active)
    before = _snapshot(assignment)
    with pytest.raises(ValidationError) as refused:
        services.submit(
            actor=world.apprentice, assignment=fresh(assignment), text="答案", files=[photo(), upload]
        )
    assert message in " ".join(refused.value.message_dict["files"])
    assert _snapshot(assignment) == before
    nothing_stored(settings)


def test_review_refusals(world, active):
    assignment = issue(world, active)
    with pytest.raises(ValidationError, match="Nothing has been submitted yet"):
        services.review(actor=world.mentor, assignment=fresh(assignment), feedback="好", score=80)
    services.submit(actor=world.apprentice, assignment=fresh(assignment), text="初稿")
    before = _snapshot(assignment)
    for score in (-1, 101, "90", 85.5, None, True):
        with pytest.raises(ValidationError) as refused:
            services.review(actor=world.mentor, assignment=fresh(assignment), feedback="好", score=score)
        assert refused.value.message_dict == {"score": ["The score is a whole number from 0 to 100."]}
    with pytest.raises(ValidationError, match="Write your feedback"):
        services.review(actor=world.mentor, assignment=fresh(assignment), feedback=" ", score=80)
    for actor in (world.apprentice, world.township_a, world.county_admin_a, world.auditor):
        with pytest.raises(PermissionDenied):
            services.review(actor=actor, assignment=fresh(assignment), feedback="好", score=80)
    other = user_with_role("other-mentor", Role.MENTOR, "330523205202", person=PersonFactory())
    with pytest.raises(PermissionDenied):
        services.review(actor=other, assignment=fresh(assignment), feedback="好", score=80)
    # The apprentice submitted again after the mentor opened the page: the stale review is refused.
    stale = fresh(assignment)
    services.submit(actor=world.apprentice, assignment=fresh(assignment), text="二稿")
    before = _snapshot(assignment)
    with pytest.raises(ValidationError, match="submitted again; read the latest submission first"):
        services.review(actor=world.mentor, assignment=stale, feedback="好", score=80, submission=1)
    assert _snapshot(assignment) == before

    services.review(actor=world.mentor, assignment=fresh(assignment), feedback="好", score=0)
    before = _snapshot(assignment)
    with pytest.raises(ValidationError, match="already been reviewed"):
        services.review(actor=world.mentor, assignment=fresh(assignment), feedback="再评", score=100)
    with pytest.raises(ValidationError, match="already been reviewed; it takes no more submissions"):
        services.submit(actor=world.apprentice, assignment=fresh(assignment), text="三稿")
    with pytest.raises(ValidationError, match="can no longer be withdrawn"):
        services.withdraw(actor=world.mentor, assignment=fresh(assignment), reason="x")
    with pytest.raises(ValidationError, match="Give a reason"):
        services.withdraw(actor=world.mentor, assignment=fresh(assignment), reason="")
    assert _snapshot(assignment) == before
    assert fresh(assignment).score == 0


def test_a_stale_second_review_is_refused(world, active):
    """Two reviewers (a mentor team, or one mentor in two tabs): the second one sees a clear refusal."""
    assignment = issue(world, active)
    services.submit(actor=world.apprentice, assignment=fresh(assignment), text="答案")
    stale = fresh(assignment)
    services.review(actor=world.mentor, assignment=fresh(assignment), feedback="好", score=90)
    with pytest.raises(ValidationError, match="already been reviewed"):
        services.review(actor=world.mentor, assignment=stale, feedback="差", score=10)
    assert (fresh(assignment).score, AssignmentEvent.objects.filter(action="review").count()) == (90, 1)


# ---------------------------------------------------------------------------------------------- selectors


def _at(assignment, **fields):
    Assignment.objects.filter(pk=assignment.pk).update(**fields)


def _day(days: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(10)))


def test_overdue_work_and_overdue_reviews(world, active):
    admin = world.county_admin_a
    late_work = issue(world, active, title="逾期", due_on=TODAY)
    _at(late_work, due_on=TODAY - dt.timedelta(days=1))
    on_time = issue(world, active, title="未到期", due_on=TODAY)
    waiting = issue(world, active, title="待点评")
    services.submit(actor=world.apprentice, assignment=fresh(waiting), text="答案")
    everything = Assignment.objects.all()
    assert set(selectors.assignments_overdue(everything, TODAY)) == {late_work}
    assert set(selectors.assignments_overdue(everything, TODAY + dt.timedelta(days=1))) == {
        late_work,
        on_time,
    }
    assert list(selectors.reviews_overdue(everything, TODAY)) == []
    # Submitted 15 days ago: the default 14-day review window has passed.
    _at(waiting, submitted_at=_day(-15))
    assert list(selectors.reviews_overdue(everything, TODAY)) == [waiting]
    assert selectors.flags(fresh(waiting), TODAY) == [Flag.REVIEW_OVERDUE]
    assert selectors.flags(fresh(late_work), TODAY) == [Flag.OVERDUE]
    # A pairing made under rules with a 30-day window is not overdue yet; later rules versions do not touch it.
    programme_services.change_rules(actor=admin, programme=active.programme, data={"review_within_days": 30})
    Pairing.objects.filter(pk=active.pairing.pk).update(rules_version=2)
    programme_services.change_rules(actor=admin, programme=active.programme, data={"review_within_days": 7})
    assert list(selectors.reviews_overdue(everything, TODAY)) == []
    assert selectors.review_due_on(fresh(waiting)) == TODAY + dt.timedelta(days=15)
    assert list(selectors.reviews_overdue(everything, TODAY + dt.timedelta(days=16))) == [waiting]


def test_statistics_per_pairing_and_per_apprentice(world, active, django_assert_num_queries):
    other = running_pairing(world, mentor_person=PersonFactory(), apprentice_person=PersonFactory())
    a1 = issue(world, active, title="一")  # reviewed, 80
    a2 = issue(world, active, title="二")  # reviewed, 90, submitted late
    a3 = issue(world, active, title="三", due_on=TODAY)  # overdue: never submitted
    a4 = issue(world, active, title="四")  # withdrawn
    a5 = issue(world, active, title="五")  # issued before the period
    for a in (a1, a2):
        services.submit(actor=world.apprentice, assignment=fresh(a), text="答案")
    services.review(actor=world.mentor, assignment=fresh(a1), feedback="好", score=80)
    services.review(actor=world.mentor, assignment=fresh(a2), feedback="好", score=90)
    services.withdraw(actor=world.mentor, assignment=fresh(a4), reason="x")
    for a in (a1, a2, a3, a4):
        _at(a, issued_at=_day(-20))
    _at(a2, due_on=TODAY - dt.timedelta(days=12), first_submitted_at=_day(-5))
    _at(a3, due_on=TODAY - dt.timedelta(days=10))
    _at(a5, issued_at=_day(-60))
    start, end = TODAY - dt.timedelta(days=30), TODAY
    with django_assert_num_queries(1):
        stats = selectors.assignment_stats(Pairing.objects.all(), start, end)
    assert stats == {
        active.pairing.pk: selectors.AssignmentStats(
            issued=3, submitted=2, reviewed=2, overdue=1, late=1, withdrawn=1, mean_score=85.0
        )
    }
    assert other.pairing.pk not in stats
    # As of 15 days ago the reviews had not happened and the late one was not yet submitted.
    earlier = selectors.assignment_stats([active.pairing.pk], start, TODAY - dt.timedelta(days=15))
    assert earlier[active.pairing.pk].reviewed == 0 and earlier[active.pairing.pk].mean_score is None
    by_apprentice = selectors.apprentice_assignment_stats([active.pairing.apprentice_id], start, end)
    assert by_apprentice[active.pairing.apprentice_id] == stats[active.pairing.pk]
    titles = [a.title for a in selectors.apprentice_assignments(active.pairing.apprentice, world.apprentice)]
    assert titles == ["四", "三", "二", "一", "五"]  # newest first


# ---------------------------------------------------------------------------------------------- pages


def test_the_mentor_sets_and_reviews_and_the_apprentice_submits_on_the_pages(client, world, active):
    client.force_login(world.mentor)
    page = client.get("/assignments/new/", {"pairing": active.pairing.pk})
    assert page.status_code == 200
    past = client.post(
        "/assignments/new/",
        {
            "pairing": active.pairing.pk,
            "title": "调研",
            "brief": "写报告",
            "content_area": "party_building",
            "due_on": "2000-01-01",
        },
    )
    assert past.status_code == 200 and "完成期限不能早于今天" in past.content.decode()
    assert not Assignment.objects.exists()
    due = (TODAY + dt.timedelta(days=7)).isoformat()
    created = client.post(
        "/assignments/new/",
        {
            "pairing": active.pairing.pk,
            "title": "调研",
            "brief": "写报告",
            "content_area": "party_building",
            "due_on": due,
        },
    )
    assignment = Assignment.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/assignments/{assignment.pk}/"

    client.force_login(world.apprentice)
    page = client.get(f"/assignments/{assignment.pk}/")
    assert page.context["steps"] == {"submit"}
    bad = client.post(
        f"/assignments/{assignment.pk}/submit/",
        {
            "submit-text": "报告",
            "submit-files": [photo(), SimpleUploadedFile("x.jpg", b"text", content_type="image/jpeg")],
        },
    )
    assert bad.status_code == 200 and "不是照片" in bad.content.decode()
    assert not Submission.objects.exists()
    sent = client.post(
        f"/assignments/{assignment.pk}/submit/", {"submit-text": "报告", "submit-files": [photo(), pdf()]}
    )
    assert sent.status_code == 302
    stored = SubmissionFile.objects.get(kind="image")
    image = client.get(f"/assignments/{assignment.pk}/files/{stored.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    document = SubmissionFile.objects.get(kind="document")
    assert (
        "attachment"
        in client.get(f"/assignments/{assignment.pk}/files/{document.pk}/")["Content-Disposition"]
    )
    assert (
        client.post(
            f"/assignments/{assignment.pk}/review/",
            {"review-score": 90, "review-feedback": "好", "review-submission": 1},
        ).status_code
        == 403
    )

    client.force_login(world.mentor)
    page = client.get(f"/assignments/{assignment.pk}/")
    assert page.context["steps"] == {"review", "withdraw"} and "报告" in page.content.decode()
    out_of_range = client.post(
        f"/assignments/{assignment.pk}/review/",
        {"review-score": 120, "review-feedback": "好", "review-submission": 1},
    )
    assert out_of_range.status_code == 200 and "0 到 100" in out_of_range.content.decode()
    done = client.post(
        f"/assignments/{assignment.pk}/review/",
        {"review-score": 92, "review-feedback": "很好", "review-submission": 1},
    )
    assert done.status_code == 302 and (fresh(assignment).status, fresh(assignment).score) == (S.REVIEWED, 92)
    again = client.post(
        f"/assignments/{assignment.pk}/review/",
        {"review-score": 10, "review-feedback": "再评", "review-submission": 1},
    )
    assert again.status_code == 200 and fresh(assignment).score == 92
    listed = client.get("/assignments/")
    assert [a.pk for a in listed.context["table"].data.data] == [assignment.pk]


def test_only_mentors_of_a_running_pairing_open_the_issue_page(client, world, active):
    for persona in ("apprentice", "township_a", "auditor"):
        client.force_login(getattr(world, persona))
        assert client.get("/assignments/new/").status_code == 403
    other_person = PersonFactory(region=region("330523205202"))
    other = user_with_role("other-mentor", Role.MENTOR, "330523205202", person=other_person)
    running_pairing(world, mentor_person=other_person, apprentice_person=PersonFactory())
    client.force_login(other)
    assert client.get("/assignments/new/").status_code == 200
    # Naming a pairing that is not theirs: out of scope (404), nothing set.
    response = client.post(
        "/assignments/new/",
        {
            "pairing": active.pairing.pk,
            "title": "t",
            "brief": "b",
            "content_area": "party_building",
            "due_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 404 and not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("county_admin_b", 404),
        ("auditor", 200),
        ("township_a", 200),
        ("apprentice", 200),
        ("cadre_mentor", 404),
    ],
)
def test_who_sees_an_assignment_and_its_files(client, world, active, persona, status):
    assignment = issue(world, active)
    services.submit(actor=world.apprentice, assignment=fresh(assignment), files=[photo()])
    stored = SubmissionFile.objects.get()
    if persona == "cadre_mentor":
        user = user_with_role("other-mentor", Role.MENTOR, "330523205202", person=PersonFactory())
    else:
        user = getattr(world, persona)
    client.force_login(user)
    assert client.get(f"/assignments/{assignment.pk}/").status_code == status
    assert client.get(f"/assignments/{assignment.pk}/files/{stored.pk}/").status_code == status
    review = {"review-score": 90, "review-feedback": "好", "review-submission": 1}
    assert client.post(f"/assignments/{assignment.pk}/review/", review).status_code == (
        403 if status == 200 else 404
    )
    assert client.post(f"/assignments/{assignment.pk}/withdraw/", {"withdraw-reason": "x"}).status_code == (
        403 if status == 200 else 404
    )
    assert fresh(assignment).status == S.SUBMITTED


def test_the_list_flags_overdue_work(client, world, active):
    late = issue(world, active, title="逾期作业", due_on=TODAY)
    _at(late, due_on=TODAY - dt.timedelta(days=2))
    issue(world, active, title="未到期作业")
    client.force_login(world.township_a)
    page = client.get("/assignments/", {"flag": "overdue"})
    assert [a.pk for a in page.context["table"].data.data] == [late.pk]
    assert "逾期未交" in page.content.decode()
    client.force_login(world.county_admin_b)
    assert list(client.get("/assignments/").context["table"].data.data) == []
    export = client.get("/assignments/", {"export": "csv"})
    assert "逾期作业" not in b"".join(export.streaming_content).decode("utf-8-sig")


# ---------------------------------------------------------------------------------------------- API


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_assignment_workflow_over_the_api(world, active):
    body = {
        "pairing": active.pairing.pk,
        "title": "调研报告",
        "brief": "写一份报告",
        "content_area": "governance_harmony",
        "due_on": (TODAY + dt.timedelta(days=10)).isoformat(),
    }
    assert api_as(world.township_a).post("/api/assignments/", body, format="json").status_code == 403
    assert api_as(world.apprentice).post("/api/assignments/", body, format="json").status_code == 403
    past = api_as(world.mentor).post("/api/assignments/", {**body, "due_on": "2000-01-01"}, format="json")
    assert past.status_code == 400 and past.json()["errors"][0]["attr"] == "due_on"
    created = api_as(world.mentor).post("/api/assignments/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    bad = api_as(world.apprentice).post(
        f"/api/assignments/{pk}/submit/",
        {"text": "报告", "files": [SimpleUploadedFile("a.jpg", b"text", content_type="image/jpeg")]},
        format="multipart",
    )
    assert bad.status_code == 400 and not Submission.objects.exists()
    sent = api_as(world.apprentice).post(
        f"/api/assignments/{pk}/submit/", {"text": "报告", "files": [photo(), pdf()]}, format="multipart"
    )
    assert sent.status_code == 200, sent.json()
    files = sent.json()["submissions"][0]["files"]
    assert {f["kind"] for f in files} == {"image", "document"}
    download = api_as(world.auditor).get(files[0]["url"])
    assert download.status_code == 200
    assert api_as(world.county_admin_b).get(files[0]["url"]).status_code == 404
    assert (
        api_as(world.mentor)
        .post(f"/api/assignments/{pk}/review/", {"score": 101, "feedback": "好"}, format="json")
        .status_code
        == 400
    )
    assert (
        api_as(world.auditor)
        .post(f"/api/assignments/{pk}/review/", {"score": 90, "feedback": "好"}, format="json")
        .status_code
        == 403
    )
    reviewed = api_as(world.mentor).post(
        f"/api/assignments/{pk}/review/", {"score": 90, "feedback": "好"}, format="json"
    )
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "reviewed"
    again = api_as(world.mentor).post(
        f"/api/assignments/{pk}/review/", {"score": 50, "feedback": "再评"}, format="json"
    )
    assert again.status_code == 400 and fresh(Assignment(pk=pk)).score == 90
    withdrawn = api_as(world.mentor).post(f"/api/assignments/{pk}/withdraw/", {"reason": "x"}, format="json")
    assert withdrawn.status_code == 400
    listed = api_as(world.apprentice).get("/api/assignments/", {"status": "reviewed"}).json()["results"]
    assert [row["id"] for row in listed] == [pk]
    assert api_as(world.county_admin_b).get(f"/api/assignments/{pk}/").status_code == 404


# ---------------------------------------------------------------------------------------------- CLI


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_assignment_workflow_through_the_cli(world, active, tmp_path, monkeypatch):
    monkeypatch.setenv("BANGDAI_LANGUAGE", "en")
    due = (TODAY + dt.timedelta(days=7)).isoformat()
    args = [
        "--pairing",
        str(active.pairing.pk),
        "--title",
        "调研",
        "--brief",
        "写报告",
        "--area",
        "party_building",
    ]
    with pytest.raises(CommandError, match="due date cannot be in the past"):
        run("assignments", "issue", *args, "--due", "2000-01-01", "--as", "mentor")
    out = run("assignments", "issue", *args, "--due", due, "--as", "mentor")
    assignment = Assignment.objects.get()
    assert out.strip() == f"assignment {assignment.pk} issued: issued"
    picture, fake = tmp_path / "现场.jpg", tmp_path / "fake.jpg"
    picture.write_bytes(photo().read())
    fake.write_text("not a picture")
    with pytest.raises(CommandError, match="fake.jpg is not a photo"):
        run(
            "assignments",
            "submit",
            str(assignment.pk),
            "--text",
            "报告",
            "--file",
            str(fake),
            "--as",
            "apprentice",
        )
    assert not Submission.objects.exists()
    out = run(
        "assignments",
        "submit",
        str(assignment.pk),
        "--text",
        "报告",
        "--file",
        str(picture),
        "--as",
        "apprentice",
    )
    assert "submission 1: submitted (1 file(s))" in out
    with pytest.raises(CommandError, match="whole number from 0 to 100"):
        run(
            "assignments",
            "review",
            str(assignment.pk),
            "--score",
            "101",
            "--feedback",
            "好",
            "--as",
            "mentor",
        )
    assert "reviewed (95): reviewed" in run(
        "assignments", "review", str(assignment.pk), "--score", "95", "--feedback", "好", "--as", "mentor"
    )
    with pytest.raises(CommandError, match="already been reviewed"):
        run("assignments", "review", str(assignment.pk), "--score", "5", "--feedback", "差", "--as", "mentor")
    shown = json.loads(run("assignments", "show", str(assignment.pk), "--json", "--as", "auditor"))[0]
    assert shown["score"] == 95 and shown["submissions"][0]["files"] == ["现场.jpg"]
    assert json.loads(run("assignments", "list", "--json", "--as", "deqing")) == []
    with pytest.raises(CommandError, match="not found"):
        run("assignments", "withdraw", str(assignment.pk), "--reason", "x", "--as", "deqing")


# ---------------------------------------------------------------------------------------------- two reviews at once


@pytest.mark.django_db(transaction=True)
def test_two_reviews_at_once_make_one_review(threads_db):
    from .conftest import make_world

    world = make_world()
    active = running_pairing(world)
    second_person = PersonFactory(region=region("330523205202"))
    second = user_with_role("team-mentor", Role.MENTOR, "330523205202", person=second_person)
    second_mentor = pool.appointed_mentor(world.county_admin_a, active.programme, person=second_person)
    PairingMentor.objects.create(pairing=active.pairing, mentor=second_mentor, is_primary=False)
    assignment = issue(world, active)
    services.submit(actor=world.apprentice, assignment=fresh(assignment), text="答案")
    results = _race(
        [
            lambda: services.review(
                actor=world.mentor, assignment=fresh(assignment), feedback="好", score=90
            ),
            lambda: services.review(actor=second, assignment=fresh(assignment), feedback="一般", score=60),
        ]
    )
    reviewed = [r for r in results if isinstance(r, Assignment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(reviewed) == 1 and len(refused) == 1, results
    assert "already been reviewed" in str(refused[0]) or "已点评" in str(refused[0])
    final = fresh(assignment)
    assert final.status == S.REVIEWED and final.score == reviewed[0].score
    assert AssignmentEvent.objects.filter(assignment=assignment, action="review").count() == 1


# ---------------------------------------------------------------------------------------------- query counts


def test_lists_take_the_same_queries_for_one_assignment_or_many(client, world):
    from .test_plans import count_queries

    first = running_pairing(world)
    a = issue(world, first)
    services.submit(actor=world.apprentice, assignment=fresh(a), text="答案")
    client.force_login(world.county_admin_a)
    api = api_as(world.county_admin_a)
    urls = [("/assignments/", None), ("/assignments/", {"export": "csv"}), ("/api/assignments/", None)]
    count_queries(client, "/assignments/")
    before = [count_queries(api if u.startswith("/api/") else client, u, p) for u, p in urls]
    for _ in range(2):
        more = running_pairing(world, mentor_person=PersonFactory(), apprentice_person=PersonFactory())
        mentor = User.objects.get(person=more.mentor.person)
        apprentice = User.objects.get(person=more.pairing.apprentice.person)
        for _ in range(2):
            extra = services.issue(
                actor=mentor,
                pairing=more.pairing,
                title="作业",
                brief="写",
                content_area="party_building",
                due_on=TODAY,
            )
            services.submit(actor=apprentice, assignment=fresh(extra), text="答案")
    after = [count_queries(api if u.startswith("/api/") else client, u, p) for u, p in urls]
    assert Assignment.objects.count() == 5
    assert after == before
