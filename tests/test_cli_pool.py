"""The workflow commands (programmes, mentors, apprentices, pairings) acting as a named user."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bangdai.apprentices.models import Apprentice
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor, MentorEvent
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import Pairing
from bangdai.people.models import Person
from bangdai.programmes.models import Programme, ProgrammeRules

from . import pool

pytestmark = pytest.mark.django_db

STEPS = [("shangshu", "recommend"), ("anji", "vet"), ("anji", "review"), ("anji", "publicise")]


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("BANGDAI_LANGUAGE", "en")


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def first_id(output: str) -> int:
    return int(output.split()[1])


def test_full_flow_through_the_cli(world):
    out = run(
        "programmes", "create", "--name", "安吉县帮带", "--region", "330523", "--year", "2027", "--as", "anji"
    )
    prog = Programme.objects.get(pk=first_id(out))
    assert prog.region.code == "330523"

    rules = json.loads(run("programmes", "rules", str(prog.pk), "--as", "anji"))
    assert rules["version"] == 1
    rules = json.loads(
        run(
            "programmes", "rules", str(prog.pk), "--set", "term_months=18",
            "--set", "capacity_by_tier.village=4", "--as", "anji",
        )
    )  # fmt: skip
    assert (rules["version"], rules["rules"]["term_months"]) == (2, 18)
    assert rules["rules"]["capacity_by_tier"]["county"] == 8  # the other tiers are kept

    out = run(
        "mentors", "nominate", "--programme", str(prog.pk), "--cadre", world.mentor_person.id_number,
        "--tier", "village", "--expertise", "common_prosperity,party_building", "--as", "shangshu",
    )  # fmt: skip
    mentor = Mentor.objects.get(pk=first_id(out))
    assert (mentor.person, mentor.capacity) == (world.mentor_person, 4)
    for username, step in STEPS:
        run("mentors", "step", str(mentor.pk), step, "--as", username)
    with pytest.raises(CommandError, match="publicity period"):
        run("mentors", "step", str(mentor.pk), "appoint", "--as", "anji")
    past = dt.date.today() - dt.timedelta(days=21)
    Mentor.objects.filter(pk=mentor.pk).update(
        publicity_start=past, publicity_end=past + dt.timedelta(days=7)
    )
    assert "-> active" in run("mentors", "step", str(mentor.pk), "appoint", "--as", "anji")
    listed = json.loads(
        run("mentors", "list", "--programme", str(prog.pk), "--status", "active", "--json", "--as", "anji")
    )
    assert [m["name"] for m in listed] == [world.mentor_person.name]

    Person.objects.filter(pk=world.apprentice_person.pk).update(birth_date=dt.date(1996, 3, 5))
    out = run(
        "apprentices", "register", "--programme", str(prog.pk), "--cadre", str(world.apprentice_person.pk),
        "--category", "new_village_secretary", "--needs", "common_prosperity", "--as", "shangshu",
    )  # fmt: skip
    apprentice = Apprentice.objects.get(pk=first_id(out))

    out = run(
        "pairings",
        "propose",
        "--apprentice",
        str(apprentice.pk),
        "--mentor",
        str(mentor.pk),
        "--as",
        "shangshu",
    )
    pairing = Pairing.objects.get(pk=first_id(out))
    assert pairing.status == PairingStatus.PROPOSED
    run("pairings", "confirm", str(pairing.pk), "--as", "mentor")
    assert "confirmed" in run("pairings", "confirm", str(pairing.pk), "--as", "apprentice")
    run(
        "pairings", "sign", str(pairing.pk), "--date", dt.date.today().isoformat(), "--place", "上墅村文化礼堂",
        "--witness", "张三", "--witness", "李四", "--as", "shangshu",
    )  # fmt: skip
    pairing.refresh_from_db()
    assert (pairing.status, pairing.witnesses) == (PairingStatus.ACTIVE, ["张三", "李四"])
    # The parties see their own pairing.
    own = json.loads(run("pairings", "list", "--programme", str(prog.pk), "--json", "--as", "apprentice"))
    assert [p["id"] for p in own] == [pairing.pk]
    run("pairings", "complete", str(pairing.pk), "--reason", "出师", "--as", "anji")
    pairing.refresh_from_db()
    apprentice.refresh_from_db()
    mentor.refresh_from_db()
    assert (pairing.status, apprentice.status, mentor.load) == (PairingStatus.COMPLETED, "graduated", 0)


def test_out_of_scope_user_is_refused_and_nothing_is_written(world):
    prog = pool.programme(world.county_admin_a)
    mentor = pool.appointed_mentor(world.county_admin_a, prog)
    counts = (Programme.objects.count(), Mentor.objects.count(), MentorEvent.objects.count())

    # 德清 cannot see 安吉's programme or mentor: "not found", not "forbidden".
    with pytest.raises(CommandError, match="not found"):
        run("mentors", "nominate", "--programme", str(prog.pk), "--cadre", str(world.cadre_b.pk),
            "--tier", "village", "--as", "deqing")  # fmt: skip
    with pytest.raises(CommandError, match="not found"):
        run("mentors", "step", str(mentor.pk), "suspend", "--reason", "x", "--as", "deqing")
    with pytest.raises(CommandError, match="not found"):
        run("programmes", "rules", str(prog.pk), "--set", "term_months=6", "--as", "deqing")
    # A cadre outside 安吉 is not found for 安吉 either.
    with pytest.raises(CommandError, match="not found"):
        run("mentors", "nominate", "--programme", str(prog.pk), "--cadre", world.cadre_b.id_number,
            "--tier", "village", "--as", "anji")  # fmt: skip
    # Opening a programme for another county is a permission error.
    with pytest.raises(CommandError, match="Permission denied"):
        run("programmes", "create", "--name", "X", "--region", "330523", "--year", "2027", "--as", "deqing")
    # The township committee sees the programme but may not vet or change rules.
    with pytest.raises(CommandError, match="Permission denied"):
        run("mentors", "step", str(mentor.pk), "suspend", "--reason", "x", "--as", "shangshu")
    with pytest.raises(CommandError, match="Permission denied"):
        run("programmes", "rules", str(prog.pk), "--set", "term_months=6", "--as", "shangshu")
    with pytest.raises(CommandError, match="No active user"):
        run("programmes", "list", "--as", "nobody")

    assert (Programme.objects.count(), Mentor.objects.count(), MentorEvent.objects.count()) == counts
    assert ProgrammeRules.objects.filter(programme=prog).count() == 1
    mentor.refresh_from_db()
    assert mentor.status == MentorStatus.ACTIVE


def test_auditor_reads_but_is_refused_every_write(world):
    prog = pool.programme(world.county_admin_a)
    mentor = pool.appointed_mentor(world.county_admin_a, prog)
    apprentice = pool.apprentice(world.county_admin_a, prog)
    before = (Mentor.objects.count(), Apprentice.objects.count(), Pairing.objects.count())

    listed = json.loads(run("programmes", "list", "--json", "--as", "auditor"))
    assert prog.pk in [p["id"] for p in listed]
    refused = [
        ("programmes", "create", "--name", "X", "--region", "330500", "--year", "2027"),
        ("programmes", "rules", str(prog.pk), "--set", "term_months=6"),
        ("mentors", "nominate", "--programme", str(prog.pk), "--cadre", str(world.cadre_a.pk), "--tier", "village"),
        ("mentors", "step", str(mentor.pk), "suspend", "--reason", "x"),
        ("apprentices", "register", "--programme", str(prog.pk), "--cadre", str(world.cadre_a2.pk),
         "--category", "village_cadre"),
        ("pairings", "propose", "--apprentice", str(apprentice.pk), "--mentor", str(mentor.pk)),
    ]  # fmt: skip
    for args in refused:
        with pytest.raises(CommandError, match="Permission denied"):
            run(*args, "--as", "auditor")
    assert (Mentor.objects.count(), Apprentice.objects.count(), Pairing.objects.count()) == before
    assert Programme.objects.count() == 1


def test_json_lists_parse_and_hold_no_personal_numbers(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog)
    run("pairings", "propose", "--apprentice", str(apprentice.pk), "--mentor", str(mentor.pk), "--as", "anji")

    outputs = {
        "programmes": run("programmes", "list", "--json", "--as", "anji"),
        "mentors": run("mentors", "list", "--programme", str(prog.pk), "--json", "--as", "anji"),
        "apprentices": run("apprentices", "list", "--programme", str(prog.pk), "--json", "--as", "anji"),
        "pairings": run("pairings", "list", "--programme", str(prog.pk), "--json", "--as", "anji"),
    }
    parsed = {key: json.loads(text) for key, text in outputs.items()}
    assert [m["name"] for m in parsed["mentors"]] == [world.mentor_person.name]
    assert [a["name"] for a in parsed["apprentices"]] == [apprentice.person.name]
    assert parsed["pairings"][0]["mentors"] == [world.mentor_person.name]
    for text in outputs.values():
        for person in (world.mentor_person, apprentice.person):
            assert person.id_number not in text
            assert not person.phone or person.phone not in text
    # Out of scope: the programme is not found for 德清.
    with pytest.raises(CommandError, match="not found"):
        run("mentors", "list", "--programme", str(prog.pk), "--json", "--as", "deqing")
