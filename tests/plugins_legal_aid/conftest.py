"""The legal_aid plugin's tests: a town, its county's legal-aid centre with staff, and the
plugin switched on for the town and the centre (bundled plugins start off; the centre sits
beside the town, under the county, so it needs its own switch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.factories import Town, make_org, make_user
from tests.plugins.conftest import Client, switch


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


@dataclass
class Centre:
    org: dict[str, Any]
    staff: list[dict[str, Any]] = field(default_factory=list)


async def make_centre(town: Town, *, on: bool = True, name: str = "法律援助中心") -> Centre:
    org = await make_org(f"{town.county['name']}{name}", "legal_aid_centre", "county", town.county)
    centre = Centre(org, [await make_user(org, ["legal_aid_staff"], "援助中心小刘")])
    if on:
        await switch("legal_aid", town.town, True)
        await switch("legal_aid", org, True)
    return centre


@pytest.fixture
async def centre(town: Town) -> Centre:
    return await make_centre(town)


@pytest.fixture
def api(client: Any) -> Client:
    return Client(client)


async def case_in_mediation(api: Client, town: Town, **over: Any) -> tuple[dict[str, Any], Any]:
    case = await api.new_case(town, **over)
    desk = await api.login(town.users["window"])
    await desk.act(case["id"], "accept", rights_notified=True, consent=True)
    await desk.act(case["id"], "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await api.login(town.mediators[0]["user"])
    await mediator.act(case["id"], "take")
    return case, mediator


async def party_id(case_id: int, role: str = "applicant") -> int:
    from core.cases.tables import Party

    row = await Party.select(Party.id).where((Party.case == case_id) & (Party.role == role)).first()
    return row["id"]


async def events(case_id: int) -> list[dict[str, Any]]:
    from core.cases.tables import CaseEvent

    return await CaseEvent.select(CaseEvent.name, CaseEvent.payload, CaseEvent.actor_label, CaseEvent.to_state).where(
        CaseEvent.case == case_id
    ).order_by(CaseEvent.seq).output(load_json=True)


MIGRANT_WAGES = {"matter": "labour_pay", "exempt_category": "migrant_worker_wages"}


def png_bytes() -> bytes:
    """A tiny valid PNG (evidence files are sniffed by content)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
