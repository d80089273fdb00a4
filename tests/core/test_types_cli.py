"""``jiefen types list`` and ``jiefen types switch``: with counties side by side no administrator
may switch a shared dispute type, so the operator does it from the shell, recorded in
access_log like the admin's switch (by ``system:cli``). Runs the real CLI in a subprocess
against the test database."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import pytest

from core.audit.tables import AccessLog
from core.auth.service import actor_for_user
from core.errors import Forbidden
from core.roster import types as dispute_types
from core.roster.tables import DisputeType
from tests.factories import make_town, make_user

pytestmark = [pytest.mark.db, pytest.mark.slow]


async def jiefen(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from core.cli import main; main()", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ},
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def _active(code: str) -> bool:
    return (await DisputeType.select(DisputeType.active).where(DisputeType.code == code).first())["active"]


async def _logged(code: str) -> list[dict]:
    return await AccessLog.select().where(AccessLog.what.like(f"dispute_type.%:{code}")).order_by(AccessLog.id).output(load_json=True)


async def test_the_operator_switches_a_shared_type_that_no_administrator_may(town):
    await make_town()  # two counties side by side: the catalogue has no keeper
    assert await dispute_types.catalogue_keeper_id() is None
    code = f"shared_{uuid.uuid4().hex[:8]}"
    await DisputeType.insert(DisputeType(code=code, label_zh="共用探针", label_en="Shared probe", added_by="core"))
    county_admin = await actor_for_user((await make_user(town.county, ["admin"], "县管理员"))["id"])
    with pytest.raises(Forbidden, match="top-level organisation"):
        await dispute_types.set_active(county_admin, code, False)

    status, out, _ = await jiefen("types", "list")
    assert status == 0
    line = next(ln for ln in out.splitlines() if ln.startswith(code))
    assert line.split()[1] == "on" and "共用探针 / Shared probe" in line and "[shared]" in line

    status, out, err = await jiefen("types", "switch", code, "--off")
    assert status == 0, err
    assert f"{code} switched off" in out and "system:cli" in out
    assert await _active(code) is False
    status, out, _ = await jiefen("types", "list")
    assert next(ln for ln in out.splitlines() if ln.startswith(code)).split()[1] == "off"

    # Asking for the state it is in changes and records nothing.
    status, out, _ = await jiefen("types", "switch", code, "--off")
    assert status == 0 and "already off" in out
    await jiefen("types", "switch", code, "--on")
    assert await _active(code) is True

    logged = await _logged(code)
    assert [r["what"] for r in logged] == [f"dispute_type.off:{code}", f"dispute_type.on:{code}"]
    assert {r["actor_label"] for r in logged} == {"system:cli"} and {r["user"] for r in logged} == {None}
    assert all(isinstance(r["detail"], dict) and "os_user" in r["detail"] for r in logged)


async def test_an_unknown_code_or_no_state_is_refused():
    status, _, err = await jiefen("types", "switch", "no_such_type_x", "--on")
    assert status == 2 and "no dispute type 'no_such_type_x'" in err
    status, _, err = await jiefen("types", "switch", "labour")
    assert status == 2 and "--on" in err and "--off" in err  # argparse: one of them is required
    assert await _active("labour") is True
    assert not await _logged("no_such_type_x")
