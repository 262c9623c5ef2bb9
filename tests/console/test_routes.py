"""The console's routes on the real app: sign-in, sessions, CSRF, roles, teams, and bad input.

The app runs in-process (its lifespan migrates a fresh SQLite database); cases are written to
the database as the handoff would write them. No bot is needed for these routes.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from console.accounts import Accounts
from console.routes import COOKIE, FAILED_SIGN_IN_DELAY_SECONDS
from core.crypto import Sealer
from core.records.db import Database
from core.records.models import Conversation, Handoff, utcnow
from core.teams import Teams
from launcher.scratch import scratch_settings
from webapp.factory import create_app

PASSWORD = "a long console password"
ROLES = {"olive": ("operator", ["th-1300"]), "lao": ("operator", ["la-1362"]), "sam": ("supervisor", []),
         "ada": ("admin", []), "tia": ("trainer", [])}  # fmt: skip


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    settings = scratch_settings(tmp_path_factory.mktemp("var"))
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        database = Database(settings.resolved_database_url())
        accounts = Accounts(database, Teams.load().ids())
        for username, (role, teams) in ROLES.items():
            accounts.add(username, username.title(), PASSWORD, role, teams)
        yield client, database, Sealer(settings.encryption_key.get_secret_value())
        database.dispose()


def signed_in(client: TestClient, username: str) -> dict[str, str]:
    """Sign in; return the headers a state change needs (the cookie stays in the client)."""
    client.cookies.clear()
    answer = client.post("/console/api/sign-in", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": answer.json()["csrf"]}


def new_case(database: Database, sealer: Sealer, team: str = "th-1300", channel: str = "webchat") -> str:
    case_id = f"case{time.monotonic_ns()}"[-16:]
    with database.session() as session:
        session.add(Conversation(id=case_id, channel=channel, language="th", language_chosen=True))
        address = sealer.seal("token-" + case_id)
        session.add(Handoff(id=case_id, conversation_id=case_id, channel=channel, address=address, language="th",
                            risk="urgent", urgent=True, families=["confinement"], reason="urgent", team=team,
                            state="queued", requested_at=utcnow(), queued_at=utcnow()))  # fmt: skip
        session.commit()
    return case_id


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every console API route but sign-in, from the app's OpenAPI document."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path.replace("{case_id}", "x").replace("{ref}", "x"))
        for path, operations in paths.items()
        if path.startswith("/console/api/") and path != "/console/api/sign-in"
        for method in operations
    ]


def test_every_console_route_refuses_an_anonymous_request(console):
    client, _, _ = console
    client.cookies.clear()
    routes = api_routes(client)
    assert len(routes) >= 15
    for method, path in routes:
        answer = client.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.json() == {"error": "sign_in_required"}


def test_a_forged_or_stale_cookie_is_refused(console):
    client, _, _ = console
    client.cookies.clear()
    for forged in ("x", "a" * 43, "a" * 5000, "'; DROP TABLE operators; --"):
        client.cookies.set(COOKIE, forged, path="/console")
        assert client.get("/console/api/me").status_code == 401
        client.cookies.clear()


def test_sign_in_sets_a_strict_http_only_cookie_and_never_returns_the_hash(console):
    client, _, _ = console
    client.cookies.clear()
    answer = client.post("/console/api/sign-in", json={"username": "olive", "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert "argon2" not in answer.text and PASSWORD not in answer.text
    me = client.get("/console/api/me").json()
    assert me["role"] == "operator" and me["teams"] == ["th-1300"]


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        ("olive", ["/console/api/queue", "/console/api/live"], ["/console/api/dashboard", "/console/api/audit"]),
        ("sam", ["/console/api/queue", "/console/api/dashboard", "/console/api/audit"], []),
        ("ada", ["/console/api/dashboard", "/console/api/audit"], ["/console/api/queue", "/console/api/live"]),
        # A trainer sees the training queue only: no live conversations, no statistics.
        (
            "tia",
            ["/console/api/me", "/console/api/queue"],
            ["/console/api/live", "/console/api/dashboard", "/console/api/audit"],
        ),
    ],
)
def test_roles_are_enforced_route_by_route(console, username, allowed, refused):
    client, _, _ = console
    signed_in(client, username)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        answer = client.get(path)
        assert (answer.status_code, answer.json()) == (403, {"error": "forbidden"}), path


def test_a_state_change_needs_the_csrf_token_json_and_this_sites_origin(console):
    client, _, _ = console
    headers = signed_in(client, "olive")
    assert client.post("/console/api/duty", json={"on_duty": True}).status_code == 403
    assert (
        client.post("/console/api/duty", json={"on_duty": True}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    )
    cross_site = {**headers, "Origin": "https://evil.example"}
    assert client.post("/console/api/duty", json={"on_duty": True}, headers=cross_site).status_code == 403
    form = client.post("/console/api/duty", data={"on_duty": "true"}, headers=headers)
    assert form.status_code == 415
    same_site = {**headers, "Origin": "http://testserver"}
    answer = client.post("/console/api/duty", json={"on_duty": True}, headers=same_site)
    assert answer.status_code == 200 and answer.json()["on_duty"] is True
    client.post("/console/api/duty", json={"on_duty": False}, headers=headers)


def test_an_operator_sees_and_acts_only_on_their_teams_cases(console):
    client, database, sealer = console
    lao_case = new_case(database, sealer, team="la-1362")
    headers = signed_in(client, "olive")
    assert lao_case not in [case["id"] for case in client.get("/console/api/queue").json()["cases"]]
    assert client.get(f"/console/api/cases/{lao_case}").status_code == 403
    assert client.post(f"/console/api/cases/{lao_case}/claim", json={}, headers=headers).status_code == 403
    signed_in(client, "sam")
    assert lao_case in [case["id"] for case in client.get("/console/api/queue").json()["cases"]]


def test_another_operators_claimed_case_cannot_be_written_to_or_taken(console):
    client, database, sealer = console
    case_id = new_case(database, sealer)
    olive = signed_in(client, "olive")
    claimed = client.post(f"/console/api/cases/{case_id}/claim", json={}, headers=olive)
    assert claimed.status_code == 200 and claimed.json()["mine"] is True
    written = client.post(f"/console/api/cases/{case_id}/messages", json={"text": "ສະບາຍດີ"}, headers=olive)
    assert written.status_code == 201

    # A second operator of the same team (a supervisor here) may read it but not write in it.
    supervisor = signed_in(client, "sam")
    again = client.post(f"/console/api/cases/{case_id}/claim", json={}, headers=supervisor)
    assert (again.status_code, again.json()) == (409, {"error": "taken", "by": "Olive"})
    refused = client.post(f"/console/api/cases/{case_id}/messages", json={"text": "hi"}, headers=supervisor)
    assert refused.status_code == 409
    view = client.get(f"/console/api/cases/{case_id}").json()
    assert [entry["text"] for entry in view["transcript"]] == ["ສະບາຍດີ"]
    assert view["location"] is None and view["triage"] is None


def test_bad_input_to_case_routes_gets_a_clear_error(console):
    client, database, sealer = console
    case_id = new_case(database, sealer)
    headers = signed_in(client, "olive")
    client.post(f"/console/api/cases/{case_id}/claim", json={}, headers=headers)
    base = f"/console/api/cases/{case_id}"
    bad = [
        (f"{base}/messages", {"text": ""}, 422),
        (f"{base}/messages", {"text": "x" * 4001}, 422),
        (f"{base}/messages", {"text": 42}, 422),
        (f"{base}/messages", ["not", "an", "object"], 422),
        (f"{base}/close", {"outcome": "<script>alert(1)</script>"}, 400),
        (f"{base}/transfer", {"operator_id": 999999}, 400),
        ("/console/api/cases/does-not-exist/claim", {}, 404),
        ("/console/api/cases/" + "z" * 5000 + "/claim", {}, 404),
    ]
    for path, body, status in bad:
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == status, (path[:60], answer.status_code, answer.text[:200])
    broken = client.post(
        f"{base}/messages", content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert client.get("/console/api/dashboard?days=0").status_code in (400, 403)


def test_brute_force_sign_in_is_slowed_then_locked_even_for_the_right_password(console):
    client, _, _ = console
    client.cookies.clear()
    started = time.monotonic()
    for _ in range(5):
        answer = client.post("/console/api/sign-in", json={"username": "lao", "password": "guess guess guess"})
        assert answer.status_code in (401, 429)
    assert time.monotonic() - started >= 4 * FAILED_SIGN_IN_DELAY_SECONDS, "each refusal is slowed"
    locked = client.post("/console/api/sign-in", json={"username": "lao", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"] == "locked" and locked.json()["retry_after"] > 0
    unknown = client.post("/console/api/sign-in", json={"username": "nobody", "password": PASSWORD})
    assert unknown.status_code == 401 and unknown.json() == {"error": "invalid"}
    oversized = client.post("/console/api/sign-in", json={"username": "u" * 65, "password": PASSWORD})
    assert oversized.status_code == 422


def test_every_view_and_action_is_audited_without_content(console):
    client, database, sealer = console
    case_id = new_case(database, sealer)
    headers = signed_in(client, "olive")
    client.get(f"/console/api/cases/{case_id}")
    client.post(f"/console/api/cases/{case_id}/claim", json={}, headers=headers)
    client.post(f"/console/api/cases/{case_id}/messages", json={"text": "secret words"}, headers=headers)
    signed_in(client, "sam")
    entries = client.get("/console/api/audit").json()["entries"]
    mine = [(e["operator"], e["action"]) for e in entries if e["case"] == case_id]
    assert {("olive", "view_case"), ("olive", "claim"), ("olive", "message")} <= set(mine)
    assert "secret words" not in str(entries)


def test_the_dashboard_counts_without_personal_data(console):
    client, database, sealer = console
    new_case(database, sealer, team="vn-111")
    signed_in(client, "sam")
    figures = client.get("/console/api/dashboard?days=7").json()
    assert figures["total"] >= 1 and figures["by_risk"]["urgent"] >= 1
    assert figures["by_family"]["confinement"] >= 1 and set(figures["times"]) == {"alert", "claim", "first_message"}
    assert "token-" not in str(figures)


def test_the_console_page_is_served_with_a_strict_content_security_policy(console):
    client, _, _ = console
    page = client.get("/console")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text
    strings = client.get("/console/strings/th").json()
    assert strings["texts"]["sign_in"] and strings["languages"]["lo"]
    assert client.get("/console/strings/xx").status_code == 404


def test_only_a_trainer_opens_training_chats_and_a_forged_ticket_opens_nothing(console):
    client, database, _ = console
    for username in ("olive", "sam", "ada"):
        headers = signed_in(client, username)
        for path in ("/console/api/training/chats", "/console/api/training/end"):
            assert client.post(path, json={}, headers=headers).status_code == 403, (username, path)
    headers = signed_in(client, "tia")
    assert client.post("/console/api/training/chats", json={}).status_code == 403, "the CSRF token is needed"
    ticket = client.post("/console/api/training/chats", json={}, headers=headers).json()["url"].split("=", 1)[1]
    trainer, expires, nonce, signature = ticket.split(".")
    hostile = [
        f"{int(trainer) + 1}.{expires}.{nonce}.{signature}", f"{trainer}.{expires}.{nonce}.{'f' * 32}",
        "<script>alert(1)</script>", "x" * 5000, 42, {"ticket": ticket},
    ]  # fmt: skip
    with database.session() as session:
        before = session.query(Conversation).count()
    for forged in hostile:
        with client.websocket_connect("/chat/ws") as socket:
            socket.send_json({"type": "hello", "session": None, "language": "en", "training": forged})
            answer = socket.receive_json()
            assert (answer["type"], answer["code"]) == ("error", "invalid_training"), forged
    # A real session cannot be turned into a training chat by adding a genuine ticket later.
    with client.websocket_connect("/chat/ws") as socket:
        socket.send_json({"type": "hello", "session": "r" * 40, "language": "en", "training": ticket})
        assert socket.receive_json()["code"] == "training_ended"
    with database.session() as session:
        assert session.query(Conversation).count() == before, "nothing is stored for a refused hello"


def test_supervisors_and_admins_read_the_directory_with_stale_entries_and_gaps_flagged(console):
    client, _, _ = console
    signed_in(client, "olive")
    assert client.get("/console/api/directory").status_code == 403
    signed_in(client, "ada")
    listing = client.get("/console/api/directory").json()
    by_id = {line["id"]: line for line in listing["hotlines"]}
    assert by_id["th-1300"]["number"] == "1300" and by_id["kh-ahtjp"]["number"] is None
    assert listing["max_age_days"] == 180 and not by_id["th-1300"]["stale"]
    assert "women" in listing["gaps"]["TH"] and listing["gaps"]["MM"] == listing["allowed"]["groups"]


def test_an_admin_edits_adds_and_deletes_entries_and_each_change_is_audited(console):
    client, _, _ = console
    headers = signed_in(client, "ada")
    entry = {"id": "kh-ahtjp", "country": "KH", "number": "1288", "name": "National trafficking hotline",
             "agency": "Ministry of Interior", "topics": ["trafficking"], "primary": True,
             "source": "001_12a228effad58e98.txt L1250", "verified": "2026-11-24"}  # fmt: skip
    answer = client.put("/console/api/directory/kh-ahtjp", json=entry, headers=headers)
    assert answer.status_code == 200, answer.text
    listing = {line["id"]: line for line in client.get("/console/api/directory").json()["hotlines"]}
    assert listing["kh-ahtjp"]["number"] == "1288" and listing["kh-ahtjp"]["primary"]
    added = {**entry, "id": "kh-test-line", "primary": False, "verified": "2020-01-01"}
    assert client.put("/console/api/directory/kh-test-line", json=added, headers=headers).status_code == 200
    listing = {line["id"]: line for line in client.get("/console/api/directory").json()["hotlines"]}
    assert listing["kh-test-line"]["stale"], "an entry verified years ago is flagged"
    assert client.request("DELETE", "/console/api/directory/kh-test-line", json={}, headers=headers).status_code == 200
    signed_in(client, "sam")
    actions = [(e["action"], e["detail"]) for e in client.get("/console/api/audit").json()["entries"]]
    assert ("directory_save", "kh-ahtjp") in actions and ("directory_delete", "kh-test-line") in actions


ENTRY = {"id": "th-1506", "country": "TH", "number": "1506", "name": "x", "agency": "x", "topics": ["labour"],
         "source": "x L1", "verified": "2026-11-24"}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"id": "th-1506", "number": "1506"}, "missing"),
        ({"id": "th-9999"}, "the id does not match"),
        ({**ENTRY, "number": "<script>alert(1)</script>"}, "number must be digits"),
        ({**ENTRY, "name": "x" * 5000}, "at most 400"),
        ({**ENTRY, "id": "th-1300", "number": "1300", "primary": False}, "must stay primary"),
        ({str(n): n for n in range(30)}, "one JSON object"),
    ],
)
def test_a_wrong_directory_entry_is_refused_with_its_reason_and_changes_nothing(console, body, reason):
    client, _, _ = console
    headers = signed_in(client, "ada")
    before = client.get("/console/api/directory").json()["hotlines"]
    path = "/console/api/directory/" + ("th-1300" if body.get("id") == "th-1300" else "th-1506")
    answer = client.put(path, json=body, headers=headers)
    assert answer.status_code == 400 and reason in answer.json()["reason"], answer.text
    assert client.get("/console/api/directory").json()["hotlines"] == before


def test_a_directory_change_needs_the_csrf_token_and_a_team_line_cannot_be_deleted(console):
    client, _, _ = console
    headers = signed_in(client, "ada")
    assert client.request("DELETE", "/console/api/directory/th-1506", json={}).status_code == 403
    malformed = {**headers, "content-type": "application/json"}
    assert client.put("/console/api/directory/th-1506", content=b"[", headers=malformed).status_code == 400
    assert client.request("DELETE", "/console/api/directory/th-1300", json={}, headers=headers).status_code == 409
    assert client.request("DELETE", "/console/api/directory/xx-none", json={}, headers=headers).status_code == 404
