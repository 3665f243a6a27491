"""The activity ledger (帮带台账): recording with evidence, every refusal (nothing stored), confirmation by the
counterpart once and within the window, corrections with history, the organisation's check, 复盘 reviews, the
figures other parts build on, and the same through the pages, the API and the command line."""

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
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image
from rest_framework.test import APIClient

from bangdai.accounts.choices import Role
from bangdai.core.choices import ContentArea, Method
from bangdai.ledger import selectors, services
from bangdai.ledger.choices import ActivityAction, ActivityStatus, Side, Verification
from bangdai.ledger.models import Activity, ActivityEvent, Evidence, Review
from bangdai.pairings import services as pairing_services

from . import pool
from .factories import PersonFactory, region, user_with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _english():
    # The assertions below read the services' messages in English.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# ---------------------------------------------------------------------------------------------------------------
# Files


def photo(name="现场.jpg", size=(1600, 1200), fmt="JPEG", gps=True) -> SimpleUploadedFile:
    """A phone photo carrying EXIF (camera, time and GPS position) that must not survive the upload."""
    image = Image.new("RGB", size, (40, 120, 200))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:20 10:00:00"  # DateTime
    if gps:
        exif[0x8825] = {1: "N", 2: (30.0, 31.0, 12.0), 3: "E", 4: (119.0, 37.0, 1.0)}
    image.save(out, fmt, exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def pdf(name="会议纪要.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def text_file(name="notes.exe") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ this is not a photo", content_type="application/octet-stream")


def truncated_photo(name="坏图.jpg") -> SimpleUploadedFile:
    body = photo().read()
    return SimpleUploadedFile(name, body[: len(body) // 3], content_type="image/jpeg")


# ---------------------------------------------------------------------------------------------------------------
# A running pairing of the world's mentor and apprentice (安吉县's programme), and a second one in 孝丰镇


def running_pairing(admin, prog, mentor, apprentice, *, accounts, days_ago=30):
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    for account in accounts:
        pairing = pairing_services.confirm(actor=account, pairing=pairing)
    return pairing_services.sign_pledge(
        actor=admin,
        pairing=pairing,
        signed_on=TODAY() - dt.timedelta(days=days_ago),
        ceremony_place="上墅乡师说馆",
        witnesses=["乡党委书记"],
    )


@pytest.fixture
def setup(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    pairing = running_pairing(admin, prog, mentor, apprentice, accounts=[world.mentor, world.apprentice])
    return prog, pairing


@pytest.fixture
def other(world, setup):
    """A running pairing in 孝丰镇 (county A, another township) with its own two accounts."""
    prog, _pairing = setup
    admin = world.county_admin_a
    mentor_person = PersonFactory(
        name="钱横溪", region=region("330523105201"), birth_date=dt.date(1969, 2, 1)
    )
    mentor = pool.appointed_mentor(admin, prog, person=mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.cadre_a2, three_gates=True)
    accounts = [
        user_with_role("m_xf", Role.MENTOR, "330523105201", person=mentor_person),
        user_with_role("a_xf", Role.APPRENTICE, "330523105201", person=world.cadre_a2),
    ]
    pairing = running_pairing(admin, prog, mentor, apprentice, accounts=accounts)
    return pairing, accounts[0], accounts[1]


def record(actor, pairing, **overrides):
    data = {
        "occurred_on": TODAY() - dt.timedelta(days=2),
        "duration_min": 90,
        "method": Method.DIAGNOSTIC_VISIT,
        "content_areas": [ContentArea.COMMON_PROSPERITY],
        "summary": "到上墅村走访，指导村集体经济项目谋划",
    }
    return services.record_activity(actor=actor, pairing=pairing, **{**data, **overrides})


# ---------------------------------------------------------------------------------------------------------------
# Recording


def test_recording_with_photos_and_a_document(world, setup, media):
    _prog, pairing = setup
    activity = record(
        world.mentor,
        pairing,
        problems_solved=["  民宿联营方案  ", "", "村道照明"],
        files=[photo(), photo("第二张.png", fmt="PNG", size=(400, 300)), pdf()],
        lng=119.6201,
        lat=30.5212,
        accuracy_m=18.4,
    )
    assert activity.logged_as == Side.MENTOR and activity.logged_by == world.mentor
    assert activity.status == ActivityStatus.RECORDED and activity.verification == Verification.UNREVIEWED
    assert activity.place == pairing.region and activity.region == pairing.region
    assert activity.on_site is True  # derived: the place is a village
    assert activity.problems_solved == ["民宿联营方案", "村道照明"]
    assert activity.confirm_due == TODAY() + dt.timedelta(days=7)  # D2 default window
    assert (activity.lng, activity.lat, activity.accuracy_m) == (119.6201, 30.5212, 18)
    assert list(activity.events.values_list("action", "actor")) == [(ActivityAction.RECORD, world.mentor.pk)]

    files = list(activity.evidence.order_by("pk"))
    assert [(f.kind, f.content_type) for f in files] == [
        ("image", "image/jpeg"),
        ("image", "image/png"),
        ("document", "application/pdf"),
    ]
    assert files[0].name == "现场.jpg" and files[2].name == "会议纪要.pdf"
    with Image.open(files[0].file.open("rb")) as stored:
        assert not stored.getexif(), "camera and GPS data must not be stored"
        assert max(stored.size) <= 2560
    with Image.open(files[0].thumbnail.open("rb")) as thumb:
        assert max(thumb.size) <= services.THUMBNAIL_EDGE
    assert not files[2].thumbnail
    assert len(stored_files(media)) == 5  # three files and two thumbnails


def test_a_place_elsewhere_and_the_on_site_flag_set_by_hand(world, setup):
    _prog, pairing = setup
    township = region("330523205")
    activity = record(world.apprentice, pairing, place=township, method=Method.HEART_TO_HEART_TALK)
    assert activity.place == township and activity.on_site is False  # a township office: not derived on site
    assert activity.logged_as == Side.APPRENTICE
    activity = record(world.apprentice, pairing, place=township, on_site=True)
    assert activity.on_site is True


def test_every_field_refusal_at_once_and_nothing_written(world, setup, media):
    _prog, pairing = setup
    with pytest.raises(ValidationError) as info:
        record(
            world.mentor,
            pairing,
            occurred_on=TODAY() + dt.timedelta(days=1),
            duration_min=2,
            method="singing",
            content_areas=[],
            summary="   ",
            place=region("330521002201"),  # 德清县: outside 安吉县's programme
            files=[photo()],
        )
    errors = info.value.message_dict
    assert errors["occurred_on"] == ["An activity cannot be dated in the future."]
    assert set(errors) == {"occurred_on", "duration_min", "method", "content_areas", "summary", "place"}
    assert "安吉县" in errors["place"][0]
    assert (
        not Activity.objects.exists() and not Evidence.objects.exists() and not ActivityEvent.objects.exists()
    )
    assert stored_files(media) == []


def test_an_activity_before_the_pairing_began_is_refused(world, setup):
    _prog, pairing = setup
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing, occurred_on=pairing.start_date - dt.timedelta(days=1))
    assert info.value.message_dict["occurred_on"] == [
        f"The pairing began on {pairing.start_date.isoformat()}; an activity cannot be dated before it."
    ]
    assert record(world.mentor, pairing, occurred_on=pairing.start_date).occurred_on == pairing.start_date
    assert record(world.mentor, pairing, occurred_on=TODAY()).occurred_on == TODAY()


def test_a_county_or_an_abolished_place_is_refused(world, setup):
    _prog, pairing = setup
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing, place=region("330523"))
    assert "village or township" in info.value.message_dict["place"][0]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (text_file, "notes.exe is not a photo (JPEG, PNG, WebP) or a PDF document."),
        (truncated_photo, "坏图.jpg is damaged: the picture cannot be decoded."),
        (lambda: SimpleUploadedFile("empty.jpg", b""), "The file empty.jpg is empty."),
    ],
    ids=["wrong-type", "undecodable", "empty"],
)
def test_a_bad_file_refuses_the_whole_entry(world, setup, media, upload, message):
    _prog, pairing = setup
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing, files=[photo(), upload()])
    assert info.value.message_dict["files"] == [message]
    assert not Activity.objects.exists() and not Evidence.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_file_is_refused(world, setup, media, monkeypatch):
    from bangdai.core import uploads

    monkeypatch.setattr(uploads, "MAX_IMAGE_BYTES", 1 << 20)
    _prog, pairing = setup
    noisy = io.BytesIO()
    Image.effect_noise((1600, 1200), 100).convert("RGB").save(noisy, "JPEG", quality=95)
    assert noisy.tell() > 1 << 20
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing, files=[SimpleUploadedFile("大图.jpg", noisy.getvalue())])
    assert info.value.message_dict["files"] == ["大图.jpg is larger than 1 MB."]
    assert not Activity.objects.exists() and stored_files(media) == []


def test_at_most_nine_files(world, setup, media):
    _prog, pairing = setup
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing, files=[photo(f"{i}.jpg", size=(40, 30)) for i in range(10)])
    assert "At most 9 files" in info.value.message_dict["files"][0]
    assert stored_files(media) == []


def test_a_half_given_or_impossible_location_is_refused(world, setup):
    _prog, pairing = setup
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing, lng=119.6)
    assert "both a longitude and a latitude" in info.value.message_dict["lng"][0]
    with pytest.raises(ValidationError):
        record(world.mentor, pairing, lng=500, lat=30)
    assert not Activity.objects.exists()


def test_only_the_parties_of_a_running_pairing_record(world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, _xf_apprentice = other
    for outsider in (world.township_a, world.county_admin_a, world.auditor, xf_mentor):
        with pytest.raises(PermissionDenied):
            record(outsider, pairing)
    pairing_services.complete(actor=world.county_admin_a, pairing=pairing)
    with pytest.raises(ValidationError) as info:
        record(world.mentor, pairing)
    assert "running pairing" in info.value.message_dict["pairing"][0]
    assert not Activity.objects.exists()


def test_the_window_is_the_programme_rule_at_recording_time(world, setup):
    from bangdai.pairings.models import Pairing
    from bangdai.programmes import services as programme_services

    prog, pairing = setup
    before = record(world.mentor, pairing)
    programme_services.change_rules(
        actor=world.county_admin_a, programme=prog, data={**prog.policy.as_data(), "confirm_within_days": 3}
    )
    pairing = Pairing.objects.get(pk=pairing.pk)
    after = record(world.mentor, pairing)
    assert after.confirm_due == TODAY() + dt.timedelta(days=3)
    before.refresh_from_db()
    assert before.confirm_due == TODAY() + dt.timedelta(days=7)  # the past is not rewritten


# ---------------------------------------------------------------------------------------------------------------
# Confirmation


def test_the_counterpart_confirms_once(world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    confirmed = services.confirm_activity(actor=world.apprentice, activity=activity)
    assert confirmed.status == ActivityStatus.CONFIRMED and confirmed.confirmed_by == world.apprentice
    with pytest.raises(ValidationError) as info:
        services.confirm_activity(actor=world.apprentice, activity=confirmed)
    assert "already confirmed" in info.value.messages[0] and "nothing was changed" in info.value.messages[0]
    # A stale copy (the page opened before the first click) is refused the same way.
    with pytest.raises(ValidationError):
        services.confirm_activity(actor=world.apprentice, activity=activity)
    assert ActivityEvent.objects.filter(activity=activity, action=ActivityAction.CONFIRM).count() == 1

    entry = record(world.apprentice, pairing, method=Method.HEART_TO_HEART_TALK)
    assert services.confirm_activity(actor=world.mentor, activity=entry).confirmed_by == world.mentor


def test_confirming_ones_own_entry_is_refused(world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    with pytest.raises(ValidationError) as info:
        services.confirm_activity(actor=world.mentor, activity=activity)
    assert info.value.messages == ["You recorded this activity yourself; the other party confirms it."]
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.RECORDED
    assert not ActivityEvent.objects.filter(action=ActivityAction.CONFIRM).exists()


def test_a_second_mentor_of_a_team_does_not_confirm_the_firsts_entry(world):
    admin = world.county_admin_a
    prog = pool.programme(admin, max_mentors_per_apprentice=2)
    second_person = PersonFactory(region=region("330523205202"), birth_date=dt.date(1970, 1, 1))
    first = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    second = pool.appointed_mentor(admin, prog, person=second_person)
    second_account = user_with_role("m2", Role.MENTOR, "330523205202", person=second_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[first, second])
    for account in (world.mentor, second_account, world.apprentice):
        pairing = pairing_services.confirm(actor=account, pairing=pairing)
    pairing = pairing_services.sign_pledge(
        actor=admin, pairing=pairing, signed_on=TODAY(), ceremony_place="师说馆", witnesses=["书记"]
    )
    activity = record(world.mentor, pairing, occurred_on=TODAY())
    with pytest.raises(ValidationError) as info:
        services.confirm_activity(actor=second_account, activity=activity)
    assert info.value.messages == ["A mentor's entry is confirmed by the apprentice."]
    assert (
        services.confirm_activity(actor=world.apprentice, activity=activity).status
        == ActivityStatus.CONFIRMED
    )


def test_outsiders_do_not_confirm(world, setup, other):
    _prog, pairing = setup
    _xf, xf_mentor, xf_apprentice = other
    activity = record(world.mentor, pairing)
    for outsider in (world.township_a, world.county_admin_a, xf_apprentice, xf_mentor):
        with pytest.raises(PermissionDenied):
            services.confirm_activity(actor=outsider, activity=activity)
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.RECORDED


def test_past_the_window_it_is_flagged_unconfirmed_and_can_no_longer_be_confirmed(world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    fresh = record(world.mentor, pairing)
    assert not activity.is_overdue() and activity in Activity.objects.awaiting()
    # Eight days on: the window (7 days) has closed.
    later = TODAY() + dt.timedelta(days=8)
    assert activity.is_overdue(later)
    assert set(Activity.objects.overdue(later)) == {activity, fresh}
    assert not Activity.objects.awaiting(later).exists()
    Activity.objects.filter(pk=activity.pk).update(confirm_due=TODAY() - dt.timedelta(days=1))
    activity.refresh_from_db()
    assert activity.is_overdue() and list(Activity.objects.overdue()) == [activity]
    with pytest.raises(ValidationError) as info:
        services.confirm_activity(actor=world.apprentice, activity=activity)
    assert "window for confirming closed" in info.value.messages[0]
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.RECORDED
    assert list(selectors.missed_confirmations(world.apprentice)) == [activity]
    assert list(selectors.awaiting_my_confirmation(world.apprentice)) == [fresh]
    assert set(selectors.awaiting_counterpart(world.mentor)) == {activity, fresh}


# ---------------------------------------------------------------------------------------------------------------
# Withdrawal, correction, the organisation's check


def test_the_author_withdraws_before_confirmation_only(world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    with pytest.raises(PermissionDenied):
        services.withdraw_activity(actor=world.apprentice, activity=activity, reason="重复")
    with pytest.raises(ValidationError):
        services.withdraw_activity(actor=world.mentor, activity=activity, reason="  ")
    withdrawn = services.withdraw_activity(actor=world.mentor, activity=activity, reason="重复记录")
    assert withdrawn.status == ActivityStatus.WITHDRAWN
    assert not Activity.objects.counted().exists()
    with pytest.raises(ValidationError) as info:
        services.confirm_activity(actor=world.apprentice, activity=withdrawn)
    assert "withdrawn" in info.value.messages[0]

    confirmed = services.confirm_activity(actor=world.apprentice, activity=record(world.mentor, pairing))
    with pytest.raises(ValidationError) as info:
        services.withdraw_activity(actor=world.mentor, activity=confirmed, reason="写错了")
    assert "correct it with a note" in info.value.messages[0]


def test_corrections_before_and_after_confirmation_keep_the_history(world, setup, media):
    _prog, pairing = setup
    activity = record(
        world.mentor, pairing, files=[photo("a.jpg", size=(80, 60)), photo("b.jpg", size=(80, 60))]
    )
    with pytest.raises(PermissionDenied):
        services.correct_activity(actor=world.apprentice, activity=activity, duration_min=30)
    with pytest.raises(ValidationError) as info:
        services.correct_activity(actor=world.mentor, activity=activity)
    assert info.value.messages == ["Nothing has changed."]

    first_file = activity.evidence.order_by("pk").first()
    activity = services.correct_activity(
        actor=world.mentor,
        activity=activity,
        duration_min=120,
        method=Method.CASE_DISSECTION,
        remove_evidence=[first_file.pk],
        files=[pdf("方案.pdf")],
    )
    assert (activity.duration_min, activity.method, activity.revision) == (120, Method.CASE_DISSECTION, 2)
    event = activity.events.get(action=ActivityAction.CORRECT)
    assert event.changes["duration_min"] == [90, 120]
    assert event.changes["method"] == [Method.DIAGNOSTIC_VISIT, Method.CASE_DISSECTION]
    assert event.changes["removed_files"] == ["a.jpg"] and event.changes["added_files"] == ["方案.pdf"]
    assert [e.name for e in activity.evidence.shown()] == ["b.jpg", "方案.pdf"]
    assert Evidence.objects.get(pk=first_file.pk).removed_at is not None  # kept for the history
    assert [c.field for c in selectors.describe_changes(event.changes)] == [
        "duration_min",
        "method",
        "added_files",
        "removed_files",
    ]

    activity = services.confirm_activity(actor=world.apprentice, activity=activity)
    with pytest.raises(ValidationError) as info:
        services.correct_activity(actor=world.mentor, activity=activity, summary="改写")
    assert "say what you corrected" in info.value.message_dict["note"][0]
    with pytest.raises(ValidationError) as info:
        services.correct_activity(
            actor=world.mentor, activity=activity, note="日期记错", occurred_on=TODAY() + dt.timedelta(days=3)
        )
    assert "future" in info.value.message_dict["occurred_on"][0]
    activity = services.correct_activity(
        actor=world.mentor,
        activity=activity,
        note="日期记错，应为前一天",
        occurred_on=TODAY() - dt.timedelta(days=3),
    )
    assert activity.status == ActivityStatus.CONFIRMED and activity.revision == 3
    last = activity.events.filter(action=ActivityAction.CORRECT).last()
    assert last.note == "日期记错，应为前一天"
    assert last.changes == {
        "occurred_on": [
            (TODAY() - dt.timedelta(days=2)).isoformat(),
            (TODAY() - dt.timedelta(days=3)).isoformat(),
        ]
    }


def test_a_correction_racing_a_confirmation_without_a_note_is_refused(world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    stale = Activity.objects.get(pk=activity.pk)  # the author's form, opened before the apprentice confirmed
    services.confirm_activity(actor=world.apprentice, activity=activity)
    with pytest.raises(ValidationError) as info:
        services.correct_activity(actor=world.mentor, activity=stale, duration_min=45)
    assert "just been changed" in info.value.messages[0]
    assert Activity.objects.get(pk=activity.pk).duration_min == 90


def test_the_township_and_the_department_check_entries(world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, _xf_apprentice = other
    activity = record(world.mentor, pairing)
    for refused in (world.county_admin_b, world.auditor, world.mentor, world.apprentice):
        with pytest.raises(PermissionDenied):
            services.verify_activity(actor=refused, activity=activity, verdict=Verification.VERIFIED)
    with pytest.raises(ValidationError) as info:
        services.verify_activity(actor=world.township_a, activity=activity, verdict=Verification.QUESTIONABLE)
    assert "questionable" in info.value.message_dict["note"][0]
    activity = services.verify_activity(
        actor=world.township_a, activity=activity, verdict=Verification.QUESTIONABLE, note="照片与地点不符"
    )
    assert (activity.verification, activity.verification_note) == (
        Verification.QUESTIONABLE,
        "照片与地点不符",
    )
    with pytest.raises(ValidationError) as info:
        services.verify_activity(
            actor=world.county_admin_a, activity=activity, verdict=Verification.QUESTIONABLE, note="再次"
        )
    assert "already marked" in info.value.messages[0]
    activity = services.verify_activity(
        actor=world.county_admin_a, activity=activity, verdict=Verification.VERIFIED, note="已电话核实"
    )
    assert activity.verified_by == world.county_admin_a
    assert list(activity.events.values_list("action", flat=True)) == [
        ActivityAction.RECORD,
        ActivityAction.QUESTION,
        ActivityAction.VERIFY,
    ]
    # The township committee of 上墅乡 does not check 孝丰镇's ledger.
    xf_activity = record(xf_mentor, xf_pairing)
    with pytest.raises(PermissionDenied):
        services.verify_activity(actor=world.township_a, activity=xf_activity, verdict=Verification.VERIFIED)
    # Once checked, a correction needs a note.
    with pytest.raises(ValidationError):
        services.correct_activity(actor=world.mentor, activity=activity, duration_min=30)


# ---------------------------------------------------------------------------------------------------------------
# 复盘 reviews


def test_the_mentor_reviews_activities_of_the_pairing(world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, _ = other
    first, second = record(world.mentor, pairing), record(world.apprentice, pairing)
    foreign = record(xf_mentor, xf_pairing)
    with pytest.raises(PermissionDenied):
        services.write_review(
            actor=world.apprentice, pairing=pairing, activities=[first], lessons="x", next_steps="y"
        )
    with pytest.raises(PermissionDenied):
        services.write_review(
            actor=world.township_a, pairing=pairing, activities=[first], lessons="x", next_steps="y"
        )
    with pytest.raises(ValidationError) as info:
        services.write_review(
            actor=world.mentor, pairing=pairing, activities=[first, foreign], lessons="x", next_steps=""
        )
    assert set(info.value.message_dict) == {"activities", "next_steps"}
    with pytest.raises(ValidationError):
        services.write_review(actor=world.mentor, pairing=pairing, activities=[], lessons="x", next_steps="y")
    assert not Review.objects.exists()

    review = services.write_review(
        actor=world.mentor,
        pairing=pairing,
        activities=[first, second, first],
        lessons="走访前准备不足",
        next_steps="下次带上村账",
    )
    assert set(review.activities.all()) == {first, second}
    events = ActivityEvent.objects.filter(action=ActivityAction.REVIEW)
    assert {e.activity_id for e in events} == {first.pk, second.pk}
    assert all(e.changes == {"review": review.pk} for e in events)
    services.withdraw_activity(actor=world.mentor, activity=record(world.mentor, pairing), reason="误录")
    withdrawn = Activity.objects.get(status=ActivityStatus.WITHDRAWN)
    with pytest.raises(ValidationError):
        services.write_review(
            actor=world.mentor, pairing=pairing, activities=[withdrawn], lessons="x", next_steps="y"
        )


# ---------------------------------------------------------------------------------------------------------------
# Figures for compliance, trends and the growth file


def test_month_figures_per_pairing_and_region(world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, xf_apprentice = other
    today = TODAY()
    this_month = today.replace(day=1)
    day = max(pairing.start_date, this_month)
    talk = record(
        world.apprentice, pairing, occurred_on=day, method=Method.HEART_TO_HEART_TALK, duration_min=30
    )
    visit = record(world.mentor, pairing, occurred_on=day, duration_min=120)
    office = record(world.mentor, pairing, occurred_on=day, place=region("330523205"), duration_min=60)
    services.confirm_activity(actor=world.apprentice, activity=visit)
    services.confirm_activity(actor=world.mentor, activity=talk)
    services.withdraw_activity(
        actor=world.mentor, activity=record(world.mentor, pairing, occurred_on=day), reason="重复"
    )
    Activity.objects.filter(pk=office.pk).update(confirm_due=today - dt.timedelta(days=1))
    record(xf_mentor, xf_pairing, occurred_on=max(xf_pairing.start_date, this_month))

    figures = selectors.pairing_month(pairing, today)
    assert (figures.activities, figures.on_site, figures.talks, figures.confirmed) == (3, 2, 1, 2)
    assert (figures.awaiting, figures.overdue, figures.minutes) == (0, 1, 210)
    assert figures.confirmed_share == pytest.approx(
        2 / 3
    ) and figures.settled_confirmed_share == pytest.approx(2 / 3)
    months = selectors.pairing_months(
        type(pairing).objects.filter(pk__in=[pairing.pk, xf_pairing.pk]), this_month, today
    )
    assert (
        months[xf_pairing.pk][this_month].activities == 1 and months[pairing.pk][this_month].activities == 3
    )
    series = selectors.pairing_month_series(pairing, selectors.months_back(today, 3), today)
    assert [m.activities for m in series] == [0, 0, 3] and series[0].confirmed_share is None

    county = region("330523")
    assert selectors.region_month_series(county, this_month, today)[0].activities == 4
    by_township = {
        r.region.code: r.figures.activities
        for r in selectors.region_months(county, this_month, today, by_child=True)
    }
    assert by_township == {"330523205": 3, "330523105": 1}
    assert selectors.region_month_series(region("330521"), this_month, today)[0].activities == 0


def test_silent_pairings(world, setup, other):
    _prog, pairing = setup  # began 30 days ago
    xf_pairing, xf_mentor, _ = other
    today = TODAY()
    record(world.mentor, pairing, occurred_on=today - dt.timedelta(days=20))
    record(xf_mentor, xf_pairing, occurred_on=today - dt.timedelta(days=3))
    pairings = type(pairing).objects.all()
    silent = {p.pk: p.last_activity for p in selectors.silent_pairings(pairings, days=14)}
    assert silent == {pairing.pk: today - dt.timedelta(days=20)}
    assert not selectors.silent_pairings(pairings, days=21).exists()
    assert not selectors.silent_pairings(pairings, days=40).exists()  # neither has run 40 days yet


def test_the_scope_of_reads(world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, xf_apprentice = other
    older = record(world.mentor, pairing, occurred_on=TODAY() - dt.timedelta(days=5))
    newer = record(world.apprentice, pairing, occurred_on=TODAY() - dt.timedelta(days=1))
    review = services.write_review(
        actor=world.mentor, pairing=pairing, activities=[older], lessons="要点", next_steps="下一步"
    )
    foreign = record(xf_mentor, xf_pairing)

    visible = lambda user: set(Activity.objects.visible_to(user))  # noqa: E731
    assert visible(world.county_admin_a) == visible(world.auditor) == {older, newer, foreign}
    assert visible(world.township_a) == visible(world.mentor) == visible(world.apprentice) == {older, newer}
    assert visible(world.county_admin_b) == set() and visible(xf_mentor) == {foreign}
    assert set(Review.objects.visible_to(world.county_admin_a)) == set(
        Review.objects.visible_to(world.mentor)
    )
    assert set(Review.objects.visible_to(world.mentor)) == {review}
    assert set(Review.objects.visible_to(world.county_admin_b)) == set()
    assert set(Review.objects.visible_to(xf_apprentice)) == set()
    assert set(Evidence.objects.visible_to(world.county_admin_b)) == set()


def test_available_actions(world, setup):
    _prog, pairing = setup
    activity = Activity.objects.select_related("pairing__apprentice", "region").get(
        pk=record(world.mentor, pairing).pk
    )
    assert selectors.available_actions(world.mentor, activity) == {"correct", "withdraw"}
    assert selectors.available_actions(world.apprentice, activity) == {"confirm"}
    assert selectors.available_actions(world.township_a, activity) == {"verify"}
    assert selectors.available_actions(world.auditor, activity) == set()
    Activity.objects.filter(pk=activity.pk).update(confirm_due=TODAY() - dt.timedelta(days=1))
    activity.refresh_from_db()
    assert selectors.available_actions(world.apprentice, activity) == set()


def test_quick_form_defaults(world, setup):
    _prog, pairing = setup
    assert selectors.default_method(world.mentor, Side.MENTOR) == Method.DIAGNOSTIC_VISIT
    assert selectors.default_method(world.apprentice, Side.APPRENTICE) == Method.HEART_TO_HEART_TALK
    assert selectors.default_areas(world.mentor, pairing) == [ContentArea.COMMON_PROSPERITY]  # the needs
    record(world.mentor, pairing, method=Method.CASE_DISSECTION, content_areas=[ContentArea.PARTY_BUILDING])
    assert selectors.default_method(world.mentor) == Method.CASE_DISSECTION
    assert selectors.default_areas(world.mentor, pairing) == [ContentArea.PARTY_BUILDING]
    places = [r.code for r in selectors.place_choices(pairing)]
    assert places[:2] == ["330523205201", "330523205202"]  # the apprentice's village, the mentor's village
    assert "330523205" in places and all(code.startswith("330523205") for code in places)
    assert list(selectors.recordable_pairings(world.mentor)) == [pairing]
    assert list(selectors.recordable_pairings(world.township_a)) == []


# ---------------------------------------------------------------------------------------------------------------
# Pages


def test_the_quick_form_opens_filled_in(client, world, setup):
    _prog, pairing = setup
    client.force_login(world.mentor)
    response = client.get(reverse("ledger:record"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["pairing"] == pairing.pk and form.initial["occurred_on"] == TODAY()
    assert form.initial["duration_min"] == 60 and form.initial["method"] == Method.DIAGNOSTIC_VISIT
    assert form.initial["place"] == "330523205201" and form.initial["on_site"] is True
    body = response.content.decode()
    assert 'name="method" id="id_method_0" value="diagnostic_visit" autocomplete="off" checked' in body
    assert f'max="{TODAY().isoformat()}"' in body and f'min="{pairing.start_date.isoformat()}"' in body
    assert 'enctype="multipart/form-data"' in body and "ledger/ledger.js" in body


def test_recording_through_the_page(client, world, setup, media):
    _prog, pairing = setup
    client.force_login(world.mentor)
    data = {
        "pairing": pairing.pk,
        "occurred_on": TODAY().isoformat(),
        "duration_min": 75,
        "method": Method.TEAM_TACKLING,
        "content_areas": [ContentArea.COMMON_PROSPERITY, ContentArea.GOVERNANCE_HARMONY],
        "place": "330523205202",
        "on_site": "on",
        "summary": "组团研究刘家塘村土地流转问题",
        "problems_solved": "土地流转合同\n\n分红方案",
        "lng": "119.6012",
        "lat": "30.5023",
        "accuracy_m": "25",
        "files": [photo(), pdf()],
    }
    response = client.post(reverse("ledger:record"), data)
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ledger:detail", args=[activity.pk]
    )
    assert activity.place.code == "330523205202" and activity.problems_solved == ["土地流转合同", "分红方案"]
    assert activity.content_areas == [ContentArea.COMMON_PROSPERITY, ContentArea.GOVERNANCE_HARMONY]
    assert activity.evidence.count() == 2 and activity.accuracy_m == 25

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and "组团研究刘家塘村土地流转问题" in body
    photo_file = activity.evidence.get(kind="image")
    assert reverse("ledger:thumbnail", args=[photo_file.pk]) in body
    assert "距刘家塘村" in body and "公里" in body  # the device position against the village's point
    thumb = client.get(reverse("ledger:thumbnail", args=[photo_file.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    document = client.get(reverse("ledger:evidence", args=[activity.evidence.get(kind="document").pk]))
    assert document.status_code == 200 and "attachment" in document["Content-Disposition"]
    assert b"".join(document.streaming_content).startswith(b"%PDF-")


def test_a_refused_entry_comes_back_with_its_input_and_nothing_stored(client, world, setup, media):
    _prog, pairing = setup
    client.force_login(world.mentor)
    data = {
        "pairing": pairing.pk,
        "occurred_on": (TODAY() + dt.timedelta(days=1)).isoformat(),
        "duration_min": 60,
        "method": Method.DIAGNOSTIC_VISIT,
        "content_areas": [ContentArea.PARTY_BUILDING],
        "place": "330523205201",
        "summary": "走访",
        "files": [text_file()],
    }
    response = client.post(reverse("ledger:record"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["occurred_on"] == ["活动日期不能晚于今天。"]  # pages speak Chinese by default
    body = response.content.decode()
    assert "走访" in body and "请重新选择" in body
    assert not Activity.objects.exists() and stored_files(media) == []
    data["occurred_on"] = TODAY().isoformat()
    response = client.post(reverse("ledger:record"), {**data, "files": [text_file()]})
    assert response.context["form"].errors["files"] == ["notes.exe 不是照片（JPEG、PNG、WebP）或 PDF 文档。"]
    assert not Activity.objects.exists() and stored_files(media) == []


def test_pages_in_english(client, world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing, lng=119.62, lat=30.52)
    client.force_login(world.apprentice)
    form = client.get(reverse("ledger:record"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Record an activity" in form and "Heart-to-heart talk (谈心谈话)" in form
    assert "The other side confirms it within 7 days." in form
    page = client.get(
        reverse("ledger:detail", args=[activity.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Confirm that it took place as described" in page and "km from 上墅村" in page
    chinese = client.get(reverse("ledger:detail", args=[activity.pk])).content.decode()
    assert "请在" in chinese and "前确认活动情况属实" in chinese


def test_who_may_open_the_quick_form(client, world, setup, other):
    _prog, pairing = setup
    xf_pairing, _xf_mentor, _ = other
    client.force_login(world.township_a)
    assert client.get(reverse("ledger:record")).status_code == 403
    client.force_login(world.mentor)
    assert client.get(reverse("ledger:record"), {"pairing": xf_pairing.pk}).status_code == 404
    pairing_services.complete(actor=world.county_admin_a, pairing=pairing)
    response = client.get(reverse("ledger:record"), {"pairing": pairing.pk})
    assert response.status_code == 200 and "不在帮带期内" in response.content.decode()
    assert "没有帮带中的结对" in response.content.decode()
    response = client.post(reverse("ledger:record"), {"pairing": xf_pairing.pk, "summary": "x"})
    assert response.status_code == 404


def test_confirming_on_the_page(client, world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    url = reverse("ledger:action", args=[activity.pk, "confirm"])
    client.force_login(world.township_a)
    assert client.post(url).status_code == 403
    client.force_login(world.county_admin_b)
    assert client.get(reverse("ledger:detail", args=[activity.pk])).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(world.mentor)
    response = client.post(url)
    assert response.status_code == 200
    assert "这条活动是您本人记录的，需由对方确认。" in response.content.decode()

    client.force_login(world.apprentice)
    mine = client.get(reverse("ledger:to_confirm"))
    assert list(mine.context["to_confirm"]) == [activity] and url in mine.content.decode()
    response = client.post(url, {"next": reverse("ledger:to_confirm")})
    assert response.status_code == 302 and response["Location"] == reverse("ledger:to_confirm")
    assert Activity.objects.get(pk=activity.pk).status == ActivityStatus.CONFIRMED
    response = client.post(url)
    assert response.status_code == 200 and "本次操作未作任何改动" in response.content.decode()
    assert ActivityEvent.objects.filter(action=ActivityAction.CONFIRM).count() == 1
    assert list(client.get(reverse("ledger:to_confirm")).context["to_confirm"]) == []


def test_checking_withdrawing_and_correcting_on_the_page(client, world, setup):
    _prog, pairing = setup
    activity = record(world.mentor, pairing)
    verify = reverse("ledger:action", args=[activity.pk, "verify"])
    client.force_login(world.auditor)
    assert client.get(reverse("ledger:detail", args=[activity.pk])).status_code == 200
    assert client.post(verify, {"verify-verdict": "verified"}).status_code == 403
    client.force_login(world.township_a)
    page = client.get(reverse("ledger:detail", args=[activity.pk]))
    assert page.context["actions"] == {"verify"}
    response = client.post(verify, {"verify-verdict": "questionable", "verify-note": ""})
    assert response.status_code == 200 and response.context["forms"]["verify"].errors["note"]
    response = client.post(verify, {"verify-verdict": "questionable", "verify-note": "地点存疑"})
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity.pk).verification == Verification.QUESTIONABLE

    client.force_login(world.apprentice)
    assert client.get(reverse("ledger:correct", args=[activity.pk])).status_code == 403
    client.force_login(world.mentor)
    correct = reverse("ledger:correct", args=[activity.pk])
    form = client.get(correct)
    assert form.status_code == 200 and form.context["needs_note"]  # checked: a note is needed now
    data = {
        "occurred_on": activity.occurred_on.isoformat(),
        "duration_min": 45,
        "method": activity.method,
        "content_areas": activity.content_areas,
        "place": activity.place.code,
        "on_site": "on",
        "summary": activity.summary,
        "problems_solved": "",
        "note": "",
    }
    response = client.post(correct, data)
    assert response.status_code == 200 and response.context["form"].errors["note"]
    response = client.post(correct, {**data, "note": "时长记错"})
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity.pk).duration_min == 45
    history = client.get(reverse("ledger:detail", args=[activity.pk])).content.decode()
    assert "时长记错" in history and "<del>90</del>" in history

    withdraw = reverse("ledger:action", args=[activity.pk, "withdraw"])
    response = client.post(withdraw, {"withdraw-reason": "重复记录"})
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity.pk).status == ActivityStatus.WITHDRAWN
    assert client.post(reverse("ledger:action", args=[activity.pk, "dance"])).status_code == 404


def test_the_pairing_ledger_and_reviews_pages(client, world, setup, other):
    _prog, pairing = setup
    xf_pairing, _xf_mentor, _ = other
    first = record(world.mentor, pairing, files=[photo(size=(200, 150))])
    second = record(world.apprentice, pairing, method=Method.HEART_TO_HEART_TALK)
    client.force_login(world.mentor)
    page = client.get(reverse("ledger:pairing", args=[pairing.pk]))
    assert page.status_code == 200 and page.context["can_record"] and page.context["can_review"]
    assert list(page.context["activities"]) == [second, first] or set(page.context["activities"]) == {
        first,
        second,
    }
    assert reverse("ledger:thumbnail", args=[first.evidence.get().pk]) in page.content.decode()
    assert page.context["months"][0].activities == 2
    assert client.get(reverse("ledger:pairing", args=[xf_pairing.pk])).status_code == 404

    create = reverse("ledger:review_create", args=[pairing.pk])
    response = client.post(
        create, {"activities": [first.pk, second.pk], "lessons": "准备充分", "next_steps": "继续"}
    )
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ledger:review", args=[review.pk])
    assert "准备充分" in client.get(response["Location"]).content.decode()
    client.force_login(world.apprentice)
    assert client.get(create).status_code == 403
    assert client.get(reverse("ledger:review", args=[review.pk])).status_code == 200
    client.force_login(world.county_admin_b)
    assert client.get(reverse("ledger:review", args=[review.pk])).status_code == 404
    assert client.get(reverse("ledger:thumbnail", args=[first.evidence.get().pk])).status_code == 404


def test_the_region_list_filters_and_exports(client, world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, _ = other
    talk = record(world.apprentice, pairing, method=Method.HEART_TO_HEART_TALK, occurred_on=TODAY())
    visit = record(world.mentor, pairing, occurred_on=TODAY())
    late = record(xf_mentor, xf_pairing, occurred_on=TODAY(), summary='=HYPERLINK("x")')
    Activity.objects.filter(pk=late.pk).update(confirm_due=TODAY() - dt.timedelta(days=1))
    services.verify_activity(actor=world.county_admin_a, activity=visit, verdict="questionable", note="存疑")
    client.force_login(world.county_admin_a)
    url = reverse("ledger:list")

    def shown(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {a.pk for a in response.context["table"].data.data}

    assert shown() == {talk.pk, visit.pk, late.pk}
    assert shown(method=Method.HEART_TO_HEART_TALK) == {talk.pk}
    assert shown(flag="unconfirmed") == {late.pk}
    assert shown(flag="questionable") == {visit.pk}
    assert shown(flag="awaiting") == {talk.pk, visit.pk}
    assert shown(region="330523105") == {late.pk}
    assert shown(month=TODAY().strftime("%Y-%m")) == {talk.pk, visit.pk, late.pk}
    assert shown(month="2020-01") == set()
    csv = client.get(url, {"export": "csv", "flag": "unconfirmed"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "李孝丰" in text and "吴徒弟" not in text
    xlsx = client.get(url, {"export": "xlsx"})
    assert xlsx.content[:2] == b"PK"

    client.force_login(world.county_admin_b)
    assert client.get(url, {"region": "330523"}).status_code == 404
    assert list(client.get(url).context["table"].data.data) == []
    client.force_login(world.mentor)
    assert shown() == {talk.pk, visit.pk}  # their own pairing, wherever it is


def test_list_pages_read_a_fixed_number_of_queries(client, world, setup, django_assert_max_num_queries):
    _prog, pairing = setup
    client.force_login(world.county_admin_a)
    client.get(reverse("ledger:list"))
    for _ in range(3):
        record(world.mentor, pairing, files=[photo(size=(60, 40))])
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("ledger:list"))
    for _ in range(20):
        record(world.apprentice, pairing, files=[photo(size=(60, 40))])
    with django_assert_max_num_queries(20) as large:
        client.get(reverse("ledger:list"))
    assert len(large.captured_queries) == len(small.captured_queries)
    client.force_login(world.mentor)
    with django_assert_max_num_queries(25) as ledger:
        client.get(reverse("ledger:pairing", args=[pairing.pk]))
    assert ledger.captured_queries


# ---------------------------------------------------------------------------------------------------------------
# API


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_recording_through_the_api_with_a_multipart_upload(world, setup, media):
    _prog, pairing = setup
    body = {
        "pairing": pairing.pk,
        "occurred_on": TODAY().isoformat(),
        "duration_min": 60,
        "method": Method.SCENARIO_SIMULATION,
        "content_areas": [ContentArea.MASS_WORK_SERVICE, ContentArea.PARTY_BUILDING],
        "summary": "情景模拟：村民上访接待",
        "problems_solved": ["接访流程", "记录规范"],
        "files": [photo(), photo("二.jpg", size=(300, 200))],
        "lng": "119.61",
        "lat": "30.51",
    }
    response = api(world.apprentice).post(reverse("api:activity-list"), body, format="multipart")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["logged_as"] == "apprentice" and data["standing"] == "awaiting"
    assert data["content_areas"] == [ContentArea.MASS_WORK_SERVICE, ContentArea.PARTY_BUILDING]
    assert data["problems_solved"] == ["接访流程", "记录规范"] and data["on_site"] is True
    assert [e["name"] for e in data["evidence"]] == ["现场.jpg", "二.jpg"]
    assert [e["action"] for e in data["events"]] == ["record"]
    download = api(world.mentor).get(data["evidence"][0]["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(download.streaming_content))) as image:
        assert not image.getexif()
    assert api(world.county_admin_b).get(data["evidence"][0]["url"]).status_code == 404
    thumb = api(world.mentor).get(data["evidence"][0]["thumbnail_url"])
    assert thumb.status_code == 200

    refused = api(world.apprentice).post(
        reverse("api:activity-list"), {**body, "files": [truncated_photo()]}, format="multipart"
    )
    assert refused.status_code == 400
    assert (
        refused.json()["errors"][0]["attr"] == "files" and "坏图.jpg" in refused.json()["errors"][0]["detail"]
    )
    assert Activity.objects.count() == 1 and Evidence.objects.count() == 2


def test_api_steps_and_scope(world, setup, other):
    _prog, pairing = setup
    xf_pairing, xf_mentor, _ = other
    body = {
        "pairing": pairing.pk,
        "occurred_on": TODAY().isoformat(),
        "duration_min": 30,
        "method": Method.HEART_TO_HEART_TALK,
        "content_areas": [ContentArea.IDEALS_ROOTING],
        "summary": "谈心",
    }
    assert api(world.township_a).post(reverse("api:activity-list"), body, format="json").status_code == 403
    assert api(xf_mentor).post(reverse("api:activity-list"), body, format="json").status_code == 404
    future = {**body, "occurred_on": (TODAY() + dt.timedelta(days=2)).isoformat()}
    response = api(world.mentor).post(reverse("api:activity-list"), future, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "occurred_on"
    response = api(world.mentor).post(reverse("api:activity-list"), body, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    url = lambda name: reverse(f"api:activity-{name}", args=[pk])  # noqa: E731

    assert api(world.mentor).post(url("confirm")).status_code == 400
    assert api(world.township_a).post(url("confirm")).status_code == 403
    assert api(world.county_admin_b).post(url("confirm")).status_code == 404
    to_confirm = api(world.apprentice).get(reverse("api:activity-to-confirm")).json()
    assert [row["id"] for row in to_confirm["results"]] == [pk]
    assert api(world.apprentice).post(url("confirm")).json()["standing"] == "confirmed"
    second = api(world.apprentice).post(url("confirm"))
    assert second.status_code == 400 and "本次操作未作任何改动" in second.json()["errors"][0]["detail"]

    assert api(world.auditor).post(url("verify"), {"verdict": "verified"}, format="json").status_code == 403
    assert api(world.mentor).post(url("verify"), {"verdict": "verified"}, format="json").status_code == 403
    checked = api(world.township_a).post(
        url("verify"), {"verdict": "verified", "note": "核实"}, format="json"
    )
    assert checked.status_code == 200 and checked.json()["verification"] == "verified"

    corrected = api(world.mentor).post(url("correct"), {"duration_min": 40}, format="json")
    assert corrected.status_code == 400 and corrected.json()["errors"][0]["attr"] == "note"
    corrected = api(world.mentor).post(url("correct"), {"duration_min": 40, "note": "补记"}, format="json")
    assert corrected.status_code == 200 and corrected.json()["duration_min"] == 40
    assert corrected.json()["method"] == Method.HEART_TO_HEART_TALK  # unsent fields stay
    assert api(world.apprentice).post(url("withdraw"), {"reason": "x"}, format="json").status_code == 403

    listed = (
        api(world.county_admin_a).get(reverse("api:activity-list"), {"method": "heart_to_heart_talk"}).json()
    )
    assert [row["id"] for row in listed["results"]] == [pk]
    assert api(world.county_admin_b).get(reverse("api:activity-list")).json()["count"] == 0
    assert (
        api(world.county_admin_b).get(reverse("api:activity-list"), {"region": "330523"}).status_code == 404
    )
    assert api(world.county_admin_b).get(reverse("api:activity-detail", args=[pk])).status_code == 404


def test_api_month_figures_and_reviews(world, setup):
    _prog, pairing = setup
    day = max(pairing.start_date, TODAY().replace(day=1))
    first = record(world.mentor, pairing, occurred_on=day)
    record(world.apprentice, pairing, occurred_on=day, method=Method.HEART_TO_HEART_TALK)
    months = reverse("api:activity-months")
    month = TODAY().strftime("%Y-%m")
    rows = api(world.county_admin_a).get(months, {"region": "330523", "from": month, "to": month}).json()
    assert rows == [
        {
            "month": TODAY().replace(day=1).isoformat(),
            "activities": 2,
            "on_site": 2,
            "talks": 1,
            "confirmed": 0,
            "awaiting": 2,
            "overdue": 0,
            "minutes": 180,
            "confirmed_share": 0.0,
        }
    ]
    by_child = (
        api(world.county_admin_a).get(months, {"region": "330523", "from": month, "by_child": "1"}).json()
    )
    assert [(r["region"], r["activities"]) for r in by_child] == [("330523205", 2)]
    series = api(world.mentor).get(months, {"pairing": pairing.pk}).json()
    assert len(series) == 12 and series[-1]["activities"] == 2
    assert api(world.county_admin_b).get(months, {"region": "330523"}).status_code == 404
    assert api(world.county_admin_b).get(months, {"pairing": pairing.pk}).status_code == 404
    assert api(world.county_admin_a).get(months, {"region": "330523", "from": "2026-13"}).status_code == 400
    assert api(world.county_admin_a).get(months).status_code == 400

    reviews = reverse("api:review-list")
    body = {"pairing": pairing.pk, "activities": [first.pk], "lessons": "复盘要点", "next_steps": "改进"}
    assert api(world.apprentice).post(reviews, body, format="json").status_code == 403
    assert api(world.township_a).post(reviews, body, format="json").status_code == 403
    created = api(world.mentor).post(reviews, body, format="json")
    assert created.status_code == 201 and created.json()["activities"] == [first.pk]
    assert api(world.apprentice).get(reviews).json()["count"] == 1
    assert api(world.county_admin_b).get(reviews).json()["count"] == 0


def test_the_schema_documents_the_ledger_without_warnings(client, world):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    client.force_login(world.county_admin_a)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    warnings = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    ours = [w for w in warnings if "ActivityViewSet" in w or "ReviewViewSet" in w or "ledger" in w]
    assert not ours, ours
    paths = schema["paths"]
    assert "multipart/form-data" in paths["/api/activities/"]["post"]["requestBody"]["content"]
    for path in (
        "/api/activities/{id}/confirm/",
        "/api/activities/{id}/verify/",
        "/api/activities/{id}/correct/",
    ):
        assert {"200", "400", "403", "404"} <= set(paths[path]["post"]["responses"]), path


# ---------------------------------------------------------------------------------------------------------------
# Command line


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_ledger_from_the_command_line(world, setup, tmp_path, monkeypatch):
    monkeypatch.setenv("BANGDAI_LANGUAGE", "en")
    _prog, pairing = setup
    picture = tmp_path / "visit.jpg"
    picture.write_bytes(photo().read())
    out = run(
        "ledger", "record", "--pairing", str(pairing.pk), "--minutes", "45", "--method", "case_dissection",
        "--area", "party_building", "--area", "governance_harmony", "--summary", "解剖麻雀：村规民约修订",
        "--problem", "村规民约", "--file", str(picture), "--as", "mentor",
    )  # fmt: skip
    activity = Activity.objects.get()
    assert out.startswith(f"activity {activity.pk} recorded") and "the apprentice confirms by" in out
    assert activity.occurred_on == TODAY() and activity.evidence.count() == 1
    rows = json.loads(run("ledger", "list", "--region", "330523", "--json", "--as", "anji"))
    assert [r["id"] for r in rows] == [activity.pk] and rows[0]["files"][0]["name"] == "visit.jpg"
    assert json.loads(run("ledger", "list", "--json", "--as", "deqing")) == []
    with pytest.raises(CommandError, match="not found"):
        run("ledger", "show", str(activity.pk), "--as", "deqing")
    with pytest.raises(CommandError, match="Refused: You recorded this activity yourself"):
        run("ledger", "confirm", str(activity.pk), "--as", "mentor")
    assert "confirmed" in run("ledger", "confirm", str(activity.pk), "--as", "apprentice")
    with pytest.raises(CommandError, match="already confirmed"):
        run("ledger", "confirm", str(activity.pk), "--as", "apprentice")
    with pytest.raises(CommandError, match="Permission denied"):
        run("ledger", "verify", str(activity.pk), "--verdict", "verified", "--as", "auditor")
    assert "questionable" in run(
        "ledger",
        "verify",
        str(activity.pk),
        "--verdict",
        "questionable",
        "--note",
        "核对原件",
        "--as",
        "shangshu",
    )
    with pytest.raises(CommandError, match="note"):
        run("ledger", "correct", str(activity.pk), "--minutes", "50", "--as", "mentor")
    assert "revision 2" in run(
        "ledger", "correct", str(activity.pk), "--minutes", "50", "--note", "补正", "--as", "mentor"
    )
    shown = json.loads(run("ledger", "show", str(activity.pk), "--json", "--as", "auditor"))[0]
    assert [e["action"] for e in shown["events"]] == ["record", "confirm", "question", "correct"]
    assert "review" in run(
        "ledger", "review", "--pairing", str(pairing.pk), "--activity", str(activity.pk),
        "--lessons", "要点", "--next-steps", "下一步", "--as", "mentor",
    )  # fmt: skip
    future = (TODAY() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="future"):
        run(
            "ledger", "record", "--pairing", str(pairing.pk), "--date", future, "--minutes", "30",
            "--method", "heart_to_heart_talk", "--area", "ideals_rooting", "--summary", "谈心", "--as", "apprentice",
        )  # fmt: skip
    assert Activity.objects.count() == 1


# ---------------------------------------------------------------------------------------------------------------
# Two clicks at once


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_make_one(threads_db):
    import threading

    from django.db import connection

    anji = user_with_role("anji3", Role.ORG_ADMIN, "330523")
    mentor_person = PersonFactory(region=region("330523205202"), birth_date=dt.date(1968, 5, 1))
    apprentice_person = PersonFactory(region=region("330523205201"), birth_date=dt.date(1996, 3, 5))
    mentor_account = user_with_role("m3", Role.MENTOR, "330523205202", person=mentor_person)
    apprentice_account = user_with_role("a3", Role.APPRENTICE, "330523205201", person=apprentice_person)
    prog = pool.programme(anji, name="并发确认")
    mentor = pool.appointed_mentor(anji, prog, person=mentor_person)
    apprentice = pool.apprentice(anji, prog, person=apprentice_person)
    pairing = running_pairing(anji, prog, mentor, apprentice, accounts=[mentor_account, apprentice_account])
    activity = record(mentor_account, pairing)

    barrier, results = threading.Barrier(2), [None, None]

    def click(i):
        try:
            barrier.wait()
            results[i] = services.confirm_activity(
                actor=apprentice_account, activity=Activity.objects.get(pk=activity.pk)
            )
        except Exception as error:  # noqa: BLE001  the outcome is what the test inspects
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(type(r).__name__ for r in results) == ["Activity", "ValidationError"], results
    assert ActivityEvent.objects.filter(activity=activity, action=ActivityAction.CONFIRM).count() == 1
    assert Activity.objects.get(pk=activity.pk).status == ActivityStatus.CONFIRMED


def test_a_mentor_with_several_apprentices_picks_one_with_a_tap(client, world, setup):
    prog, pairing = setup
    admin = world.county_admin_a
    second_person = PersonFactory(
        name="褚新苗", region=region("330523105201"), birth_date=dt.date(1996, 3, 5)
    )
    second_account = user_with_role("a4", Role.APPRENTICE, "330523105201", person=second_person)
    mentor = pairing.members.get().mentor
    second = running_pairing(
        admin,
        prog,
        mentor,
        pool.apprentice(admin, prog, person=second_person),
        accounts=[world.mentor, second_account],
    )
    client.force_login(world.mentor)
    page = client.get(reverse("ledger:record"))
    body = page.content.decode()
    assert f'href="?pairing={pairing.pk}"' in body and f'href="?pairing={second.pk}"' in body
    assert page.context["pairing"] in (pairing, second)
    record(world.mentor, second)  # the last one recorded for is the default next time
    page = client.get(reverse("ledger:record"))
    assert page.context["pairing"] == second and page.context["form"].initial["place"] == "330523105201"
    page = client.get(reverse("ledger:record"), {"pairing": pairing.pk})
    assert page.context["pairing"] == pairing and page.context["form"].initial["place"] == "330523205201"
    places = [code for code, _label in page.context["form"].fields["place"].choices]
    assert places[0] == "330523205201" and "330523105201" not in places


def test_personal_pages_and_the_api_list_read_a_fixed_number_of_queries(
    client, world, setup, django_assert_max_num_queries
):
    _prog, pairing = setup
    client.force_login(world.apprentice)
    rest = api(world.county_admin_a)
    client.get(reverse("ledger:to_confirm"))
    rest.get(reverse("api:activity-list"))
    counts = []
    for n in (2, 12):
        for _ in range(n):
            record(world.mentor, pairing, files=[photo(size=(60, 40))])
        with django_assert_max_num_queries(30) as page:
            assert client.get(reverse("ledger:to_confirm")).status_code == 200
        with django_assert_max_num_queries(15) as listed:
            assert rest.get(reverse("api:activity-list")).json()["count"] in (2, 14)
        counts.append((len(page.captured_queries), len(listed.captured_queries)))
    assert counts[0] == counts[1]


def test_naming_a_finished_pairing_falls_back_to_a_running_one(client, world, setup):
    prog, pairing = setup
    admin = world.county_admin_a
    person = PersonFactory(region=region("330523205201"), birth_date=dt.date(1997, 1, 1))
    account = user_with_role("a5", Role.APPRENTICE, "330523205201", person=person)
    mentor = pairing.members.get().mentor
    old = running_pairing(
        admin, prog, mentor, pool.apprentice(admin, prog, person=person), accounts=[world.mentor, account]
    )
    pairing_services.complete(actor=admin, pairing=old)
    client.force_login(world.mentor)
    page = client.get(reverse("ledger:record"), {"pairing": old.pk})
    assert page.context["refused"] == old and page.context["pairing"] == pairing
    assert "不在帮带期内" in page.content.decode() and 'name="summary"' in page.content.decode()
