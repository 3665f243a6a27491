"""The county-scale demo: deterministic, valid ID numbers, villages under real townships, the demo accounts.

The generator runs twice on the session database (each run rolled back), beside the five test villages.
"""

import hashlib
from dataclasses import dataclass

import pytest
from django.db import transaction

from bangdai.accounts.choices import Role
from bangdai.accounts.models import User
from bangdai.demo.generator import (
    ACCOUNTS,
    DEMO_PASSWORD,
    TOWNSHIP_CADRES,
    VILLAGE_CADRES,
    Generator,
    has_demo_data,
)
from bangdai.people.models import Person, PersonChange
from bangdai.people.protection import blind_index
from bangdai.people.validation import check_id_against, clean_id_number, clean_phone
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region

from .conftest import TEST_VILLAGES

COUNTIES = ("330523", "330521")


def digest() -> str:
    """A fingerprint of everything the demo writes, independent of primary keys."""
    h = hashlib.sha256()
    for row in (
        Region.objects.filter(depth=Level.VILLAGE)
        .order_by("code")
        .values_list("code", "name", "kind", "path", "lng", "lat", "urban_rural_class")
    ):
        h.update(repr(row).encode())
    for row in Person.objects.order_by("region__code", "id_number_index").values_list(
        "region__code",
        "name",
        "gender",
        "birth_date",
        "id_number_index",
        "phone_index",
        "position",
        "cadre_type",
        "entry_date",
    ):
        h.update(repr(row).encode())
    for row in User.objects.order_by("username").values_list(
        "username",
        "display_name",
        "person__id_number_index",
        "role_assignments__role",
        "role_assignments__region__code",
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


@dataclass
class DemoRuns:
    first_digest: str
    second_digest: str
    first_report: object
    second_report: object
    rows: list[dict]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Two runs in one outer transaction: the first rolled back to a savepoint, the second kept for the tests."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            assert not has_demo_data()
            savepoint = transaction.savepoint()
            first_report = Generator("county").run()
            first = digest()
            transaction.savepoint_rollback(savepoint)
            assert not has_demo_data() and not Person.objects.exists()
            second_report = Generator("county").run()
            second = digest()
            rows = Generator("county").village_rows()
            yield DemoRuns(first, second, first_report, second_report, rows)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo_db(demo, db):
    return demo


def test_two_runs_write_the_same_data(demo_db):
    assert demo_db.first_digest == demo_db.second_digest
    first, second = demo_db.first_report, demo_db.second_report
    assert (first.villages, first.cadres, first.accounts) == (second.villages, second.cadres, second.accounts)


def test_village_rows_are_stable(demo_db):
    again = Generator("county").village_rows()
    assert again == demo_db.rows


def test_scale_of_the_county_demo(demo_db):
    report = demo_db.second_report
    assert 300 <= report.villages <= 600
    assert report.villages == len(demo_db.rows)
    assert 1500 <= report.cadres <= 3000
    townships = (
        Region.objects.current().filter(depth=Level.TOWNSHIP).filter(code__regex=r"^(330523|330521)").count()
    )
    villages = Region.objects.current().filter(depth=Level.VILLAGE, code__regex=r"^(330523|330521)").count()
    assert report.cadres == Person.objects.count() == townships * TOWNSHIP_CADRES + villages * VILLAGE_CADRES
    assert not Person.objects.exclude(region__code__regex=r"^(330523|330521)").exists()


def test_villages_sit_under_real_townships(demo_db):
    codes = [row["code"] for row in demo_db.rows]
    assert len(codes) == len(set(codes))
    by_code = {r.code: r for r in Region.objects.current().filter(code__in=codes)}
    assert set(by_code) == set(codes)  # every generated code exists exactly once (current)
    townships = {r.path: r for r in Region.objects.current().filter(depth=Level.TOWNSHIP)}
    for row in demo_db.rows:
        node = by_code[row["code"]]
        assert node.depth == Level.VILLAGE and node.name == row["name"]
        parent = townships[node.path[:-5]]
        assert parent.code == row["parent_code"] == node.code[:9]
        assert parent.code.startswith(COUNTIES)
        suffix = int(node.code[9:])
        if node.kind == Kind.COMMUNITY:
            assert 1 <= suffix <= 199, node.code
        else:
            assert node.kind == Kind.VILLAGE and 200 <= suffix <= 399, node.code
        assert 117.5 <= node.lng <= 123.5 and 26.5 <= node.lat <= 31.8
    kinds = {by_code[c].kind for c in codes}
    assert kinds == {Kind.VILLAGE, Kind.COMMUNITY}
    # Both counties get villages, and every township of both counties gets some.
    for county in COUNTIES:
        township_codes = set(
            Region.objects.current()
            .filter(depth=Level.TOWNSHIP, code__startswith=county)
            .values_list("code", flat=True)
        )
        assert township_codes == {
            row["parent_code"] for row in demo_db.rows if row["code"].startswith(county)
        }
    assert not Region.objects.find_problems() or all(not ids for ids in Region.objects.find_problems())


def test_demo_coexists_with_the_test_villages(demo_db):
    generated = {row["code"]: row["name"] for row in demo_db.rows}
    for village in TEST_VILLAGES:
        matches = Region.objects.current().filter(code=village["code"])
        assert matches.count() == 1
        if village["code"] in generated:  # the demo updated it in place
            assert matches.get().name == generated[village["code"]]
        else:
            assert matches.get().name == village["name"]
    # The named village of the README path is there, once.
    liujiatang = Region.objects.current().get(code__startswith="330523205", name="刘家塘村")
    assert liujiatang.full_name == "浙江省 › 湖州市 › 安吉县 › 上墅乡 › 刘家塘村"


def test_id_numbers_are_valid_and_consistent(demo_db):
    seen = set()
    for person in Person.objects.select_related("region"):
        number = person.id_number
        assert clean_id_number(number) == number
        assert check_id_against(number, person.birth_date, person.gender) == {}
        assert person.id_number_index == blind_index(number)
        assert clean_phone(person.phone) == person.phone
        assert person.phone_index == blind_index(person.phone)
        assert person.entry_date > person.birth_date
        seen.add(number)
    assert len(seen) == Person.objects.count()


def test_history_rows_hold_no_clear_personal_data(demo_db):
    assert PersonChange.objects.count() == Person.objects.count()
    sample = list(Person.objects.order_by("pk")[:200])
    text = " ".join(str(c) for c in PersonChange.objects.values_list("changes", flat=True))
    for person in sample:
        assert person.id_number not in text and person.phone not in text


def test_the_eight_demo_accounts(demo_db, settings):
    # The demo hashed its password outside this test's fast-hasher setting.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    accounts = {u.username: u for u in User.objects.prefetch_related("role_assignments__region")}
    assert set(accounts) == {a[0] for a in ACCOUNTS}
    assert len(accounts) == 8
    for username, role, code, _display in ACCOUNTS:
        user = accounts[username]
        (assignment,) = user.role_assignments.all()
        assert assignment.role == role
        if code:
            assert assignment.region.code == code
        assert user.password == accounts["province"].password
    assert accounts["province"].check_password(DEMO_PASSWORD)
    mentor, apprentice = accounts["mentor"], accounts["apprentice"]
    mentor_role = mentor.role_assignments.get()
    assert mentor_role.region.name == "刘家塘村" and mentor_role.region.code.startswith("330523205")
    assert mentor.person is not None and mentor.person.region == mentor_role.region
    apprentice_role = apprentice.role_assignments.get()
    assert apprentice_role.role == Role.APPRENTICE and apprentice_role.region.code.startswith("330523205")
    assert apprentice_role.region != mentor_role.region
    assert apprentice.person is not None and apprentice.person.region == apprentice_role.region
    assert accounts["shangshu"].role_assignments.get().region.name == "上墅乡"


def test_demo_accounts_sign_in_and_see_their_scope(demo_db, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    assert client.post("/login/", {"username": "anji", "password": DEMO_PASSWORD}).status_code == 302
    anji = client.get("/api/cadres/", {"page_size": 1}).json()["count"]
    client.force_login(User.objects.get(username="deqing"))
    deqing = client.get("/api/cadres/", {"page_size": 1}).json()["count"]
    client.force_login(User.objects.get(username="huzhou"))
    huzhou = client.get("/api/cadres/", {"page_size": 1}).json()["count"]
    assert anji > 0 and deqing > 0
    assert anji + deqing == huzhou == Person.objects.count()
    client.force_login(User.objects.get(username="mentor"))
    own = client.get("/api/cadres/").json()
    assert own["count"] == 1 and own["results"][0]["id"] == User.objects.get(username="mentor").person_id
