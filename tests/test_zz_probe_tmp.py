import json
import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from tests.conftest import PASSWORD

def test_probe(client, world):
    r = client.post("/api/auth/token/", {"username": "anji", "password": "bad"})
    print("TOKEN BAD", r.status_code, r.content.decode())
    r = client.post("/api/auth/token/", {"username": "anji", "password": PASSWORD})
    print("TOKEN OK", r.status_code, r.content.decode())
    client.force_login(world.county_admin_a)
    r = client.post("/api/cadres/", {}, content_type="application/json")
    print("EMPTY", r.status_code, r.content.decode())
    r = client.post("/api/cadres/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    print("EMPTY EN", r.status_code, r.content.decode())
    r = client.get("/api/schema/?format=json")
    print("SCHEMA", r.status_code, r["Content-Type"], r.content[:200])
    r = client.get("/api/schema/")
    print("SCHEMA", r.status_code, r["Content-Type"], r.content[:100])
    r = client.get("/api/docs/")
    print("DOCS", r.status_code, r.content[:300])
    r = client.get("/api/cadres/")
    print("LIST", r.content.decode()[:600])
    with CaptureQueriesContext(connection) as c:
        r = client.get("/cadres/")
    print("CADRES page", r.status_code, len(c))
    for q in c.captured_queries: print("  ", q["sql"][:150])
    r = client.get("/cadres/?export=csv")
    print(b"".join(r.streaming_content).decode())
    client.logout()
    r = client.get("/api/docs/")
    print("DOCS anon", r.status_code, r.content[:300])
    r = client.get("/api/schema/")
    print("SCHEMA anon", r.status_code, r.content[:300])
