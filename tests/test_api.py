"""The REST API: schema and docs behind login, error format and language, pagination, pinned query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema

from bangdai.accounts.choices import Role
from bangdai.people.models import Person
from config.urls import router

from .factories import PersonFactory, region, user_with_role

pytestmark = pytest.mark.django_db


def router_paths() -> set[str]:
    """Every path the router serves, in OpenAPI notation (/api/cadres/{id}/reveal/)."""
    paths = set()
    for pattern in router.urls:
        regex = pattern.pattern.regex.pattern
        if "format" in regex:
            continue
        path = regex.lstrip("^").rstrip("$")
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
        paths.add("/api/" + path.replace("\\", "").replace("{pk}", "{id}"))
    return paths


@pytest.fixture
def schema(client, world):
    client.force_login(world.county_admin_a)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


# ---------------------------------------------------------------- schema and docs


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_lists_every_router_endpoint(schema):
    expected = router_paths()
    assert {
        "/api/cadres/",
        "/api/cadres/{id}/",
        "/api/cadres/{id}/reveal/",
        "/api/regions/{code}/counts/",
        "/api/users/{id}/roles/",
    } <= expected
    assert expected <= set(schema["paths"]), expected - set(schema["paths"])
    for extra in ("/api/auth/token/", "/api/me/"):
        assert extra in schema["paths"]


def test_schema_methods_and_error_responses(schema):
    cadres = schema["paths"]["/api/cadres/"]
    assert {"get", "post"} <= set(cadres)
    detail = schema["paths"]["/api/cadres/{id}/"]
    assert {"get", "put", "patch"} <= set(detail)
    assert "delete" not in detail  # records are never deleted through the API
    assert "400" in cadres["post"]["responses"]
    assert "404" in detail["get"]["responses"]
    assert set(schema["paths"]["/api/regions/"]) == {"get"}


def test_schema_and_docs_need_login(client):
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code in (401, 403)
    assert "paths" not in schema.content.decode()
    assert client.get("/api/docs/").status_code in (401, 403)


def test_docs_render(client, world):
    client.force_login(world.township_a)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html.lower()
    assert "/api/schema/" in html
    assert "cdn." not in html  # served from our own origin (sidecar)


# ---------------------------------------------------------------- errors


def cadre_body(**overrides):
    body = {
        "name": "接口干部",
        "gender": "F",
        "birth_date": "1992-06-15",
        "id_number": "",
        "phone": "13900001111",
        "political_status": "party_member",
        "education": "bachelor",
        "region": "330523205201",
        "position": "reserve",
        "cadre_type": "village_cadre",
        "entry_date": "2016-09-01",
    }
    body.update(overrides)
    return body


def test_validation_errors_have_the_standard_shape(client, world):
    client.force_login(world.county_admin_a)
    response = client.post("/api/cadres/", {}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    by_attr = {e["attr"]: e for e in body["errors"]}
    assert {"name", "gender", "birth_date", "id_number", "region", "entry_date"} <= set(by_attr)
    assert by_attr["name"]["code"] == "required"
    assert by_attr["name"]["detail"] == "该字段是必填项。"  # Chinese by default
    assert Person.objects.count() == 5


def test_errors_in_english_when_asked(client, world):
    client.force_login(world.county_admin_a)
    response = client.post("/api/cadres/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    by_attr = {e["attr"]: e for e in response.json()["errors"]}
    assert by_attr["name"]["detail"] == "This field is required."
    response = client.post(
        "/api/cadres/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert {e["attr"]: e for e in response.json()["errors"]}["name"]["detail"] == "该字段是必填项。"


@pytest.mark.parametrize(
    "overrides,attr,code",
    [
        ({"id_number": "33052319920615321X"}, "id_number", "id_checksum"),
        ({"id_number": "3305231992"}, "id_number", "id_length"),
        ({"phone": "1234"}, "phone", "phone_invalid"),
        ({"birth_date": "1992-13-01"}, "birth_date", "invalid"),
        ({"region": "33052"}, "region", None),
        ({"gender": "X"}, "gender", "invalid_choice"),
    ],
)
def test_field_errors_name_the_field(client, world, overrides, attr, code):
    from .test_people import id_number_for

    client.force_login(world.county_admin_a)
    import datetime as dt

    body = {**cadre_body(id_number=id_number_for(dt.date(1992, 6, 15), "F", seq=400)), **overrides}
    response = client.post("/api/cadres/", body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert attr in {e["attr"] for e in errors}, errors
    if code:
        assert code in {e["code"] for e in errors if e["attr"] == attr}, errors
    assert all(e["detail"] for e in errors)
    assert not Person.objects.filter(name="接口干部").exists()


def test_mismatched_birth_date_is_a_field_error(client, world):
    import datetime as dt

    from .test_people import id_number_for

    client.force_login(world.county_admin_a)
    body = cadre_body(id_number=id_number_for(dt.date(1992, 6, 15), "F", seq=401), birth_date="1992-06-16")
    response = client.post("/api/cadres/", body, content_type="application/json")
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["birth_date"]
    ok = client.post("/api/cadres/", {**body, "birth_date": "1992-06-15"}, content_type="application/json")
    assert ok.status_code == 201
    assert ok.json()["id_number_masked"].startswith("3305") and "id_number" not in ok.json()


def test_not_found_and_not_authenticated_are_json(client, world):
    anonymous = client.get("/api/cadres/")
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["type"] == "client_error"
    client.force_login(world.county_admin_b)
    missing = client.get(f"/api/cadres/{world.cadre_a.pk}/")
    assert missing.status_code == 404
    assert missing.json()["type"] == "client_error"
    assert missing.json()["errors"][0]["code"] == "not_found"


# ---------------------------------------------------------------- pagination


def test_pagination_shape_and_page_size(client, world):
    client.force_login(world.province_admin)
    body = client.get("/api/cadres/", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5 and len(body["results"]) == 2
    assert body["previous"] is None and "page=2" in body["next"]
    last = client.get("/api/cadres/", {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None and last["previous"]
    names = [
        r["name"]
        for p in (1, 2, 3)
        for r in client.get("/api/cadres/", {"page_size": 2, "page": p}).json()["results"]
    ]
    assert sorted(names) == sorted(Person.objects.values_list("name", flat=True))
    assert client.get("/api/cadres/", {"page_size": 2, "page": 9}).status_code == 404


def test_page_size_is_capped(client, world):
    client.force_login(world.province_admin)
    body = client.get("/api/regions/", {"page_size": 100000}).json()
    assert body["count"] > 1400
    assert len(body["results"]) == 500
    default = client.get("/api/regions/").json()
    assert len(default["results"]) == 50


# ---------------------------------------------------------------- query counts

# Pinned: a change here is a change in how many queries a list page or API list needs, whatever its length.
QUERIES = {
    "/cadres/": 8,  # session, user, scope, count, current region, its lineage, rows, region field display
    "/cadres/?q&region": 9,  # + the chosen filter region
    "/api/cadres/": 5,  # session, user, scope, count, rows
    "/accounts/": 9,  # session, user, scope, count, 3 region lookups, rows, prefetched roles
    "/api/users/": 6,  # session, user, scope, count, rows, prefetched roles
    "/api/regions/": 6,  # session, user, scope, the `within` region, count, rows (parent codes by subquery)
}


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return len(ctx)


@pytest.fixture
def admin_client(client):
    admin = user_with_role("qc_admin", Role.ORG_ADMIN, "330523")
    client.force_login(admin)
    client.get("/")  # warm per-process caches (content types, templates)
    return client


def add_cadres(n: int) -> None:
    villages = [region(code) for code in ("330523205201", "330523205202", "330523105201")]
    for i in range(n):
        PersonFactory(region=villages[i % 3], org_unit=f"单位{i}")


@pytest.mark.parametrize("url", ["/cadres/", "/api/cadres/"])
def test_cadre_lists_run_a_fixed_number_of_queries(admin_client, url):
    add_cadres(5)
    small = count_queries(admin_client, url)
    add_cadres(45)
    assert Person.objects.count() == 50
    large = count_queries(admin_client, url)
    assert (small, large) == (QUERIES[url], QUERIES[url])
    if url == "/cadres/":
        assert (
            count_queries(admin_client, url, {"q": "测试", "region": "330523205"})
            == QUERIES["/cadres/?q&region"]
        )


def add_accounts(n: int, start: int = 0) -> None:
    from bangdai.accounts.models import RoleAssignment

    codes = ["330523205", "330523105", "330523205201"]
    roles = [Role.TOWNSHIP, Role.TOWNSHIP, Role.MENTOR]
    for i in range(start, start + n):
        user = user_with_role(f"qc{i}", roles[i % 3], codes[i % 3])
        if i % 2:  # some accounts hold two roles
            RoleAssignment.objects.create(user=user, role=Role.MENTOR, region=region("330523205202"))


@pytest.mark.parametrize("url", ["/accounts/", "/api/users/"])
def test_account_lists_run_a_fixed_number_of_queries(admin_client, url):
    add_accounts(4)  # with the admin itself: 5 rows
    small = count_queries(admin_client, url)
    add_accounts(45, start=4)
    large = count_queries(admin_client, url)
    assert (small, large) == (QUERIES[url], QUERIES[url])
    rows = admin_client.get("/api/users/").json()
    assert rows["count"] == 50


def test_region_list_runs_a_fixed_number_of_queries(admin_client):
    params = {"within": "330523", "page_size": 5}
    small = count_queries(admin_client, "/api/regions/", params)
    large = count_queries(admin_client, "/api/regions/", {**params, "page_size": 50})
    body = admin_client.get("/api/regions/", {**params, "page_size": 50}).json()
    assert 5 < len(body["results"]) <= 50
    assert all(r["parent_code"] for r in body["results"] if r["code"] != "330523")
    assert (small, large) == (QUERIES["/api/regions/"], QUERIES["/api/regions/"])
