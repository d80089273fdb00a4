"""Secrets are compared in constant time: each check below calls ``hmac.compare_digest`` with
the secret (a spy proves it), and a scan of core/, web/ and plugins/ fails on any ``==``/``!=``
whose operand looks like a secret, unless the comparison is listed with the reason it is safe.
Stored secrets are found by their digest (an index lookup), never by the secret itself."""

from __future__ import annotations

import ast
import hmac
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import Town

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"(token|code|key|otp|signature|digest|hmac|mac|secret|csrf|password|nonce)", re.I)
# (file, comparison as ast.unparse writes it): why it is not a secret compared by value.
NOT_SECRETS: dict[tuple[str, str], str] = {
    ("core/cases/timeline.py", "digest != row['hash']"): "the event chain's hash: an integrity check over data the checker holds, not a secret",
    ("core/cases/timeline.py", "remark['sha256'] != digest"): "a typed remark's digest against the chained one: an integrity check, both held by the checker",
    ("core/cases/timeline.py", "remark_digest(remark['nonce'], remark['text']) != digest"): "the same integrity check, recomputed from the stored text",
    ("core/agreements/pages.py", "s['key'] == f'party:{link.party_id}'"): "a signer slot's name (party:<id>), not a secret",
    ("core/agreements/pages.py", "r['key'] == signer['key']"): "signer slot names",
    ("core/agreements/signatures.py", "s['key'] == signer_key"): "signer slot names",
    ("core/agreements/api.py", "r['key'] == f'party:{data.party_id}'"): "signer slot names",
    ("core/agreements/parties.py", "s['key'] == key"): "signer slot names",
    ("core/agreements/verification.py", "row['archive_sha256'] == digest"): "a public file's SHA-256, found by index; says which copy matched",
    ("core/integrations/api.py", "row['api_key'] == actor.api_key_id"): "two key ids (integers), not key material",
    ("core/integrations/open311.py", "x['service_code'] == code"): "a public Open311 service code",
    ("web/case_data.py", "b['type_code'] != ASSOCIATION"): "an organisation's type (association, committee …), not a secret",
    ("core/plugins/web.py", "k != FORM_CSRF_FIELD"): "the name of the form field, not its value",
    ("web/nav.py", "n.key != item.key"): "navigation entry names",
}


def _ident(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Call):
        return _ident(node.func)
    return ""


def _is_query(node: ast.AST) -> bool:
    """``Table.column == value`` builds SQL: a lookup by index, not a comparison in Python."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].isupper()


def secret_comparisons() -> list[tuple[str, int, str]]:
    found = []
    for top in ("core", "web", "plugins"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "piccolo_migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Compare) or not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                    continue
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Constant) for s in sides) or any(_is_query(s) for s in sides):
                    continue
                if any(SECRET_NAME.search(_ident(s)) for s in sides):
                    found.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(node)))
    return found


def test_no_secret_is_compared_with_equals() -> None:
    found = secret_comparisons()
    unexplained = [f"{f}:{line}: {expr}" for f, line, expr in found if (f, expr) not in NOT_SECRETS]
    assert not unexplained, (
        "compare secrets with hmac.compare_digest (or look them up by digest); if this is not a secret, "
        "add it to NOT_SECRETS with the reason:\n" + "\n".join(unexplained)
    )
    stale = set(NOT_SECRETS) - {(f, expr) for f, _, expr in found}
    assert not stale, f"NOT_SECRETS lists comparisons that are gone: {sorted(stale)}"


def test_the_scan_catches_a_plain_comparison(tmp_path: Path) -> None:
    """The scan itself can fail: a planted ``sent == csrf`` is reported, a query is not."""
    source = "def check(sent, csrf):\n    return sent == csrf\n\nq = StaffSession.token_hash == digest\n"
    tree = ast.parse(source)
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    flagged = [ast.unparse(n) for n in compares if not any(_is_query(s) for s in [n.left, *n.comparators])
               and any(SECRET_NAME.search(_ident(s)) for s in [n.left, *n.comparators])]
    assert flagged == ["sent == csrf"]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: Any, b: Any) -> bool:
        calls.append((str(a), str(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return calls


def _compared(calls: list[tuple[str, str]], value: str) -> bool:
    return any(value in pair for pair in calls)


@pytest.mark.db
async def test_each_secret_check_goes_through_compare_digest(client: httpx.AsyncClient, town: Town, spy: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    from core.agreements import tokens
    from core.auth.service import actor_for_api_key, new_api_key, start_session, token_digest
    from core.auth.tables import ApiKey
    from core.integrations import webhooks
    from core.notifications import ics
    from core.parties import otp, sender, tracking
    from core.parties.digests import token_digest as party_digest
    from core.ratelimit import reset_memory
    from tests.core.helpers import seed_case

    reset_memory()
    # CSRF token of a staff session.
    token, csrf = await start_session(town.users["window"]["id"])
    client.cookies.clear()
    resp = await client.post("/api/v1/auth/logout", headers={"Cookie": f"jiefen_session={token}", "X-CSRF-Token": csrf})
    assert resp.status_code == 200 and _compared(spy, csrf), "CSRF"
    # An API key: found by digest, then compared in constant time.
    key, prefix, digest = new_api_key()
    await ApiKey.insert(ApiKey(name="spy", prefix=prefix, key_hash=digest, organisation=town.town["id"], scopes=["cases:read"]))
    spy.clear()
    await actor_for_api_key(key)
    assert _compared(spy, token_digest(key)), "API key"
    # Signed links: the calendar link and the signing pad's link.
    spy.clear()
    assert ics.session_from_token(ics.ics_token(41)) == 41 and ics.session_from_token("41-" + "0" * 24) is None
    assert len(spy) == 2, "calendar link"
    spy.clear()
    sign_token, _ = tokens.make(7, 9, "kiosk")
    assert tokens.read(sign_token).agreement_id == 7 and spy, "signing link"
    # Webhook signatures (what a receiver does, and our own tests).
    spy.clear()
    body = b'{"event": "x"}'
    assert webhooks.verify_signature("whsec_x", body, webhooks.sign("whsec_x", body)) and spy, "webhook signature"
    # A party's one-time code and a tracking link bound to its session.
    sent: list[str] = []

    async def capture(phone: str, code: str, **_: Any) -> str:
        sent.append(code)
        return "test"

    monkeypatch.setattr(sender, "send_code", capture)
    await otp.issue("13700001234", "track", subject="spy")
    spy.clear()
    await otp.verify("13700001234", "track", sent[-1], subject="spy")
    assert spy, "one-time code"
    case = await seed_case(town, "in_mediation")
    from core.cases.tables import Party

    party = await Party.select(Party.id).where(Party.case == case["id"]).first()
    link_token = await tracking.new_link(case["id"], party["id"])
    session = await tracking.start_session(await tracking.find_link(link_token))
    spy.clear()
    ctx = await tracking.context_for(session["session_token"], link_token=link_token)
    assert ctx is not None and _compared(spy, party_digest(link_token)), "tracking link of a party session"
    assert await tracking.context_for(session["session_token"], link_token="another-link-token") is None
