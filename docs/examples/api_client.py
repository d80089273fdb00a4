"""A working example client for Jiefen's party API, Open311 intake and webhooks.

Apply for mediation from a script or a mini-program back end (the applicant types the code
sent to their phone), then follow the case with the tracking token:

    python docs/examples/api_client.py apply --base-url http://127.0.0.1:8000 \\
        --centre 2 --phone 13800138000 --name 王小明 --respondent 某某毛织厂 --respondent-phone 076983330000
    python docs/examples/api_client.py track --base-url http://127.0.0.1:8000 --token <tracking token>

File a 311-style report with an API key and read its status back:

    python docs/examples/api_client.py report --base-url http://127.0.0.1:8000 --api-key jf_… --service neighbour

A webhook receiver checks ``X-Jiefen-Signature`` with :func:`verify_webhook`. Only ``httpx`` is
needed (``pip install httpx``). ``tests/parties/test_api_client_example.py`` runs this file.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx


class ApiError(Exception):
    def __init__(self, response: httpx.Response):
        self.status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = response.text
        # Jiefen answers RFC 9457 problems; Open311 answers [{code, description}].
        self.detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"{self.status}: {self.detail}")


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise ApiError(response)
    return response.json() if response.content else None


class PartyClient:
    """The party API (``/api/v1/party``): what a mini-program does for a resident."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http
        self.session_token: str | None = None

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session_token}"} if self.session_token else {}

    async def centres(self) -> list[dict[str, Any]]:
        return _check(await self.http.get("/api/v1/party/centres"))["items"]

    async def dispute_types(self) -> list[dict[str, Any]]:
        return _check(await self.http.get("/api/v1/party/dispute-types"))["items"]

    async def mediators(self, centre_id: int) -> list[dict[str, Any]]:
        return _check(await self.http.get(f"/api/v1/party/centres/{centre_id}/mediators"))["items"]

    async def send_code(self, phone: str) -> dict[str, Any]:
        return _check(await self.http.post("/api/v1/party/codes", json={"phone": phone, "purpose": "apply"}))

    async def apply(self, application: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """``application`` has the code; keep the Idempotency-Key to retry safely after a timeout."""
        key = idempotency_key or uuid.uuid4().hex
        result = _check(await self.http.post("/api/v1/party/applications", json=application, headers={"Idempotency-Key": key}))
        self.session_token = result["session_token"]
        return result

    async def send_tracking_code(self, tracking_token: str) -> dict[str, Any]:
        return _check(await self.http.post("/api/v1/party/tracking/code", json={"token": tracking_token}))

    async def open_case(self, tracking_token: str, code: str) -> dict[str, Any]:
        session = _check(await self.http.post("/api/v1/party/tracking/session", json={"token": tracking_token, "code": code}))
        self.session_token = session["session_token"]
        return session

    async def case(self) -> dict[str, Any]:
        return _check(await self.http.get("/api/v1/party/case", headers=self._auth))

    async def leave_message(self, text: str) -> dict[str, Any]:
        return _check(await self.http.post("/api/v1/party/case/messages", json={"text": text}, headers=self._auth))

    async def rate(self, rating: int, comment: str = "", performed: bool | None = None) -> dict[str, Any]:
        body = {"rating": rating, "comment": comment, "performed": performed}
        return _check(await self.http.post("/api/v1/party/case/rating", json=body, headers=self._auth))

    async def session_calendar(self, session_id: int) -> bytes:
        response = await self.http.get(f"/api/v1/party/case/sessions/{session_id}/ics", headers=self._auth)
        if response.status_code >= 400:
            raise ApiError(response)
        return response.content

    async def end(self) -> None:
        await self.http.delete("/api/v1/party/session", headers=self._auth)
        self.session_token = None


class Open311Client:
    """GeoReport v2 with an API key that has ``open311:create`` and ``open311:read``."""

    def __init__(self, http: httpx.AsyncClient, api_key: str):
        self.http, self.api_key = http, api_key

    async def services(self) -> list[dict[str, Any]]:
        return _check(await self.http.get("/open311/v2/services.json", params={"api_key": self.api_key}))

    async def report(self, service_code: str, description: str, *, lat: float | None = None, long: float | None = None,
                     address: str = "", phone: str = "", media_url: str = "") -> str:
        form = {"api_key": self.api_key, "service_code": service_code, "description": description,
                "address_string": address, "phone": phone, "media_url": media_url}
        if lat is not None and long is not None:
            form.update(lat=str(lat), long=str(long))
        return _check(await self.http.post("/open311/v2/requests.json", data=form))[0]["service_request_id"]

    async def status(self, service_request_id: str) -> dict[str, Any]:
        return _check(await self.http.get(f"/open311/v2/requests/{service_request_id}.json", params={"api_key": self.api_key}))[0]


def verify_webhook(secret: str, raw_body: bytes, signature_header: str) -> dict[str, Any]:
    """Check ``X-Jiefen-Signature`` over the raw body before trusting it; returns the event."""
    expected = "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature_header or ""):
        raise ValueError("bad webhook signature")
    return json.loads(raw_body)


async def _apply(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as http:
        party = PartyClient(http)
        print(await party.send_code(args.phone))
        code = input("验证码 (code): ").strip()
        result = await party.apply({
            "centre_id": args.centre, "dispute_type": args.type, "description": args.description,
            "applicant": {"name": args.name, "phone": args.phone},
            "respondent": {"name": args.respondent, "phone": args.respondent_phone, "kind": "person"},
            "code": code, "agree_privacy": True, "mediator_id": args.mediator, "preferred_mode": args.mode,
        })
        print(json.dumps({k: result[k] for k in ("number", "tracking_url", "tracking_token")}, ensure_ascii=False, indent=2))


async def _track(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as http:
        party = PartyClient(http)
        print(await party.send_tracking_code(args.token))
        await party.open_case(args.token, input("验证码 (code): ").strip())
        print(json.dumps(await party.case(), ensure_ascii=False, indent=2, default=str))
        await party.end()


async def _report(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as http:
        client = Open311Client(http, args.api_key)
        request_id = await client.report(args.service, args.description, address=args.address)
        print(json.dumps(await client.status(request_id), ensure_ascii=False, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    apply = sub.add_parser("apply")
    apply.add_argument("--centre", type=int, required=True)
    apply.add_argument("--phone", required=True)
    apply.add_argument("--name", required=True)
    apply.add_argument("--respondent", required=True)
    apply.add_argument("--respondent-phone", required=True)
    apply.add_argument("--type", default="neighbour")
    apply.add_argument("--description", default="邻居装修噪音,多次协商无果。")
    apply.add_argument("--mediator", type=int, default=None)
    apply.add_argument("--mode", choices=["in_person", "video"], default="in_person")
    track = sub.add_parser("track")
    track.add_argument("--token", required=True)
    report = sub.add_parser("report")
    report.add_argument("--api-key", required=True)
    report.add_argument("--service", default="neighbour")
    report.add_argument("--description", default="楼上漏水")
    report.add_argument("--address", default="东村3组")
    for p in (apply, track, report):
        p.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    asyncio.run({"apply": _apply, "track": _track, "report": _report}[args.command](args))


if __name__ == "__main__":
    main()
