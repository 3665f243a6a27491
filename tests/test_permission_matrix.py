"""The permission matrix: every URL and API endpoint × every persona × in- and out-of-scope targets.

What each persona may do is declared below (REACH and the rule functions), independently of the app's own scope
code, and every case is generated from it. Out-of-scope objects, filter values and form choices must answer
404; in-scope actions the role does not allow answer 403; anonymous callers are sent to the login page (pages)
or refused (API). Denied calls and reads must leave the guarded tables unchanged; allowed writes must show
their effect, inside the actor's scope. A URL pattern without a COVERAGE entry fails the suite.
"""

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.generic.edit import ProcessFormView
from rest_framework.test import APIClient

from bangdai.accounts.models import RoleAssignment, User
from bangdai.people.models import Person, PersonChange, RevealRecord
from bangdai.regions.models import Region

from .conftest import PASSWORD
from .factories import PersonFactory, make_id_number, region

# ---------------------------------------------------------------------------------------------------------------
# Who reaches what: region roots (codes) per persona, written from the issue, not from the app's scope code.

FAR_TOWNSHIP = "330106002"  # 北山街道, 西湖区, 杭州市: outside every persona but the province admin
B_VILLAGE = "330521002201"  # 上柏村, 德清县 (county B)


@dataclass(frozen=True)
class Reach:
    cadres: tuple[str, ...] = ()  # sees the cadres employed in these subtrees
    regions: tuple[str, ...] = ()  # sees these jurisdictions
    edits: tuple[str, ...] = ()  # creates and changes cadres here
    admin: tuple[str, ...] = ()  # manages accounts and sees personal data in full here
    own: str | None = None  # the persona's own cadre record (a World attribute)


def org_admin(code: str) -> Reach:
    return Reach(cadres=(code,), regions=(code,), edits=(code,), admin=(code,))


REACH: dict[str, Reach | None] = {
    "province_admin": org_admin("330000"),
    "county_admin_a": org_admin("330523"),
    "county_admin_b": org_admin("330521"),
    "township_a": Reach(cadres=("330523205",), regions=("330523205",), edits=("330523205",)),
    "mentor": Reach(regions=("330523205202",), own="mentor_person"),
    "apprentice": Reach(regions=("330523205201",), own="apprentice_person"),
    "auditor": Reach(cadres=("330500",), regions=("330500",)),  # 湖州市: counties A and B, read-only
    "anonymous": None,
}
PERSONAS = list(REACH)


def within(code: str, roots) -> bool:
    """Whether a region code lies in the subtree of any root code (330000 → 33…, 330500 → 3305…)."""
    for root in roots:
        prefix = (
            root[:2]
            if root.endswith("0000")
            else root[:4]
            if len(root) == 6 and root.endswith("00")
            else root
        )
        if code.startswith(prefix):
            return True
    return False


class Outcome(Enum):
    OK = "allowed"
    DENIED = "403"
    HIDDEN = "404"
    LOGIN = "login"
    INVALID = "400"


OK, DENIED, HIDDEN, LOGIN, INVALID = Outcome


@dataclass
class Ctx:
    """The world of tests/conftest.py plus one cadre outside 湖州市, and the acting persona."""

    world: object
    cadre_far: Person
    persona: str = "anonymous"

    @property
    def reach(self) -> Reach:
        return REACH[self.persona]

    @property
    def actor(self) -> User | None:
        return None if self.persona == "anonymous" else getattr(self.world, self.persona)

    def cadre(self, label: str) -> Person:
        return self.cadre_far if label == "cadre_far" else getattr(self.world, label)

    def account(self, label: str) -> User:
        return getattr(self.world, label)

    def role_codes(self, label: str) -> list[str]:
        return list(
            RoleAssignment.objects.filter(user=self.account(label)).values_list("region__code", flat=True)
        )


# ---------------------------------------------------------------------------------------------------------------
# Rules: the expected outcome of one call for a signed-in persona on one target.


def signed_in(ctx, target) -> Outcome:
    return OK


def sees_cadre(ctx, label) -> bool:
    return within(ctx.cadre(label).region.code, ctx.reach.cadres) or ctx.reach.own == label


def read_cadre(ctx, label) -> Outcome:
    return OK if sees_cadre(ctx, label) else HIDDEN


def edit_cadre(ctx, label) -> Outcome:
    if not sees_cadre(ctx, label):
        return HIDDEN
    return OK if within(ctx.cadre(label).region.code, ctx.reach.edits) else DENIED


def move_cadre_to_b(ctx, label) -> Outcome:
    outcome = edit_cadre(ctx, label)
    if outcome is OK and not within(B_VILLAGE, ctx.reach.edits):
        return HIDDEN  # the destination is not among the region choices
    return outcome


def reveal_cadre(ctx, label) -> Outcome:
    if not sees_cadre(ctx, label):
        return HIDDEN
    return OK if within(ctx.cadre(label).region.code, ctx.reach.admin) else DENIED


def create_cadre(ctx, code) -> Outcome:
    if not ctx.reach.edits:
        return DENIED
    return OK if within(code, ctx.reach.edits) else HIDDEN


def read_region(ctx, code) -> Outcome:
    return OK if code is None or within(code, ctx.reach.regions) else HIDDEN


def accounts_only(rule):
    def checked(ctx, target) -> Outcome:
        return rule(ctx, target) if ctx.reach.admin else DENIED

    checked.__name__ = rule.__name__
    return checked


def sees_account(ctx, label) -> bool:
    return any(within(code, ctx.reach.admin) for code in ctx.role_codes(label))


def manages_account(ctx, label) -> bool:
    return label != ctx.persona and all(within(code, ctx.reach.admin) for code in ctx.role_codes(label))


@accounts_only
def read_account(ctx, label) -> Outcome:
    return OK if sees_account(ctx, label) else HIDDEN


@accounts_only
def manage_account(ctx, label) -> Outcome:
    if not sees_account(ctx, label):
        return HIDDEN
    return OK if manages_account(ctx, label) else DENIED


def grant_at(code: str):
    @accounts_only
    def grant(ctx, label) -> Outcome:
        if not sees_account(ctx, label) or not within(code, ctx.reach.admin):
            return HIDDEN
        return OK if manages_account(ctx, label) else DENIED

    return grant


@accounts_only
def create_account(ctx, code) -> Outcome:
    return OK if within(code, ctx.reach.admin) else HIDDEN


accounts_list = accounts_only(read_region)


# ---------------------------------------------------------------------------------------------------------------
# Payloads and checks of allowed calls.

MARK = "矩阵测试"


def new_cadre_form(ctx, code, *, api=False) -> dict:
    birth = dt.date(1993, 6, 15)
    return {
        "name": MARK,
        "gender": "F",
        "birth_date": birth.isoformat(),
        "ethnicity": "汉族",
        "id_number": make_id_number(birth, "F"),
        "phone": "13900001234",
        "political_status": "masses",
        "education": "bachelor",
        "region": code,
        "org_unit": MARK,
        "position": "reserve",
        "rank": "",
        "cadre_type": "village_cadre",
        "entry_date": "2020-09-01",
        **({} if api else {"party_join_date": ""}),
    }


def edit_form(person: Person, *, region: str | None = None, api=False) -> dict:
    data = {
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date.isoformat(),
        "ethnicity": person.ethnicity,
        "political_status": person.political_status,
        "education": person.education,
        "region": region or person.region.code,
        "org_unit": MARK,
        "position": person.position,
        "rank": person.rank,
        "cadre_type": person.cadre_type,
        "entry_date": person.entry_date.isoformat(),
    }
    return data if api else {**data, "id_number": "", "phone": "", "party_join_date": ""}


def new_account_form(ctx, code) -> dict:
    return {
        "username": "matrix-new",
        "display_name": MARK,
        "password": "Tq7-unguessable",
        "role": "township",
        "region": code,
    }


def cadre_created(ctx, code, response):
    person = Person.objects.select_related("region").get(name=MARK)
    assert person.region.code == code and within(code, ctx.reach.edits)
    assert PersonChange.objects.filter(person=person, actor=ctx.actor, action="created").exists()


def cadre_changed(ctx, label, response):
    person = Person.objects.get(pk=ctx.cadre(label).pk)
    assert person.org_unit == MARK
    assert PersonChange.objects.filter(person=person, actor=ctx.actor, action="updated").exists()


def cadre_moved(ctx, label, response):
    assert Person.objects.get(pk=ctx.cadre(label).pk).region.code == B_VILLAGE


def revealed(ctx, label, response):
    person = ctx.cadre(label)
    assert RevealRecord.objects.filter(actor=ctx.actor, person=person, field="id_number").count() == 1
    assert person.id_number in response.content.decode()


def account_created(ctx, code, response):
    user = User.objects.get(username="matrix-new")
    assert [(a.role, a.region.code) for a in user.role_assignments.all()] == [("township", code)]


def deactivated(ctx, label, response):
    assert not User.objects.get(pk=ctx.account(label).pk).is_active


def activated(ctx, label, response):
    assert User.objects.get(pk=ctx.account(label).pk).is_active


def make_inactive(ctx, label):
    if label == ctx.persona:
        return  # a deactivated persona could not sign in at all; the self-case is refused while active
    User.objects.filter(pk=ctx.account(label).pk).update(is_active=False)


def profile_changed(ctx, label, response):
    assert User.objects.get(pk=ctx.account(label).pk).display_name == MARK


def role_granted(code):
    def granted(ctx, label, response):
        assert RoleAssignment.objects.filter(
            user=ctx.account(label), role="mentor", region__code=code
        ).exists()

    return granted


CADRE_NAMES = ["cadre_a", "cadre_a2", "cadre_b", "mentor_person", "apprentice_person", "cadre_far"]


def expected_cadre_names(ctx, code) -> set[str]:
    code = code or ctx.reach.regions[0]  # pages open on the persona's home region
    return {
        ctx.cadre(c).name
        for c in CADRE_NAMES
        if sees_cadre(ctx, c) and within(ctx.cadre(c).region.code, [code])
    }


def shows_exactly_visible_cadres(ctx, code, response):
    body = (
        response.content.decode("utf-8-sig")
        if not response.streaming
        else (b"".join(response.streaming_content).decode("utf-8-sig"))
    )
    shown = {ctx.cadre(c).name for c in CADRE_NAMES if ctx.cadre(c).name in body}
    assert shown == expected_cadre_names(ctx, code)


def api_lists_exactly_visible_cadres(ctx, code, response):
    names = {row["name"] for row in response.json()["results"]}
    assert names == {n for n in expected_cadre_names(ctx, code or "330000")}


def api_lists_visible_regions(ctx, code, response):
    codes = [row["code"] for row in response.json()["results"]]
    assert codes and all(within(c, ctx.reach.regions) for c in codes)
    if code:
        assert all(within(c, [code]) for c in codes)


def api_lists_visible_accounts(ctx, code, response):
    names = {row["username"] for row in response.json()["results"]}
    expected = {
        ctx.account(p).username
        for p in PERSONAS
        if p != "anonymous"
        if sees_account(ctx, p) and (code is None or any(within(c, [code]) for c in ctx.role_codes(p)))
    }
    assert names == expected


def shows_cadre_masked(ctx, label, response):
    body = response.content.decode()
    person = ctx.cadre(label)
    assert person.name in body and person.id_number not in body and person.phone not in body


def shows_region(ctx, code, response):
    assert Region.objects.current().get(code=code).name in response.content.decode()


def lookup_only_visible(ctx, code, response):
    codes = [row["code"] for row in response.json()["results"]]
    assert all(within(c, ctx.reach.regions) for c in codes)
    assert (code in codes) == within(code, ctx.reach.regions)


def switched(ctx, code, response):
    assert response["Location"] == "/"


def token_issued(ctx, target, response):
    assert response.json()["token"]


NEW_PASSWORD = "Matrix-pass-77"


def password_changed(ctx, target, response):
    assert User.objects.get(pk=ctx.actor.pk).check_password(NEW_PASSWORD)


def me_is_actor(ctx, target, response):
    assert response.json()["username"] == ctx.actor.username


# ---------------------------------------------------------------------------------------------------------------
# COVERAGE: every URL name of the project → its targets, how to build the URL, and the calls to make.


@dataclass(frozen=True)
class Call:
    method: str
    rule: Callable[[Ctx, object], Outcome]
    ok: int = 200  # the status of an allowed call
    label: str = ""
    data: Callable | None = None  # (ctx, target) → request body
    query: Callable | None = None  # (ctx, target) → query string parameters
    check: Callable | None = None  # (ctx, target, response) → asserts the content or the change
    prepare: Callable | None = None  # (ctx, target) → set-up before the snapshot
    public: bool = False  # anonymous callers are served too (the rule decides)
    targets: tuple | None = None  # instead of the endpoint's targets
    url_kwargs: tuple = ()  # further URL arguments, as (name, value) pairs

    @property
    def name(self) -> str:
        return self.label or self.method

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD")


@dataclass(frozen=True)
class Endpoint:
    calls: tuple[Call, ...]
    targets: tuple = (None,)
    kwargs: Callable = lambda ctx, target: {}
    api: bool = False


def pk_of_cadre(ctx, label):
    return {"pk": ctx.cadre(label).pk}


def pk_of_account(ctx, label):
    return {"pk": ctx.account(label).pk}


def code_kw(ctx, code):
    return {"code": code}


REGIONS = ("330000", "330500", "330100", "330523", "330521", "330523205", "330523205201", "330523205202")
FILTERS = (None, *REGIONS)  # list filters: none, then each region
NEW_CADRE_REGIONS = ("330523205201", "330523105201", B_VILLAGE, FAR_TOWNSHIP)
NEW_ACCOUNT_REGIONS = ("330523205", "330523105", "330521002", FAR_TOWNSHIP)
ACCOUNTS = ("province_admin", "county_admin_a", "county_admin_b", "township_a", "mentor")
GRANT_IN, GRANT_OUT = "330523205201", B_VILLAGE  # a mentor role in county A, and one in county B


def region_filter(key):
    return lambda ctx, code: {key: code} if code else {}


COVERAGE: dict[str, Endpoint] = {
    # Pages
    "home": Endpoint(calls=(Call("GET", signed_in),)),
    "password_change": Endpoint(
        calls=(
            Call("GET", signed_in),
            Call(
                "POST",
                signed_in,
                ok=302,
                check=password_changed,
                data=lambda ctx, t: {
                    "old_password": PASSWORD,
                    "new_password1": NEW_PASSWORD,
                    "new_password2": NEW_PASSWORD,
                },
            ),
        )
    ),
    "regions:browse": Endpoint(calls=(Call("GET", signed_in),)),
    "regions:detail": Endpoint(
        targets=REGIONS, kwargs=code_kw, calls=(Call("GET", read_region, check=shows_region),)
    ),
    "regions:switch": Endpoint(
        targets=REGIONS,
        calls=(
            Call(
                "POST",
                read_region,
                ok=302,
                data=lambda ctx, code: {"code": code, "next": "/"},
                check=switched,
            ),
        ),
    ),
    "regions:lookup": Endpoint(
        targets=REGIONS,
        calls=(Call("GET", signed_in, query=lambda ctx, code: {"q": code}, check=lookup_only_visible),),
    ),
    "people:list": Endpoint(
        targets=FILTERS,
        calls=(
            Call("GET", read_region, query=region_filter("region"), check=shows_exactly_visible_cadres),
            Call(
                "GET",
                read_region,
                label="GET-export",
                check=shows_exactly_visible_cadres,
                query=lambda ctx, code: {"export": "csv", **({"region": code} if code else {})},
            ),
        ),
    ),
    "people:create": Endpoint(
        targets=NEW_CADRE_REGIONS,
        calls=(
            Call("GET", lambda ctx, code: OK if ctx.reach.edits else DENIED, targets=(None,)),
            Call("POST", create_cadre, ok=302, data=new_cadre_form, check=cadre_created),
        ),
    ),
    "people:detail": Endpoint(
        targets=CADRE_NAMES, kwargs=pk_of_cadre, calls=(Call("GET", read_cadre, check=shows_cadre_masked),)
    ),
    "people:edit": Endpoint(
        targets=CADRE_NAMES,
        kwargs=pk_of_cadre,
        calls=(
            Call("GET", edit_cadre),
            Call(
                "POST", edit_cadre, ok=302, data=lambda ctx, c: edit_form(ctx.cadre(c)), check=cadre_changed
            ),
            Call(
                "POST",
                move_cadre_to_b,
                ok=302,
                label="POST-move-to-B",
                check=cadre_moved,
                data=lambda ctx, c: edit_form(ctx.cadre(c), region=B_VILLAGE),
            ),
        ),
    ),
    "people:reveal": Endpoint(
        targets=CADRE_NAMES,
        kwargs=lambda ctx, c: {**pk_of_cadre(ctx, c), "field": "id_number"},
        calls=(Call("POST", reveal_cadre, check=revealed),),
    ),
    "accounts:list": Endpoint(
        targets=FILTERS, calls=(Call("GET", accounts_list, query=region_filter("region")),)
    ),
    "accounts:create": Endpoint(
        targets=NEW_ACCOUNT_REGIONS,
        calls=(
            Call("GET", accounts_only(signed_in), targets=(None,)),
            Call("POST", create_account, ok=302, data=new_account_form, check=account_created),
        ),
    ),
    "accounts:detail": Endpoint(targets=ACCOUNTS, kwargs=pk_of_account, calls=(Call("GET", read_account),)),
    "accounts:action": Endpoint(
        targets=ACCOUNTS,
        kwargs=pk_of_account,
        calls=(
            Call(
                "POST",
                manage_account,
                ok=302,
                label="POST-deactivate",
                check=deactivated,
                url_kwargs=(("action", "deactivate"),),
            ),
            Call(
                "POST",
                manage_account,
                ok=302,
                label="POST-activate",
                prepare=make_inactive,
                check=activated,
                url_kwargs=(("action", "activate"),),
            ),
            Call(
                "POST",
                manage_account,
                ok=302,
                label="POST-profile",
                check=profile_changed,
                data=lambda ctx, a: {"display_name": MARK, "email": ""},
                url_kwargs=(("action", "profile"),),
            ),
            Call(
                "POST",
                grant_at(GRANT_IN),
                ok=302,
                label="POST-grant-in-A",
                check=role_granted(GRANT_IN),
                data=lambda ctx, a: {"role": "mentor", "region": GRANT_IN},
                url_kwargs=(("action", "grant"),),
            ),
            Call(
                "POST",
                grant_at(GRANT_OUT),
                ok=302,
                label="POST-grant-in-B",
                check=role_granted(GRANT_OUT),
                data=lambda ctx, a: {"role": "mentor", "region": GRANT_OUT},
                url_kwargs=(("action", "grant"),),
            ),
        ),
    ),
    # API
    "api:token": Endpoint(
        api=True,
        calls=(
            Call(
                "POST",
                lambda ctx, t: INVALID if ctx.actor is None else OK,
                public=True,
                check=token_issued,
                data=lambda ctx, t: (
                    {"username": ctx.actor.username, "password": PASSWORD}
                    if ctx.actor
                    else {"username": "province", "password": "wrong-password"}
                ),
            ),
        ),
    ),
    "api:me": Endpoint(api=True, calls=(Call("GET", signed_in, check=me_is_actor),)),
    "api:schema": Endpoint(api=True, calls=(Call("GET", signed_in),)),
    "api:docs": Endpoint(api=True, calls=(Call("GET", signed_in),)),
    "api:region-list": Endpoint(
        api=True,
        targets=FILTERS,
        calls=(
            Call("GET", read_region, query=region_filter("within"), check=api_lists_visible_regions),
            Call("GET", read_region, label="GET-parent", query=region_filter("parent")),
        ),
    ),
    "api:region-detail": Endpoint(
        api=True, targets=REGIONS, kwargs=code_kw, calls=(Call("GET", read_region),)
    ),
    "api:region-counts": Endpoint(
        api=True, targets=REGIONS, kwargs=code_kw, calls=(Call("GET", read_region),)
    ),
    "api:cadre-list": Endpoint(
        api=True,
        targets=FILTERS,
        calls=(
            Call("GET", read_region, query=region_filter("region"), check=api_lists_exactly_visible_cadres),
            Call(
                "POST",
                create_cadre,
                ok=201,
                data=lambda ctx, code: new_cadre_form(ctx, code, api=True),
                check=cadre_created,
                targets=NEW_CADRE_REGIONS,
            ),
        ),
    ),
    "api:cadre-detail": Endpoint(
        api=True,
        targets=CADRE_NAMES,
        kwargs=pk_of_cadre,
        calls=(
            Call("GET", read_cadre, check=shows_cadre_masked),
            Call("PATCH", edit_cadre, data=lambda ctx, c: {"org_unit": MARK}, check=cadre_changed),
            Call(
                "PUT", edit_cadre, data=lambda ctx, c: edit_form(ctx.cadre(c), api=True), check=cadre_changed
            ),
            Call(
                "PATCH",
                move_cadre_to_b,
                label="PATCH-move-to-B",
                data=lambda ctx, c: {"region": B_VILLAGE},
                check=cadre_moved,
            ),
        ),
    ),
    "api:cadre-reveal": Endpoint(
        api=True,
        targets=CADRE_NAMES,
        kwargs=pk_of_cadre,
        calls=(Call("POST", reveal_cadre, data=lambda ctx, c: {"field": "id_number"}, check=revealed),),
    ),
    "api:user-list": Endpoint(
        api=True,
        targets=FILTERS,
        calls=(
            Call("GET", accounts_list, query=region_filter("region"), check=api_lists_visible_accounts),
            Call(
                "POST",
                create_account,
                ok=201,
                data=new_account_form,
                check=account_created,
                targets=NEW_ACCOUNT_REGIONS,
            ),
        ),
    ),
    "api:user-detail": Endpoint(
        api=True,
        targets=ACCOUNTS,
        kwargs=pk_of_account,
        calls=(
            Call("GET", read_account),
            Call("PATCH", manage_account, data=lambda ctx, a: {"display_name": MARK}, check=profile_changed),
            Call(
                "PUT",
                manage_account,
                data=lambda ctx, a: {"display_name": MARK, "email": ""},
                check=profile_changed,
            ),
        ),
    ),
    "api:user-roles": Endpoint(
        api=True,
        targets=ACCOUNTS,
        kwargs=pk_of_account,
        calls=(
            Call(
                "POST",
                grant_at(GRANT_IN),
                ok=201,
                label="POST-in-A",
                check=role_granted(GRANT_IN),
                data=lambda ctx, a: {"role": "mentor", "region": GRANT_IN},
            ),
            Call(
                "POST",
                grant_at(GRANT_OUT),
                ok=201,
                label="POST-in-B",
                check=role_granted(GRANT_OUT),
                data=lambda ctx, a: {"role": "mentor", "region": GRANT_OUT},
            ),
        ),
    ),
    "api:user-deactivate": Endpoint(
        api=True,
        targets=ACCOUNTS,
        kwargs=pk_of_account,
        calls=(Call("POST", manage_account, check=deactivated),),
    ),
    "api:user-activate": Endpoint(
        api=True,
        targets=ACCOUNTS,
        kwargs=pk_of_account,
        calls=(Call("POST", manage_account, prepare=make_inactive, check=activated),),
    ),
}

# Covered by the explicit tests at the end of this module.
SEPARATELY_TESTED = {"login", "logout", "set_language"}


# ---------------------------------------------------------------------------------------------------------------
# The guarded tables: a digest of every row, compared before and after each call.

GUARDED = {
    Person: None,
    PersonChange: None,
    RevealRecord: None,
    User: ["last_login"],  # signing in the persona touches it; nothing else may change
    RoleAssignment: None,
    Region: None,
}


def digest(guarded=None) -> dict[str, tuple[int, str]]:
    result = {}
    for model, skip in (guarded or GUARDED).items():
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in (skip or [])]
        rows = list(model.objects.order_by("pk").values_list(*names))
        result[model.__name__] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return result


# ---------------------------------------------------------------------------------------------------------------
# The generated cases (build_cases and run_case serve tests/test_permission_matrix_pool.py too).


@dataclass(frozen=True)
class Case:
    persona: str
    url_name: str
    target: object
    call: Call = field(compare=False)
    endpoint: Endpoint = field(compare=False, repr=False, default=None)

    @property
    def id(self) -> str:
        parts = [self.persona, self.url_name]
        if self.target is not None:
            parts.append(self.target)
        elif len(targets_of(self.endpoint, self.call)) > 1:
            parts.append("unfiltered")
        return "-".join([*parts, self.call.name])


def targets_of(endpoint: Endpoint, call: Call) -> tuple:
    return call.targets if call.targets is not None else endpoint.targets


def build_cases(coverage: dict[str, Endpoint], personas=PERSONAS) -> list[Case]:
    """Every call of every endpoint, on each of its targets, for each persona."""
    return [
        Case(persona, name, target, call, endpoint)
        for name, endpoint in coverage.items()
        for call in endpoint.calls
        for target in targets_of(endpoint, call)
        for persona in personas
    ]


CASES = build_cases(COVERAGE)


@pytest.fixture
def ctx(world) -> Ctx:
    return Ctx(world=world, cadre_far=PersonFactory(name="赵西湖", region=region(FAR_TOWNSHIP)))


def _expected(case: Case, ctx: Ctx) -> Outcome:
    if ctx.actor is None and not case.call.public:
        return LOGIN
    return case.call.rule(ctx, case.target)


def _request(case: Case, ctx: Ctx, client):
    endpoint = case.endpoint
    kwargs = {**endpoint.kwargs(ctx, case.target), **dict(case.call.url_kwargs)}
    url = reverse(case.url_name, kwargs=kwargs)
    query = case.call.query(ctx, case.target) if case.call.query else {}
    data = case.call.data(ctx, case.target) if case.call.data else {}
    if case.call.method == "GET":
        return client.get(url, query)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    send = getattr(client, case.call.method.lower())
    if not endpoint.api:
        return send(url, data)
    has_file = any(hasattr(value, "read") for value in data.values())
    return send(url, data, format="multipart" if has_file else "json")


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_permission_matrix(case: Case, ctx, client):
    run_case(case, ctx, client)


def run_case(case: Case, ctx: Ctx, client, guarded=None) -> None:
    """Sign the persona in, make the call and compare the outcome and the guarded tables with the rules."""
    ctx.persona = case.persona
    endpoint = case.endpoint
    if endpoint.api:
        client = APIClient()
        if ctx.actor is not None:
            client.force_authenticate(ctx.actor)
    elif ctx.actor is not None:
        client.force_login(ctx.actor)
    if case.call.prepare:
        case.call.prepare(ctx, case.target)
    expected = _expected(case, ctx)
    before = digest(guarded)

    response = _request(case, ctx, client)

    status = response.status_code
    if expected is OK:
        assert status == case.call.ok, f"expected {case.call.ok}, got {status}"
        if case.call.check:
            case.call.check(ctx, case.target, response)
        if not case.call.writes or case.call.check is None:
            assert digest(guarded) == before, "a read changed the guarded tables"
        return
    if expected is LOGIN and not endpoint.api:
        assert status == 302 and response["Location"].startswith(reverse("login")), status
    elif expected is LOGIN:
        assert status in (401, 403), status
    elif expected is INVALID and not endpoint.api:
        assert status == 200, f"expected the form again with its errors (200), got {status}"
    else:
        assert status == int(expected.value), f"expected {expected.value}, got {status}"
    assert digest(guarded) == before, "a denied call changed the guarded tables"


# ---------------------------------------------------------------------------------------------------------------
# Every URL pattern is covered, and every method it serves is exercised.


def _patterns(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, inner)
        else:
            yield f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}", pattern


def _skipped(name: str, pattern: URLPattern) -> bool:
    return name.startswith("admin:") or pattern.callback.__module__ in (
        "django.contrib.staticfiles.views",
        "django.views.static",
    )


def _served_methods(callback) -> set[str]:
    if getattr(callback, "actions", None):  # a DRF viewset route
        allowed = getattr(callback.cls, "http_method_names", [])
        return {m for m in callback.actions if m in allowed} - {
            "head",
            "options",
        }  # DRF adds head on first GET
    view = getattr(callback, "view_class", None)
    if view is None:
        return set()  # function views declare their methods with decorators; the matrix exercises them
    served = {m for m in view.http_method_names if hasattr(view, m)} - {"head", "options"}
    if getattr(view, "put", None) is ProcessFormView.put:
        served.discard("put")  # a form view's PUT is its POST
    return served


def all_coverage() -> dict[str, Endpoint]:
    """This module's COVERAGE and that of every other matrix module (``test_permission_matrix_*.py``).

    The pool's module declares ``POOL_COVERAGE``; later ones declare ``MATRIX_COVERAGE``.
    """
    from importlib import import_module
    from pathlib import Path

    merged = dict(COVERAGE)
    for path in sorted(Path(__file__).parent.glob("test_permission_matrix_*.py")):
        module = import_module(f"{__package__}.{path.stem}")
        coverage = getattr(module, "POOL_COVERAGE", None) or getattr(module, "MATRIX_COVERAGE", {})
        twice = set(merged) & set(coverage)
        assert not twice, f"URLs declared in two matrices: {sorted(twice)}"
        merged.update(coverage)
    return merged


def test_every_url_is_covered():
    enumerated = {name for name, pattern in _patterns() if not _skipped(name, pattern)}
    declared = set(all_coverage()) | SEPARATELY_TESTED
    assert not enumerated - declared, (
        f"URLs without a permission-matrix entry: {sorted(enumerated - declared)}"
    )
    assert not declared - enumerated, f"stale permission-matrix entries: {sorted(declared - enumerated)}"


def test_every_served_method_is_exercised():
    coverage = all_coverage()
    missing = []
    for name, pattern in _patterns():
        if name in coverage:
            exercised = {c.method.lower() for c in coverage[name].calls}
            missing += [f"{name} {m.upper()}" for m in _served_methods(pattern.callback) - exercised]
    assert not missing, f"methods the matrix never calls: {sorted(set(missing))}"


@pytest.mark.django_db
def test_matrix_cannot_pass_vacuously(ctx):
    """Every outcome occurs, and county admin A meets both an allowed and a hidden target on each object URL."""
    outcomes, per_endpoint = set(), {}
    for case in CASES:
        ctx.persona = case.persona
        outcome = _expected(case, ctx)
        outcomes.add(outcome)
        if case.persona == "county_admin_a":
            per_endpoint.setdefault(case.url_name, set()).add(outcome)
    assert outcomes == set(Outcome)
    for name, endpoint in COVERAGE.items():
        if endpoint.targets != (None,) and name != "regions:lookup":
            assert {OK, HIDDEN} <= per_endpoint[name], name


# ---------------------------------------------------------------------------------------------------------------
# County A against county B, one by one (the named cases), and counts limited to the scope.


@pytest.fixture
def admin_a(client, world):
    client.force_login(world.county_admin_a)
    return client


@pytest.fixture
def api_a(world):
    api = APIClient()
    api.force_authenticate(world.county_admin_a)
    return api


def test_county_a_cannot_reach_county_b_by_url_id_filter_or_choice(admin_a, api_a, world):
    cadre_b = world.cadre_b
    before = digest()
    assert admin_a.get(f"/cadres/{cadre_b.pk}/").status_code == 404
    assert admin_a.get(f"/cadres/{cadre_b.pk}/edit/").status_code == 404
    assert admin_a.post(f"/cadres/{cadre_b.pk}/reveal/id_number/").status_code == 404
    assert api_a.get(f"/api/cadres/{cadre_b.pk}/").status_code == 404
    assert api_a.patch(f"/api/cadres/{cadre_b.pk}/", {"org_unit": MARK}, format="json").status_code == 404
    assert (
        api_a.post(f"/api/cadres/{cadre_b.pk}/reveal/", {"field": "id_number"}, format="json").status_code
        == 404
    )
    assert admin_a.get("/cadres/", {"region": "330521"}).status_code == 404
    assert admin_a.get("/cadres/", {"region": "330521", "export": "csv"}).status_code == 404
    assert api_a.get("/api/cadres/", {"region": "330521"}).status_code == 404
    assert admin_a.post("/cadres/new/", new_cadre_form(None, B_VILLAGE)).status_code == 404
    assert (
        api_a.post("/api/cadres/", new_cadre_form(None, B_VILLAGE, api=True), format="json").status_code
        == 404
    )
    assert admin_a.post("/accounts/new/", new_account_form(None, "330521")).status_code == 404
    assert api_a.post("/api/users/", new_account_form(None, "330521"), format="json").status_code == 404
    assert admin_a.get("/regions/330521/").status_code == 404
    assert api_a.get("/api/regions/330521/").status_code == 404
    assert api_a.get("/api/regions/330521/counts/").status_code == 404
    assert admin_a.post("/regions/switch/", {"code": "330521"}).status_code == 404
    assert digest() == before
    assert not RevealRecord.objects.exists() and not Person.objects.filter(name=MARK).exists()
    assert Person.objects.get(pk=cadre_b.pk).org_unit != MARK


def test_county_a_can_do_the_same_in_county_a(admin_a, api_a, world):
    """The mirror of the test above, so that its 404s cannot come from broken URLs or payloads."""
    cadre_a = world.cadre_a
    assert admin_a.get(f"/cadres/{cadre_a.pk}/").status_code == 200
    assert api_a.patch(f"/api/cadres/{cadre_a.pk}/", {"org_unit": MARK}, format="json").status_code == 200
    assert (
        api_a.post(f"/api/cadres/{cadre_a.pk}/reveal/", {"field": "id_number"}, format="json").status_code
        == 200
    )
    assert admin_a.get("/cadres/", {"region": "330523"}).status_code == 200
    assert admin_a.post("/cadres/new/", new_cadre_form(None, "330523205201")).status_code == 302
    account = new_account_form(None, "330523205")
    assert api_a.post("/api/users/", account, format="json").status_code == 201
    assert admin_a.get("/regions/330523/").status_code == 200
    assert RevealRecord.objects.filter(person=cadre_a).count() == 1
    assert Person.objects.filter(name=MARK, region__code="330523205201").count() == 1


def _home_cadres(client, user) -> int:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.context["total"].cadres


@pytest.mark.parametrize(
    ("persona", "cadres"),
    [
        ("county_admin_b", 1),  # cadre_b only; none of county A's five
        ("county_admin_a", 4),
        ("township_a", 3),  # 上墅乡: cadre_a, mentor_person, apprentice_person
        ("auditor", 5),  # 湖州市: both counties
        ("apprentice", 1),  # own record, though cadre_a works in the same village
        ("mentor", 1),
    ],
)
def test_home_counts_only_what_is_in_scope(client, ctx, persona, cadres):
    assert _home_cadres(client, getattr(ctx.world, persona)) == cadres


def test_region_pages_and_api_counts_only_what_is_in_scope(client, world):
    api = APIClient()
    api.force_authenticate(world.apprentice)
    counts = api.get("/api/regions/330523205201/counts/").json()
    assert counts["total"]["cadres"] == 1
    api.force_authenticate(world.auditor)
    counts = api.get("/api/regions/330500/counts/").json()
    assert {row["code"]: row["cadres"] for row in counts["children"]}["330521"] == 1
    assert counts["total"]["cadres"] == 5
    client.force_login(world.county_admin_b)
    response = client.get("/regions/330521/")
    assert response.status_code == 200 and response.context["total"].cadres == 1
    client.force_login(world.township_a)
    response = client.get("/regions/330523205/")
    assert response.status_code == 200 and response.context["total"].cadres == 3


# ---------------------------------------------------------------------------------------------------------------
# The URLs kept out of the matrix: sign-in, sign-out, language; and the API's schema and docs behind login.


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_api_schema_and_docs_need_login(client, world, url):
    response = client.get(url)
    assert response.status_code in (401, 403) or (
        response.status_code == 302 and response["Location"].startswith("/login/")
    )
    for persona in PERSONAS[:-1]:
        client.force_login(getattr(world, persona))
        assert client.get(url).status_code == 200, persona


def test_login(client, world):
    assert client.get("/login/").status_code == 200
    before = digest()
    response = client.post("/login/", {"username": "anji", "password": "wrong-password"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert digest() == before
    response = client.post("/login/", {"username": "anji", "password": PASSWORD})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == world.county_admin_a.pk
    assert client.get("/login/").status_code == 302  # a signed-in user is sent on


def test_logout(client, world):
    client.force_login(world.township_a)
    assert client.get("/logout/").status_code == 405  # signing out takes a POST (CSRF-protected)
    assert "_auth_user_id" in client.session
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("persona", PERSONAS)
def test_set_language_changes_nothing_but_the_language(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = digest()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert digest() == before


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
