"""Shared fixtures: the real jurisdiction tree loaded once, villages for two counties, and the personas."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.management import call_command

from bangdai.accounts.choices import Role
from bangdai.regions import services as region_services

from .factories import PersonFactory, region, user_with_role

# Villages of 上墅乡 (安吉县, county A), 孝丰镇 (安吉县) and 武康街道 (德清县, county B).
TEST_VILLAGES = [
    {"code": "330523205201", "name": "上墅村", "parent_code": "330523205", "lng": "119.62", "lat": "30.52"},
    {"code": "330523205202", "name": "刘家塘村", "parent_code": "330523205", "lng": "119.60", "lat": "30.50"},
    {"code": "330523105201", "name": "横溪坞村", "parent_code": "330523105", "lng": "119.55", "lat": "30.60"},
    {"code": "330521002001", "name": "永安社区", "parent_code": "330521002", "lng": "119.96", "lat": "30.54"},
    {"code": "330521002201", "name": "上柏村", "parent_code": "330521002", "lng": "119.93", "lat": "30.55"},
]
PASSWORD = "correct-horse-9"


def load_test_tree() -> None:
    region_services.load_divisions()
    region_services.load_abolished()
    region_services.import_villages(TEST_VILLAGES, source="tests")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_test_tree()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Test transactions roll back, so on-commit cache invalidation never runs: start each test clean.
    cache.clear()


@dataclass
class World:
    """The personas and one cadre in each place the personas' scopes differ."""

    province_admin: object
    county_admin_a: object
    county_admin_b: object
    township_a: object
    mentor: object
    apprentice: object
    auditor: object
    cadre_a: object  # in 上墅乡, 安吉县 (county A)
    cadre_a2: object  # in 孝丰镇, 安吉县 (county A, another township)
    cadre_b: object  # in 武康街道, 德清县 (county B)
    mentor_person: object
    apprentice_person: object

    def personas(self) -> dict[str, object]:
        return {
            "province_admin": self.province_admin,
            "county_admin_a": self.county_admin_a,
            "county_admin_b": self.county_admin_b,
            "township_a": self.township_a,
            "mentor": self.mentor,
            "apprentice": self.apprentice,
            "auditor": self.auditor,
            "anonymous": None,
        }


def make_world() -> World:
    """The personas and their cadres (the ``world`` fixture; also built once per module by some test modules)."""
    cadre_a = PersonFactory(name="张上墅", region=region("330523205201"))
    cadre_a2 = PersonFactory(name="李孝丰", region=region("330523105201"))
    cadre_b = PersonFactory(name="王武康", region=region("330521002201"))
    mentor_person = PersonFactory(name="陈导师", region=region("330523205202"))
    apprentice_person = PersonFactory(name="吴徒弟", region=region("330523205201"))
    return World(
        province_admin=user_with_role("province", Role.ORG_ADMIN, "330000"),
        county_admin_a=user_with_role("anji", Role.ORG_ADMIN, "330523"),
        county_admin_b=user_with_role("deqing", Role.ORG_ADMIN, "330521"),
        township_a=user_with_role("shangshu", Role.TOWNSHIP, "330523205"),
        mentor=user_with_role("mentor", Role.MENTOR, "330523205202", person=mentor_person),
        apprentice=user_with_role("apprentice", Role.APPRENTICE, "330523205201", person=apprentice_person),
        auditor=user_with_role("auditor", Role.AUDITOR, "330500"),
        cadre_a=cadre_a,
        cadre_a2=cadre_a2,
        cadre_b=cadre_b,
        mentor_person=mentor_person,
        apprentice_person=apprentice_person,
    )


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def village_a():
    return region("330523205201")


@pytest.fixture
def threads_db(transactional_db, django_db_blocker):
    """Committed transactions for tests that write from several threads.

    A transactional test ends by flushing every table, so the jurisdiction tree is reloaded (committed) when a
    test starts without it. pytest-django runs these tests after all the rolled-back ones.
    """
    from bangdai.regions.models import Region

    with django_db_blocker.unblock():
        if not Region.objects.exists():
            load_test_tree()


# ---------------------------------------------------------------------------------------------- browser tests
# One runserver on one demo database for the whole session, shared by every browser test module.


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from .servers import start_app

    yield from start_app(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    from .servers import CHROMIUM, CHROMIUM_ARGS, need

    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_errors():
    from .servers import BrowserErrors

    return BrowserErrors()


@pytest.fixture
def new_context(chromium, app, browser_errors):
    """A factory of fresh browser contexts (own cookies) whose console errors land in ``browser_errors``."""
    from .servers import TIMEOUT_MS

    contexts = []

    def open_context(locale: str = "zh-CN"):
        context = chromium.new_context(
            base_url=app.url, locale=locale, viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", browser_errors.on_console)
        context.on("weberror", browser_errors.on_web_error)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not browser_errors.errors, "browser errors:\n" + "\n".join(browser_errors.errors)


# ---------------------------------------------------------------------------------------------- parallel runs
# With pytest-xdist (`make test` runs two workers), the browser tests share one demo server and the production
# tests one Redis database: each kind stays on a single worker (`--dist loadgroup`).


def pytest_collection_modifyitems(config, items):
    for item in items:
        for kind in ("browser", "production"):
            if item.get_closest_marker(kind):
                item.add_marker(pytest.mark.xdist_group(kind))
