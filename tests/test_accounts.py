"""Sign-in, lockout, password change, account management inside an admin's subtree, and API tokens."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.authtoken.models import Token

from bangdai.accounts import services
from bangdai.accounts.choices import Role
from bangdai.accounts.models import RoleAssignment, User

from .conftest import PASSWORD
from .factories import region, user_with_role

pytestmark = pytest.mark.django_db


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# ---------------------------------------------------------------- login, logout, password


def test_login_and_logout(client, world):
    response = client.post("/login/", {"username": "anji", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(client) == str(world.county_admin_a.pk)
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert logged_in_user_id(client) is None
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/login/")


def test_login_with_a_wrong_password_fails(client, world):
    response = client.post("/login/", {"username": "anji", "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert logged_in_user_id(client) is None


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_password_change(client, world):
    client.post("/login/", {"username": "anji", "password": PASSWORD})
    bad = client.post(
        "/password/",
        {"old_password": "nope", "new_password1": "fresh-pass-2026", "new_password2": "fresh-pass-2026"},
    )
    assert bad.status_code == 200 and "old_password" in bad.context["form"].errors
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "fresh-pass-2026", "new_password2": "fresh-pass-2026"},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=world.county_admin_a.pk)
    assert user.check_password("fresh-pass-2026") and not user.check_password(PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)  # the session survives the change
    client.post("/logout/")
    assert client.post("/login/", {"username": "anji", "password": PASSWORD}).status_code == 200
    assert client.post("/login/", {"username": "anji", "password": "fresh-pass-2026"}).status_code == 302


def test_password_change_needs_login(client):
    response = client.get("/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# ---------------------------------------------------------------- lockout


def fail(client, username, ip, times):
    for _ in range(times):
        response = client.post(
            "/login/", {"username": username, "password": "wrong-password"}, REMOTE_ADDR=ip
        )
        assert logged_in_user_id(client) is None
    return response


def test_lockout_by_username_not_by_ip(client, world, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit >= 3
    fail(client, "anji", "10.1.1.1", limit)
    # The right password from another address is still refused: the username is locked.
    locked = client.post("/login/", {"username": "anji", "password": PASSWORD}, REMOTE_ADDR="10.2.2.2")
    assert locked.status_code != 302
    assert logged_in_user_id(client) is None
    # Another user in the same township office (same address) can still sign in.
    other = client.post("/login/", {"username": "deqing", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert other.status_code == 302
    assert logged_in_user_id(client) == str(world.county_admin_b.pk)


def test_fewer_failures_than_the_limit_do_not_lock(client, world, settings):
    fail(client, "anji", "10.1.1.1", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/login/", {"username": "anji", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302
    client.post("/logout/")
    # A success resets the counter: the same number of failures again still does not lock.
    fail(client, "anji", "10.1.1.1", settings.AXES_FAILURE_LIMIT - 1)
    assert (
        client.post("/login/", {"username": "anji", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1").status_code
        == 302
    )


def test_locked_username_cannot_get_an_api_token(client, world, settings):
    fail(client, "anji", "10.1.1.1", settings.AXES_FAILURE_LIMIT)
    response = client.post(
        "/api/auth/token/", {"username": "anji", "password": PASSWORD}, REMOTE_ADDR="10.3.3.3"
    )
    assert response.status_code != 200
    assert "token" not in response.content.decode()


def test_failed_token_requests_count_towards_the_lockout(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/auth/token/", {"username": "anji", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    response = client.post("/login/", {"username": "anji", "password": PASSWORD}, REMOTE_ADDR="10.4.4.4")
    assert response.status_code != 302
    assert logged_in_user_id(client) is None


# ---------------------------------------------------------------- account management


def create_form(**overrides):
    data = {
        "username": "newbie",
        "display_name": "新人",
        "password": "another-horse-7",
        "role": Role.TOWNSHIP,
        "region": "330523205",
    }
    data.update(overrides)
    return data


def test_admin_creates_an_account_inside_the_subtree(client, world):
    client.force_login(world.county_admin_a)
    response = client.post("/accounts/new/", create_form())
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert response["Location"] == f"/accounts/{user.pk}/"
    assert [(a.role, a.region.code) for a in user.role_assignments.all()] == [(Role.TOWNSHIP, "330523205")]
    assert user.check_password("another-horse-7")
    client.logout()
    assert client.post("/login/", {"username": "newbie", "password": "another-horse-7"}).status_code == 302


def test_admin_cannot_create_an_account_outside_the_subtree(client, world):
    client.force_login(world.county_admin_a)
    response = client.post("/accounts/new/", create_form(region="330521002"))
    assert response.status_code == 404
    assert not User.objects.filter(username="newbie").exists()
    with pytest.raises(PermissionDenied):
        services.create_account(
            actor=world.county_admin_a,
            username="newbie",
            password="another-horse-7",
            role=Role.ORG_ADMIN,
            region=region("330500"),
        )
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize(
    "role,code", [(Role.TOWNSHIP, "330523"), (Role.ORG_ADMIN, "330523205"), (Role.AUDITOR, "330523205201")]
)
def test_roles_only_at_their_levels(client, world, role, code):
    client.force_login(world.county_admin_a)
    response = client.post("/accounts/new/", create_form(role=role, region=code))
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("password", ["12345678", "password", "newbie123"])
def test_weak_initial_password_is_a_field_error(client, world, password):
    client.force_login(world.county_admin_a)
    response = client.post("/accounts/new/", create_form(password=password))
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()


def test_taken_username_is_a_field_error(client, world):
    client.force_login(world.county_admin_a)
    response = client.post("/accounts/new/", create_form(username="DEQING"))
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username__iexact="deqing").count() == 1


@pytest.mark.parametrize("persona", ["township_a", "mentor", "apprentice", "auditor"])
def test_non_admins_cannot_manage_accounts(client, world, persona):
    client.force_login(getattr(world, persona))
    assert client.get("/accounts/").status_code == 403
    assert client.post("/accounts/new/", create_form()).status_code == 403
    assert client.post(f"/accounts/{world.mentor.pk}/deactivate/").status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    assert User.objects.get(pk=world.mentor.pk).is_active


def test_account_list_is_scoped(client, world):
    client.force_login(world.county_admin_a)
    response = client.get("/accounts/")
    listed = {row.record.username for row in response.context["table"].paginated_rows}
    assert listed == {"anji", "shangshu", "mentor", "apprentice"}
    client.force_login(world.province_admin)
    listed = {row.record.username for row in client.get("/accounts/").context["table"].paginated_rows}
    assert listed >= {"province", "anji", "deqing", "shangshu", "mentor", "apprentice", "auditor"}


def test_admin_cannot_manage_accounts_outside_the_subtree(client, world):
    client.force_login(world.county_admin_a)
    target = world.county_admin_b
    assert client.get(f"/accounts/{target.pk}/").status_code == 404
    assert client.post(f"/accounts/{target.pk}/deactivate/").status_code == 404
    assert (
        client.post(f"/accounts/{target.pk}/grant/", {"role": Role.MENTOR, "region": "330523205"}).status_code
        == 404
    )
    target.refresh_from_db()
    assert target.is_active
    assert target.role_assignments.count() == 1


def test_account_with_a_role_outside_the_subtree_is_read_only(client, world):
    both = user_with_role("both", Role.MENTOR, "330523205201")
    RoleAssignment.objects.create(user=both, role=Role.MENTOR, region=region("330521002201"))
    client.force_login(world.county_admin_a)
    detail = client.get(f"/accounts/{both.pk}/")
    assert detail.status_code == 200  # it holds a role here, so it is listed
    assert detail.context["can_manage"] is False
    assert client.post(f"/accounts/{both.pk}/deactivate/").status_code == 403
    assert (
        client.post(
            f"/accounts/{both.pk}/grant/", {"role": Role.MENTOR, "region": "330523205202"}
        ).status_code
        == 403
    )
    assert client.post(f"/accounts/{both.pk}/profile/", {"display_name": "x", "email": ""}).status_code == 403
    both.refresh_from_db()
    assert both.is_active and both.display_name == ""
    assert both.role_assignments.count() == 2
    # The province admin governs both places.
    client.force_login(world.province_admin)
    assert client.post(f"/accounts/{both.pk}/deactivate/").status_code == 302
    assert not User.objects.get(pk=both.pk).is_active


def test_admin_cannot_manage_their_own_account_or_a_wider_admin(client, world):
    client.force_login(world.county_admin_a)
    assert client.post(f"/accounts/{world.county_admin_a.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=world.county_admin_a.pk).is_active
    assert client.post(f"/accounts/{world.province_admin.pk}/deactivate/").status_code == 404
    assert User.objects.get(pk=world.province_admin.pk).is_active


def test_grant_and_revoke_roles(client, world):
    client.force_login(world.county_admin_a)
    target = world.township_a
    response = client.post(f"/accounts/{target.pk}/grant/", {"role": Role.MENTOR, "region": "330523105201"})
    assert response.status_code == 302
    assert target.role_assignments.filter(role=Role.MENTOR, region__code="330523105201").exists()
    # Outside the subtree: 404, nothing granted.
    response = client.post(f"/accounts/{target.pk}/grant/", {"role": Role.TOWNSHIP, "region": "330521002"})
    assert response.status_code == 404
    # Wrong level: refused with a message, nothing granted.
    response = client.post(
        f"/accounts/{target.pk}/grant/", {"role": Role.TOWNSHIP, "region": "330523"}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert set(target.role_assignments.values_list("region__code", flat=True)) == {
        "330523205",
        "330523105201",
    }
    assignment = target.role_assignments.get(role=Role.MENTOR)
    response = client.post(f"/accounts/{target.pk}/revoke/", {"assignment": assignment.pk}, follow=True)
    assert response.redirect_chain[-1][1] == 302
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert target.role_assignments.count() == 1
    # The last role cannot be revoked.
    last = target.role_assignments.get()
    response = client.post(f"/accounts/{target.pk}/revoke/", {"assignment": last.pk}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert target.role_assignments.count() == 1


def test_grant_service_checks(world):
    with pytest.raises(ValidationError):
        services.grant_role(
            actor=world.county_admin_a, user=world.township_a, role=Role.TOWNSHIP, region=region("330523")
        )
    with pytest.raises(PermissionDenied):
        services.grant_role(
            actor=world.county_admin_a, user=world.township_a, role=Role.ORG_ADMIN, region=region("330500")
        )
    with pytest.raises(PermissionDenied):
        services.grant_role(
            actor=world.county_admin_a,
            user=world.county_admin_b,
            role=Role.MENTOR,
            region=region("330523205"),
        )
    assert world.township_a.role_assignments.count() == 1
    assert world.county_admin_b.role_assignments.count() == 1


def test_deactivate_and_activate(client, world):
    target_client = client.__class__()
    assert target_client.post("/login/", {"username": "shangshu", "password": PASSWORD}).status_code == 302
    assert target_client.get("/").status_code == 200
    client.force_login(world.county_admin_a)
    response = client.post(f"/accounts/{world.township_a.pk}/deactivate/")
    assert response.status_code == 302
    assert not User.objects.get(pk=world.township_a.pk).is_active
    # The open session ends and a new sign-in is refused.
    assert target_client.get("/").status_code == 302
    assert target_client.post("/login/", {"username": "shangshu", "password": PASSWORD}).status_code == 200
    assert client.post(f"/accounts/{world.township_a.pk}/activate/").status_code == 302
    assert User.objects.get(pk=world.township_a.pk).is_active
    assert target_client.post("/login/", {"username": "shangshu", "password": PASSWORD}).status_code == 302


# ---------------------------------------------------------------- the API


def test_api_account_management_is_scoped(client, world):
    client.force_login(world.county_admin_a)
    listed = {u["username"] for u in client.get("/api/users/").json()["results"]}
    assert listed == {"anji", "shangshu", "mentor", "apprentice"}
    created = client.post("/api/users/", create_form(username="apinew"), content_type="application/json")
    assert created.status_code == 201
    assert created.json()["roles"][0]["region"] == "330523205"
    outside = client.post(
        "/api/users/", create_form(username="apiout", region="330521002"), content_type="application/json"
    )
    assert outside.status_code == 404
    level = client.post(
        "/api/users/", create_form(username="apilevel", region="330523"), content_type="application/json"
    )
    assert level.status_code == 400
    assert [e["attr"] for e in level.json()["errors"]] == ["region"]
    weak = client.post(
        "/api/users/", create_form(username="apiweak", password="12345678"), content_type="application/json"
    )
    assert weak.status_code == 400
    assert {e["attr"] for e in weak.json()["errors"]} == {"password"}
    assert not User.objects.filter(username__in=["apiout", "apilevel", "apiweak"]).exists()
    user = User.objects.get(username="apinew")
    assert client.post(f"/api/users/{user.pk}/deactivate/").json()["is_active"] is False
    assert client.post(f"/api/users/{user.pk}/activate/").json()["is_active"] is True
    assert client.post(f"/api/users/{world.county_admin_b.pk}/deactivate/").status_code == 404
    assert User.objects.get(pk=world.county_admin_b.pk).is_active
    grant = client.post(
        f"/api/users/{user.pk}/roles/",
        {"role": "township", "region": "330521002"},
        content_type="application/json",
    )
    assert grant.status_code == 404
    assert user.role_assignments.count() == 1


def test_token_endpoint(client, world):
    response = client.post("/api/auth/token/", {"username": "anji", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=world.county_admin_a).key == token
    bad = client.post("/api/auth/token/", {"username": "anji", "password": "wrong"})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/json")
    body = bad.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == "non_field_errors" and body["errors"][0]["detail"]
    missing = client.post("/api/auth/token/", {"username": "anji"}, content_type="application/json")
    assert missing.status_code == 400
    assert {e["attr"] for e in missing.json()["errors"]} == {"password"}


def test_token_authenticates_api_calls(client, world):
    token = client.post("/api/auth/token/", {"username": "anji", "password": PASSWORD}).json()["token"]
    client.logout()
    api = client.__class__()
    me = api.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["username"] == "anji"
    cadres = api.get("/api/cadres/", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert {c["name"] for c in cadres["results"]} == {"张上墅", "李孝丰", "陈导师", "吴徒弟"}
    assert api.get("/api/me/").status_code in (401, 403)
    wrong = api.get("/api/me/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert wrong.status_code in (401, 403)
    assert wrong.json()["type"] == "client_error"
    # A deactivated account's token stops working.
    User.objects.filter(pk=world.county_admin_a.pk).update(is_active=False)
    assert api.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code in (401, 403)
    assert client.post("/api/auth/token/", {"username": "anji", "password": PASSWORD}).status_code == 400
