"""Production mode for real: two gunicorn processes sharing one database and one Redis cache.

The overview counts are cached in Redis; a write through one process must be visible through the other at once
(the write bumps the shared generation). Runs against PostgreSQL when BANGDAI_DATABASE_URL points there.
"""

import base64
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .servers import BIN, ROOT, bangdai, free_port, need, stop, wait_until_up

REDIS_URL = os.environ.get("BANGDAI_REDIS_TEST_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.production


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        return None
    return client


def _database_url(tmp_path: Path) -> str:
    url = os.environ.get("BANGDAI_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'production.sqlite3'}"
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_production_test"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    client = _redis()
    need(client is not None, f"Redis at {REDIS_URL}")
    client.flushdb()
    tmp = tmp_path_factory.mktemp("production")
    env = {
        **os.environ,
        "BANGDAI_ENV": "production",
        "BANGDAI_SECRET_KEY": secrets.token_urlsafe(50),
        "BANGDAI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BANGDAI_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "BANGDAI_DATABASE_URL": _database_url(tmp),
        "BANGDAI_REDIS_URL": REDIS_URL,
        "BANGDAI_STATIC_ROOT": str(tmp / "static"),
        "BANGDAI_SECURE_COOKIES": "false",
        "BANGDAI_LOG_LEVEL": "ERROR",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["demo", "--scale", "county"],
    ):
        bangdai(*command, env=env)
    yield env, client
    client.flushdb()


@pytest.fixture(scope="module")
def two_processes(production_env):
    env, redis_client = production_env
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--log-level",
                "error",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/login/", f"gunicorn on {port}")
        yield [f"http://127.0.0.1:{port}" for port in ports], redis_client
    finally:
        for proc in procs:
            stop(proc)


def _id_number(first16: str) -> str:
    from stdnum.cn import ric

    body = first16 + "2"  # even 17th digit: a woman
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last character


def _token(base: str, username: str) -> str:
    body = urllib.parse.urlencode({"username": username, "password": "bangdai-demo-2026"}).encode()
    with urllib.request.urlopen(f"{base}/api/auth/token/", data=body, timeout=10) as response:  # noqa: S310
        return json.load(response)["token"]


def _api(base: str, token: str, path: str, payload: dict | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310
        f"{base}{path}",
        data=json.dumps(payload).encode() if payload is not None else None,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{path}: {error.code} {error.read().decode()[:500]}") from None


def test_counts_cached_in_redis_are_fresh_across_processes(two_processes):
    (a, b), redis_client = two_processes
    token = _token(a, "anji")
    before = _api(b, token, "/api/regions/330523/counts/")
    assert before["total"]["cadres"] > 1000
    keys = [k.decode() for k in redis_client.keys("bangdai:*counts:*")]
    assert keys, "the counts were not cached in Redis"
    # The same request through the other process is served from the shared cache.
    assert _api(a, token, "/api/regions/330523/counts/") == before

    village = _api(a, token, "/api/regions/?parent=330523205&level=5")["results"][0]["code"]
    _api(
        a,
        token,
        "/api/cadres/",
        {
            "name": "新干部",
            "gender": "F",
            "birth_date": "1996-05-04",
            "id_number": _id_number("3305231996050400"),
            "phone": "13900001234",
            "political_status": "party_member",
            "education": "bachelor",
            "region": village,
            "position": "committee_member",
            "cadre_type": "village_cadre",
            "entry_date": "2020-07-01",
        },
    )
    after = _api(b, token, "/api/regions/330523/counts/")
    assert after["total"]["cadres"] == before["total"]["cadres"] + 1


def test_sessions_work_across_processes_and_debug_is_off(two_processes):
    (a, b), _redis_client = two_processes
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{a}/login/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": "anji", "password": "bangdai-demo-2026", "csrfmiddlewaretoken": csrf}
    )
    request = urllib.request.Request(f"{a}/login/", data=form.encode(), headers={"Referer": f"{a}/login/"})  # noqa: S310
    opener.open(request, timeout=10)
    home = opener.open(f"{b}/", timeout=10)
    assert home.url == f"{b}/"  # signed in on the other process: no redirect to the login page
    assert "安吉县" in home.read().decode()
    with pytest.raises(urllib.error.HTTPError) as missing:
        opener.open(f"{b}/no-such-page/", timeout=10)
    assert missing.value.code == 404
    assert "Traceback" not in missing.value.read().decode()


def test_production_refuses_to_start_without_its_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGDAI_")} | {
        "BANGDAI_ENV": "production"
    }
    result = subprocess.run(
        [str(BIN / "bangdai"), "check"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0
    for name in ("BANGDAI_SECRET_KEY", "BANGDAI_ALLOWED_HOSTS", "BANGDAI_DATABASE_URL", "BANGDAI_DATA_KEY"):
        assert name in result.stderr
