"""Staff sessions: a fresh cookie at every sign-in (fixation), sign-out ends the session on the
server, idle sessions end, five failures lock an account, and an unknown name is answered
exactly like a real one (same message, same hash check, same lockout)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.auth.tables import StaffSession, StaffUser
from core.settings import get_settings
from tests.factories import PASSWORD, Town, make_user

pytestmark = pytest.mark.db


def forget_process_memory() -> None:
    """What a second app process would not have: the rate-limit windows and every dict the
    sign-in code keeps at module level (the lockout must not live there)."""
    from core import ratelimit
    from core.auth import service

    ratelimit.reset_memory()
    for name, value in vars(service).items():
        if isinstance(value, dict) and not name.startswith("__"):  # not __builtins__
            value.clear()


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    forget_process_memory()


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD, cookies: dict[str, str] | None = None) -> httpx.Response:
    client.cookies.clear()
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else {}
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password}, headers=headers)


async def me(client: httpx.AsyncClient, token: str) -> int:
    client.cookies.clear()
    return (await client.get("/api/v1/auth/me", headers={"Cookie": f"jiefen_session={token}"})).status_code


async def test_sign_in_never_keeps_a_planted_session_id(client: httpx.AsyncClient, town: Town) -> None:
    planted = "attacker-chosen-" + uuid.uuid4().hex
    user = town.users["window"]
    first = await sign_in(client, user["username"], cookies={"jiefen_session": planted})
    assert first.status_code == 200
    token = first.cookies["jiefen_session"]
    assert token != planted and await me(client, planted) == 401 and await me(client, token) == 200
    # The admin's form too, and a second sign-in rotates the cookie again.
    client.cookies.clear()
    form = await client.post("/admin/login", data={"username": user["username"], "password": PASSWORD},
                             headers={"Cookie": f"jiefen_session={token}"}, follow_redirects=False)
    assert form.status_code == 303
    rotated = form.cookies["jiefen_session"]
    assert rotated not in (token, planted) and await me(client, rotated) == 200


async def test_sign_out_ends_the_session_on_the_server(client: httpx.AsyncClient, town: Town) -> None:
    resp = await sign_in(client, town.users["window"]["username"])
    token, csrf = resp.cookies["jiefen_session"], resp.json()["csrf_token"]
    client.cookies.clear()
    out = await client.post("/api/v1/auth/logout", headers={"Cookie": f"jiefen_session={token}", "X-CSRF-Token": csrf})
    assert out.status_code == 200 and "Max-Age=0" in out.headers["set-cookie"]
    assert await me(client, token) == 401  # replaying the old cookie fails
    # The admin's sign-out: the old cookie then only reaches the sign-in page.
    resp = await sign_in(client, town.users["window"]["username"])
    token, csrf = resp.cookies["jiefen_session"], resp.json()["csrf_token"]
    client.cookies.clear()
    out = await client.post("/admin/logout", headers={"Cookie": f"jiefen_session={token}", "X-CSRF-Token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    replay = await client.get("/admin/cases", headers={"Cookie": f"jiefen_session={token}"}, follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/admin/login")


async def test_an_idle_session_ends(client: httpx.AsyncClient, town: Town) -> None:
    from core.auth.service import token_digest

    resp = await sign_in(client, town.users["window"]["username"])
    token = resp.cookies["jiefen_session"]
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    await StaffSession.update({StaffSession.last_seen_at: datetime.now(UTC) - idle + timedelta(minutes=1)}).where(
        StaffSession.token_hash == token_digest(token))
    assert await me(client, token) == 200  # within the limit (and touched: the clock starts again)
    await StaffSession.update({StaffSession.last_seen_at: datetime.now(UTC) - idle - timedelta(minutes=1)}).where(
        StaffSession.token_hash == token_digest(token))
    assert await me(client, token) == 401
    row = await StaffSession.select(StaffSession.ended_at).where(StaffSession.token_hash == token_digest(token)).first()
    assert row["ended_at"] is not None
    # Ended for good: bringing last_seen_at back does not revive it.
    await StaffSession.update({StaffSession.last_seen_at: datetime.now(UTC)}).where(StaffSession.token_hash == token_digest(token))
    assert await me(client, token) == 401


async def test_five_failures_lock_known_and_unknown_names_alike(client: httpx.AsyncClient, town: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.auth import service

    checks: list[str] = []
    real = service._verify

    def counted(stored: str, password: str) -> bool:
        checks.append("dummy" if stored == service._DUMMY_HASH else "real")
        return real(stored, password)

    monkeypatch.setattr(service, "_verify", counted)
    user = await make_user(town.town, ["window_staff"], "锁定测试")
    unknown = f"nobody_{uuid.uuid4().hex[:8]}"
    answers: dict[str, list[tuple[int, str]]] = {}
    for name in (user["username"], unknown):
        answers[name] = []
        for _ in range(5):
            checks.clear()
            resp = await sign_in(client, name, "wrong password")
            answers[name].append((resp.status_code, resp.json()["detail"]))
            assert len(checks) == 1  # exactly one argon2 check on every path
        checks.clear()
        # Locked: even the right password is refused, still after one hash check.
        resp = await sign_in(client, name, PASSWORD)
        answers[name].append((resp.status_code, resp.json()["detail"]))
        assert len(checks) == 1
    assert answers[user["username"]] == answers[unknown], answers
    assert [s for s, _ in answers[unknown]] == [401] * 5 + [429]
    assert "15" in answers[unknown][-1][1] or "16" in answers[unknown][-1][1]
    locked = await StaffUser.select(StaffUser.locked_until).where(StaffUser.id == user["id"]).first()
    assert locked["locked_until"] is not None


async def test_the_lockout_holds_across_app_processes(client: httpx.AsyncClient, town: Town) -> None:
    """Each attempt as if a different app process answered it (behind a load balancer): the
    unknown name locks after five, exactly like the real account, and the lock is in the database."""
    user = await make_user(town.town, ["window_staff"], "多进程锁定")
    unknown = f"nobody_{uuid.uuid4().hex[:8]}"
    answers: dict[str, list[int]] = {}
    for name in (user["username"], unknown):
        answers[name] = []
        for password in ["wrong password"] * 5 + [PASSWORD]:
            forget_process_memory()
            answers[name].append((await sign_in(client, name, password)).status_code)
    assert answers[unknown] == answers[user["username"]] == [401] * 5 + [429], answers
    from core.auth.service import token_digest
    from core.auth.tables import SignInFailure

    row = await SignInFailure.select().where(SignInFailure.name_digest == token_digest(unknown)).first()
    assert row["locked_until"] is not None and row["failed"] == 0
    assert not await SignInFailure.exists().where(SignInFailure.name_digest == unknown), "only the name's digest is stored"


async def test_concurrent_failures_of_one_unknown_name_all_count() -> None:
    """Two processes failing the same name at once each add one (the row is locked, not read twice)."""
    import asyncio

    from core.auth import service
    from core.errors import RateLimited, Unauthorized

    unknown = f"nobody_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    results = await asyncio.gather(*(service._unknown_name_failed(unknown, now) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, Unauthorized) for r in results), results
    with pytest.raises(RateLimited):
        await service._unknown_name_failed(unknown, now)


async def test_a_stale_unknown_name_count_is_forgotten() -> None:
    from core.auth import service
    from core.auth.tables import SignInFailure
    from core.errors import Unauthorized

    old, fresh = (f"nobody_{uuid.uuid4().hex[:8]}" for _ in range(2))
    long_ago = datetime.now(UTC) - service.FORGET_UNKNOWN_AFTER - timedelta(minutes=1)
    with pytest.raises(Unauthorized):
        await service._unknown_name_failed(old, long_ago)
    assert await SignInFailure.exists().where(SignInFailure.name_digest == service.token_digest(old))
    with pytest.raises(Unauthorized):
        await service._unknown_name_failed(fresh, datetime.now(UTC))
    assert not await SignInFailure.exists().where(SignInFailure.name_digest == service.token_digest(old))
    assert await SignInFailure.exists().where(SignInFailure.name_digest == service.token_digest(fresh))


@pytest.mark.parametrize("base_url, secure", [("https://tiaojie.example.gov.cn", True), ("http://127.0.0.1:8000", False)])
async def test_session_cookie_flags(client: httpx.AsyncClient, town: Town, monkeypatch: pytest.MonkeyPatch, base_url: str, secure: bool) -> None:
    monkeypatch.setenv("JIEFEN_BASE_URL", base_url)
    get_settings.cache_clear()
    try:
        api = await sign_in(client, town.users["window"]["username"])
        client.cookies.clear()
        form = await client.post("/admin/login", data={"username": town.users["window"]["username"], "password": PASSWORD}, follow_redirects=False)
    finally:
        monkeypatch.delenv("JIEFEN_BASE_URL")
        get_settings.cache_clear()
    for resp in (api, form):
        cookie = next(c for c in resp.headers.get_list("set-cookie") if c.startswith("jiefen_session="))
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "httponly" in flags and flags["samesite"].lower() == "samesite=lax" and flags["path"] == "Path=/"
        assert ("secure" in flags) is secure, cookie
