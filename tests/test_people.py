"""Cadre records: ID-number and phone checks, form errors, duplicates, masking, encryption, search, reveals,
and a change history that never holds personal data in clear."""

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import assume, example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from bangdai.people.choices import Gender
from bangdai.people.models import Person, PersonChange, RevealRecord
from bangdai.people.protection import blind_index, decrypt, encrypt, mask_id_number, mask_phone
from bangdai.people.validation import check_id_against, clean_id_number, clean_phone, id_birth_date, id_gender

from .factories import PersonFactory, make_id_number, region

COUNTY_CODES = ["330102", "330523", "330521", "330329", "331127", "330783", "110101", "440305"]
ID_MASK_RE = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
PHONE_MASK_RE = re.compile(r"^1\d{2}\*{4}\d{4}$")


def id_with_check_x(county="330523", seq="123") -> tuple[str, dt.date]:
    """A valid (male) ID number ending in 123X, for the 3305**********123X mask."""
    birth = dt.date(1985, 1, 1)
    while True:
        body = f"{county}{birth:%Y%m%d}{seq}"
        if ric.calc_check_digit(body + "0") == "X":
            return body + "X", birth
        birth += dt.timedelta(days=1)


def id_number_for(birth: dt.date, gender: str, county="330523", seq: int = 0) -> str:
    seq3 = seq * 2 + (1 if gender == Gender.MALE else 0)
    body = f"{county}{birth:%Y%m%d}{seq3:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


# ---------------------------------------------------------------- ID numbers (pure)

valid_ids = st.builds(
    id_number_for,
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31)),
    gender=st.sampled_from([Gender.MALE, Gender.FEMALE]),
    county=st.sampled_from(COUNTY_CODES),
    seq=st.integers(min_value=0, max_value=499),
)


@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31)),
    gender=st.sampled_from([Gender.MALE, Gender.FEMALE]),
    county=st.sampled_from(COUNTY_CODES),
    seq=st.integers(min_value=0, max_value=499),
)
def test_generated_valid_id_numbers_pass_and_agree_with_their_fields(birth, gender, county, seq):
    number = id_number_for(birth, gender, county, seq)
    assert clean_id_number(number) == number
    assert id_birth_date(number) == birth
    assert id_gender(number) == gender
    assert check_id_against(number, birth, gender) == {}
    other = Gender.FEMALE if gender == Gender.MALE else Gender.MALE
    assert set(check_id_against(number, birth, other)) == {"gender"}
    assert set(check_id_against(number, birth + dt.timedelta(days=1), gender)) == {"birth_date"}
    assert set(check_id_against(number, birth - dt.timedelta(days=400), other)) == {"birth_date", "gender"}


@given(valid_ids)
def test_id_numbers_are_normalised(number):
    spaced = f" {number[:6]} {number[6:14]} {number[14:]} ".lower()
    assert clean_id_number(spaced) == number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert clean_id_number(full_width) == number


@given(valid_ids, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_one_changed_digit_is_refused(number, position, delta):
    digit = (int(number[position]) + delta) % 10
    mutated = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(ValidationError) as raised:
        clean_id_number(mutated)
    assert raised.value.code in {"id_checksum", "id_invalid"}


@given(valid_ids, st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_refused(number, check):
    assume(check != number[-1])
    with pytest.raises(ValidationError) as raised:
        clean_id_number(number[:-1] + check)
    assert raised.value.code == "id_checksum"


@given(valid_ids, st.integers(min_value=1, max_value=17))
@example("330523199001011234", 3)
def test_wrong_length_is_refused(number, cut):
    with pytest.raises(ValidationError) as raised:
        clean_id_number(number[:-cut])
    assert raised.value.code == "id_length"
    with pytest.raises(ValidationError) as raised:
        clean_id_number(number + number[:cut])
    assert raised.value.code == "id_length"


@pytest.mark.parametrize(
    "county,birth",
    [
        ("330523", dt.date(1968, 5, 4)),  # 安吉县: born before stdnum's "[1983-]" for the code
        ("331127", dt.date(1990, 2, 1)),  # 景宁畲族自治县 "[2000-]"
        ("330114", dt.date(2022, 3, 1)),  # 钱塘区 (2021), unknown to stdnum's county list
        ("330104", dt.date(1975, 7, 7)),  # 江干区, abolished 2021: its numbers stay valid
    ],
)
def test_real_numbers_are_not_refused_for_their_county_code(county, birth):
    number = id_number_for(birth, Gender.MALE, county=county, seq=17)
    assert clean_id_number(number) == number


def test_unknown_province_prefix_is_refused():
    number = id_number_for(dt.date(1990, 1, 1), Gender.MALE, county="990101")
    with pytest.raises(ValidationError) as raised:
        clean_id_number(number)
    assert raised.value.code == "id_invalid"


@pytest.mark.parametrize(
    "value",
    [
        "33052319901301123X",  # month 13
        "330523199002301234",  # 30 February
        "33052319900101123Y",  # not a check character
        "ABCDEF199001011234",
    ],
)
def test_malformed_id_numbers_are_refused(value):
    with pytest.raises(ValidationError):
        clean_id_number(value)


# ---------------------------------------------------------------- phones (pure)


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_valid_mobile_numbers(second, rest):
    number = f"1{second}{rest}"
    assert clean_phone(number) == number
    assert clean_phone(f"+86{number}") == number
    assert clean_phone(f"{number[:3]} {number[3:7]} {number[7:]}") == number
    assert mask_phone(number) == f"{number[:3]}****{number[-4:]}"


@pytest.mark.parametrize(
    "value",
    ["12812345678", "1381234567", "138123456789", "23812345678", "1381234567a", "phone", "+8512812345678"],
)
def test_invalid_mobile_numbers(value):
    with pytest.raises(ValidationError) as raised:
        clean_phone(value)
    assert raised.value.code == "phone_invalid"


def test_masks():
    number, _birth = id_with_check_x()
    assert mask_id_number(number) == "3305**********123X"
    assert mask_phone("13800138000") == "138****8000"


# ---------------------------------------------------------------- the UI form


def form_data(**overrides) -> dict:
    birth = dt.date(1992, 6, 15)
    data = {
        "name": "新干部",
        "gender": Gender.FEMALE,
        "birth_date": birth.isoformat(),
        "ethnicity": "汉族",
        "id_number": id_number_for(birth, Gender.FEMALE, seq=321),
        "phone": "13900001111",
        "political_status": "party_member",
        "party_join_date": "",
        "education": "bachelor",
        "region": "330523205201",
        "org_unit": "上墅村党组织",
        "position": "reserve",
        "rank": "",
        "cadre_type": "village_cadre",
        "entry_date": "2016-09-01",
    }
    data.update(overrides)
    return data


def edit_data(person: Person, **overrides) -> dict:
    data = form_data(
        name=person.name,
        gender=person.gender,
        birth_date=person.birth_date.isoformat(),
        id_number="",
        phone="",
        region=person.region.code,
        org_unit=person.org_unit,
        position=person.position,
        cadre_type=person.cadre_type,
        entry_date=person.entry_date.isoformat(),
    )
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_cadre_through_the_form(client, world):
    client.force_login(world.county_admin_a)
    data = form_data()
    response = client.post("/cadres/new/", data)
    assert response.status_code == 302
    person = Person.objects.get(name="新干部")
    assert response["Location"] == f"/cadres/{person.pk}/"
    assert person.id_number == data["id_number"]
    assert person.id_number_index == blind_index(data["id_number"])
    assert person.phone_index == blind_index("13900001111")
    assert person.region.code == "330523205201"
    change = PersonChange.objects.get(person=person)
    assert change.action == "created" and change.actor == world.county_admin_a


BAD_FORMS = {
    "checksum": ({"id_number": "33052319920615321X"}, {"id_number"}),
    "id too short": ({"id_number": "3305231992061532"}, {"id_number"}),
    "birth date mismatch": ({"birth_date": "1992-06-16"}, {"birth_date"}),
    "gender mismatch": ({"gender": Gender.MALE}, {"gender"}),
    "phone": ({"phone": "1390000111"}, {"phone"}),
    "name missing": ({"name": ""}, {"name"}),
    "bad date": ({"entry_date": "2016-13-01"}, {"entry_date"}),
    "bad region code": ({"region": "33052"}, {"region"}),
    "unknown region": ({"region": "330523205299"}, {"region"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_FORMS))
def test_bad_input_gets_field_errors_and_saves_nothing(client, world, case):
    overrides, fields = BAD_FORMS[case]
    client.force_login(world.county_admin_a)
    people, changes = Person.objects.count(), PersonChange.objects.count()
    response = client.post("/cadres/new/", form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == fields, errors
    assert all(errors[f] for f in fields)
    html = response.content.decode()
    assert all(
        str(message) in html or str(message).replace("'", "&#x27;") in html
        for f in fields
        for message in errors[f]
    )
    assert Person.objects.count() == people
    assert PersonChange.objects.count() == changes


@pytest.mark.django_db
def test_required_field_message_in_chinese_and_english(client, world):
    client.force_login(world.county_admin_a)
    response = client.post("/cadres/new/", form_data(name=""))
    [message] = response.context["form"].errors["name"]
    assert message.endswith("必填项。"), message
    response = client.post("/cadres/new/", form_data(name=""), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["form"].errors["name"] == ["This field is required."]


@pytest.mark.django_db
def test_region_outside_scope_in_the_form_is_404(client, world):
    client.force_login(world.county_admin_a)
    people = Person.objects.count()
    response = client.post("/cadres/new/", form_data(region="330521002201"))
    assert response.status_code == 404
    assert Person.objects.count() == people


# ---------------------------------------------------------------- duplicates


@pytest.mark.django_db
def test_duplicate_id_number_links_to_the_existing_record(client, world):
    existing = world.cadre_a
    client.force_login(world.county_admin_a)
    data = form_data(
        name="重复者",
        id_number=existing.id_number,
        birth_date=existing.birth_date.isoformat(),
        gender=existing.gender,
    )
    response = client.post("/cadres/new/", data)
    assert response.status_code == 200
    (message,) = response.context["form"].errors["id_number"]
    assert f'href="/cadres/{existing.pk}/"' in message
    assert f'<a href="/cadres/{existing.pk}/">{existing.name}</a>' in response.content.decode()
    assert not Person.objects.filter(name="重复者").exists()
    # The lowercase or spaced spelling of the same number is the same number.
    response = client.post("/cadres/new/", {**data, "id_number": " " + existing.id_number.lower()})
    assert "id_number" in response.context["form"].errors
    assert not Person.objects.filter(name="重复者").exists()


@pytest.mark.django_db
def test_duplicate_outside_scope_does_not_link(client, world):
    existing = world.cadre_a  # in 安吉县; county B cannot see it
    client.force_login(world.county_admin_b)
    data = form_data(
        name="重复者",
        id_number=existing.id_number,
        birth_date=existing.birth_date.isoformat(),
        gender=existing.gender,
        region="330521002201",
    )
    response = client.post("/cadres/new/", data)
    assert response.status_code == 200
    (message,) = response.context["form"].errors["id_number"]
    html = response.content.decode()
    assert "href" not in message
    assert f"/cadres/{existing.pk}/" not in html
    assert existing.name not in html
    assert not Person.objects.filter(name="重复者").exists()


@pytest.mark.django_db
def test_duplicate_through_the_api(client, world):
    existing = world.cadre_a
    client.force_login(world.county_admin_a)
    body = form_data(
        id_number=existing.id_number, birth_date=existing.birth_date.isoformat(), gender=existing.gender
    )
    body.pop("party_join_date")
    response = client.post("/api/cadres/", body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["attr"] for e in errors] == ["id_number"]
    assert "<a" not in errors[0]["detail"]
    assert Person.objects.filter(id_number_index=existing.id_number_index).count() == 1


@pytest.mark.django_db
def test_duplicate_by_editing_another_record(client, world):
    client.force_login(world.county_admin_a)
    target = world.cadre_a2
    data = edit_data(
        target,
        id_number=world.cadre_a.id_number,
        birth_date=world.cadre_a.birth_date.isoformat(),
        gender=world.cadre_a.gender,
    )
    response = client.post(f"/cadres/{target.pk}/edit/", data)
    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors
    target.refresh_from_db()
    assert target.id_number_index == blind_index(target.id_number) != world.cadre_a.id_number_index


# ---------------------------------------------------------------- masking, encryption, search


@pytest.fixture
def x_cadre(world):
    number, birth = id_with_check_x()
    return PersonFactory(
        name="赵掩码", gender=Gender.MALE, birth_date=birth, id_number=number, phone="13800138000"
    )


@pytest.mark.django_db
def test_pages_show_masked_values_only(client, world, x_cadre):
    client.force_login(world.county_admin_a)
    detail = client.get(f"/cadres/{x_cadre.pk}/").content.decode()
    assert "3305**********123X" in detail
    assert "138****8000" in detail
    assert x_cadre.id_number not in detail and "13800138000" not in detail
    listing = client.get("/cadres/").content.decode()
    assert "3305**********123X" in listing and "138****8000" in listing
    for person in Person.objects.all():
        assert person.id_number not in listing
        assert person.phone not in listing
    edit = client.get(f"/cadres/{x_cadre.pk}/edit/").content.decode()
    assert x_cadre.id_number not in edit and "13800138000" not in edit


@pytest.mark.django_db
def test_api_shows_masked_values_only(client, world, x_cadre):
    client.force_login(world.county_admin_a)
    listing = client.get("/api/cadres/")
    body = listing.content.decode()
    for item in listing.json()["results"]:
        assert ID_MASK_RE.match(item["id_number_masked"]), item
        assert PHONE_MASK_RE.match(item["phone_masked"]), item
        assert "id_number" not in item and "phone" not in item
    for person in Person.objects.all():
        assert person.id_number not in body and person.phone not in body
    detail = client.get(f"/api/cadres/{x_cadre.pk}/").json()
    assert detail["id_number_masked"] == "3305**********123X"
    assert detail["phone_masked"] == "138****8000"


@pytest.mark.django_db
def test_personal_data_is_encrypted_at_rest(world, x_cadre):
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [x_cadre.pk])  # noqa: S608
        columns = [c[0] for c in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))
    clear = [x_cadre.id_number, x_cadre.id_number[:17], x_cadre.id_number[6:14], "13800138000", "0138000"]
    for value in row.values():
        for fragment in clear:
            assert fragment not in str(value), (fragment, value)
    assert decrypt(row["id_number"]) == x_cadre.id_number
    assert decrypt(row["phone"]) == "13800138000"
    assert row["id_number_index"] == blind_index(x_cadre.id_number)
    assert row["phone_index"] == blind_index("13800138000")
    # A fresh nonce each time: equal values do not give equal ciphertexts.
    assert encrypt(x_cadre.id_number) != encrypt(x_cadre.id_number)


@pytest.mark.django_db
def test_exact_id_search_in_the_ui(client, world, x_cadre):
    client.force_login(world.county_admin_a)
    for query in (x_cadre.id_number, x_cadre.id_number.lower(), f" {x_cadre.id_number} "):
        response = client.get("/cadres/", {"q": query})
        found = [row.record for row in response.context["table"].paginated_rows]
        assert found == [x_cadre], query
        html = response.content.decode()
        assert "赵掩码" in html and world.cadre_a.name not in html
    # Partial numbers do not match anything: only exact lookup through the index exists.
    response = client.get("/cadres/", {"q": x_cadre.id_number[:10]})
    assert list(response.context["table"].paginated_rows) == []
    # Name search still works.
    response = client.get("/cadres/", {"q": "掩码"})
    assert [row.record for row in response.context["table"].paginated_rows] == [x_cadre]


@pytest.mark.django_db
def test_exact_id_search_in_the_api(client, world, x_cadre):
    client.force_login(world.county_admin_a)
    body = client.get("/api/cadres/", {"q": x_cadre.id_number.lower()}).json()
    assert body["count"] == 1 and body["results"][0]["id"] == x_cadre.pk
    assert (
        client.get("/api/cadres/", {"q": world.cadre_a.id_number}).json()["results"][0]["id"]
        == world.cadre_a.pk
    )
    # Outside the scope the same exact search finds nothing.
    client.force_login(world.county_admin_b)
    assert client.get("/api/cadres/", {"q": x_cadre.id_number}).json()["count"] == 0


# ---------------------------------------------------------------- reveal


@pytest.mark.django_db
def test_org_admin_reveals_in_the_ui_and_it_is_recorded(client, world, x_cadre):
    client.force_login(world.county_admin_a)
    detail = client.get(f"/cadres/{x_cadre.pk}/").content.decode()
    assert f"/cadres/{x_cadre.pk}/reveal/id_number/" in detail
    response = client.post(f"/cadres/{x_cadre.pk}/reveal/id_number/")
    assert response.status_code == 200
    assert x_cadre.id_number in response.content.decode()
    record = RevealRecord.objects.get()
    assert (record.actor, record.person, record.field, record.channel) == (
        world.county_admin_a,
        x_cadre,
        "id_number",
        "web",
    )
    response = client.post(f"/cadres/{x_cadre.pk}/reveal/phone/")
    assert "13800138000" in response.content.decode()
    assert RevealRecord.objects.filter(field="phone", person=x_cadre).count() == 1
    # The detail page lists who looked.
    detail = client.get(f"/cadres/{x_cadre.pk}/")
    assert len(detail.context["reveals"]) == 2


@pytest.mark.django_db
def test_org_admin_reveals_through_the_api(client, world, x_cadre):
    client.force_login(world.province_admin)
    response = client.post(
        f"/api/cadres/{x_cadre.pk}/reveal/", {"field": "phone"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": "13800138000"}
    record = RevealRecord.objects.get()
    assert (record.actor, record.person, record.field, record.channel) == (
        world.province_admin,
        x_cadre,
        "phone",
        "api",
    )
    bad = client.post(f"/api/cadres/{x_cadre.pk}/reveal/", {"field": "name"}, content_type="application/json")
    assert bad.status_code == 400
    assert RevealRecord.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["township_a", "auditor", "mentor"])
def test_other_roles_cannot_reveal(client, world, persona):
    user = getattr(world, persona)
    person = world.mentor_person if persona == "mentor" else world.cadre_a
    client.force_login(user)
    detail = client.get(f"/cadres/{person.pk}/")
    assert detail.status_code == 200
    assert "/reveal/" not in detail.content.decode()
    assert client.post(f"/cadres/{person.pk}/reveal/id_number/").status_code == 403
    api = client.post(
        f"/api/cadres/{person.pk}/reveal/", {"field": "id_number"}, content_type="application/json"
    )
    assert api.status_code == 403
    assert person.id_number not in api.content.decode()
    assert RevealRecord.objects.count() == 0


@pytest.mark.django_db
def test_reveal_outside_scope_is_404(client, world):
    client.force_login(world.county_admin_b)
    assert client.post(f"/cadres/{world.cadre_a.pk}/reveal/id_number/").status_code == 404
    api = client.post(
        f"/api/cadres/{world.cadre_a.pk}/reveal/", {"field": "id_number"}, content_type="application/json"
    )
    assert api.status_code == 404
    assert RevealRecord.objects.count() == 0


@pytest.mark.django_db
def test_reveal_of_an_unknown_field_is_404(client, world):
    client.force_login(world.county_admin_a)
    assert client.post(f"/cadres/{world.cadre_a.pk}/reveal/name/").status_code == 404
    assert client.get(f"/cadres/{world.cadre_a.pk}/reveal/id_number/").status_code == 405
    assert RevealRecord.objects.count() == 0


# ---------------------------------------------------------------- history


def all_change_text() -> str:
    table = connection.ops.quote_name(PersonChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        raw = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    orm = " ".join(
        json.dumps(c, ensure_ascii=False) for c in PersonChange.objects.values_list("changes", flat=True)
    )
    return raw + " " + orm


@pytest.mark.django_db
def test_history_records_changes_and_never_personal_data_in_clear(client, world):
    client.force_login(world.county_admin_a)
    data = form_data()
    client.post("/cadres/new/", data)
    person = Person.objects.get(name="新干部")
    old_id, old_phone = person.id_number, person.phone
    new_id = id_number_for(person.birth_date, person.gender, seq=322)
    response = client.post(
        f"/cadres/{person.pk}/edit/",
        edit_data(person, id_number=new_id, phone="13711112222", position="reserve", name="新干部改"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.id_number == new_id and person.phone == "13711112222"
    api = client.patch(
        f"/api/cadres/{person.pk}/",
        {"phone": "13622223333", "org_unit": "上墅乡党委"},
        content_type="application/json",
    )
    assert api.status_code == 200
    created, updated_ui, updated_api = PersonChange.objects.filter(person=person).order_by("at", "id")
    assert created.action == "created" and created.changes["id_number"] == [None, mask_id_number(old_id)]
    assert updated_ui.action == "updated" and updated_ui.actor == world.county_admin_a
    assert updated_ui.changes["id_number"] == [mask_id_number(old_id), mask_id_number(new_id)]
    assert updated_ui.changes["phone"] == [mask_phone(old_phone), "137****2222"]
    assert updated_ui.changes["name"] == ["新干部", "新干部改"]
    assert "position" not in updated_ui.changes  # unchanged fields are not recorded
    assert set(updated_api.changes) == {"phone", "org_unit"}
    text = all_change_text()
    for value in (old_id, new_id, old_phone, "13711112222", "13622223333", old_id[:17], new_id[:17]):
        assert value not in text, value
    for person_ in Person.objects.all():
        assert person_.id_number not in text and person_.phone not in text
    # The detail page shows the history.
    detail = client.get(f"/cadres/{person.pk}/")
    assert len(detail.context["changes"]) == 3


@pytest.mark.django_db
def test_editing_without_reentering_the_id_keeps_it(client, world):
    person = world.cadre_a
    id_number, phone, index = person.id_number, person.phone, person.id_number_index
    client.force_login(world.county_admin_a)
    response = client.post(f"/cadres/{person.pk}/edit/", edit_data(person, position="party_secretary"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.id_number, person.phone, person.id_number_index) == (id_number, phone, index)
    assert person.position == "party_secretary"
    change = PersonChange.objects.get(person=person, action="updated")
    assert change.changes == {"position": ["committee_member", "party_secretary"]}
    # The API keeps it too when the field is left out.
    response = client.patch(f"/api/cadres/{person.pk}/", {"rank": "clerk"}, content_type="application/json")
    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.id_number, person.phone) == (id_number, phone)


@pytest.mark.django_db
def test_editing_cannot_move_a_cadre_out_of_scope(client, world):
    person = world.cadre_a
    client.force_login(world.township_a)
    response = client.post(f"/cadres/{person.pk}/edit/", edit_data(person, region="330523105201"))
    assert response.status_code == 404
    person.refresh_from_db()
    assert person.region.code == "330523205201"
    assert not PersonChange.objects.filter(person=person).exists()


@pytest.mark.django_db
def test_factory_ids_are_consistent(world):
    """The test data itself obeys the rules the service enforces."""
    for person in Person.objects.all():
        assert clean_id_number(person.id_number) == person.id_number
        assert check_id_against(person.id_number, person.birth_date, person.gender) == {}
    assert make_id_number(dt.date(1990, 1, 1), Gender.FEMALE)[16] in "02468"
    assert region("330523205201").name == "上墅村"


@pytest.mark.django_db
def test_bare_list_opens_on_the_switched_region(client, world):
    """After switching to 上墅乡, /cadres/ with no query string lists only 上墅乡's cadres."""
    client.force_login(world.county_admin_a)
    assert client.post("/regions/switch/", {"code": "330523205", "next": "/"}).status_code == 302
    names = {p.name for p in client.get("/cadres/").context["table"].data}
    assert world.cadre_a.name in names and world.cadre_a2.name not in names
