"""The legal_aid plugin's tests: a town, its county's legal-aid centre with staff, and the
plugin switched on for the town and the centre (bundled plugins start off; the centre sits
beside the town, under the county, so it needs its own switch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.factories import Town, make_org, make_user
from tests.plugins.conftest import (  # noqa: F401 (re-exported for the tests; the fixture is autouse)
    Client,
    case_in_mediation,
    events,
    fresh_rate_limits,
    switch,
)


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


async def party_id(case_id: int, role: str = "applicant") -> int:
    from core.cases.tables import Party

    row = await Party.select(Party.id).where((Party.case == case_id) & (Party.role == role)).first()
    return row["id"]


MIGRANT_WAGES = {"matter": "labour_pay", "exempt_category": "migrant_worker_wages"}


def png_bytes() -> bytes:
    """A tiny valid PNG (evidence files are sniffed by content)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
