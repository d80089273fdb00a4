"""``core.db.insert_rows``, the lean insert of the hot paths: a key that is no column of the
table is refused with its name, also when the statement for that shape is already cached
(on PostgreSQL it would otherwise be dropped without a word)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.db import insert_rows
from core.jobs.tables import OutboxJob

pytestmark = pytest.mark.db


def _job(marker: str, **over: object) -> dict[str, object]:
    # Due in a century: no runner or drain of another test picks these up.
    return {"job": marker, "payload": {}, "available_at": datetime.now(UTC) + timedelta(days=36500), **over}


async def test_unknown_column_is_refused_even_with_the_statement_cached() -> None:
    marker = f"insert-rows-{uuid.uuid4().hex[:8]}"
    [first] = await insert_rows(OutboxJob, [_job(marker)], returning=("id",))
    assert first["id"] > 0
    # The same table, row count and returning: the cached statement is used.
    with pytest.raises(ValueError, match="dedup_key"):
        await insert_rows(OutboxJob, [_job(marker, dedup_key="typo")], returning=("id",))
    # Only the second row is wrong: nothing of the call is written.
    with pytest.raises(ValueError, match="cases_id"):
        await insert_rows(OutboxJob, [_job(marker), _job(marker, cases_id=1)], returning=("id",))
    assert await OutboxJob.count().where(OutboxJob.job == marker) == 1
    # Right keys still go in, defaults and all.
    rows = await insert_rows(OutboxJob, [_job(marker), _job(marker, dedupe_key=marker)], returning=("id", "dedupe_key"))
    assert [r["dedupe_key"] for r in rows] == [None, marker]
    assert await OutboxJob.count().where(OutboxJob.job == marker) == 3
