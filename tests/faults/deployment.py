"""``python -m tests.faults.deployment``: migrate the database of ``JIEFEN_DATABASE_URL`` and make a
town in it with staff and a roster (tests.factories), no quiet hours, and (``JFTEST_KEYS=1``)
signing keys for its committee; print the ids the fault tests need as one JSON line."""

from __future__ import annotations

import asyncio
import json
import os


async def main() -> None:
    from core import db
    from core.migrate import migrate
    from core.notifications.tables import NotificationSettings
    from tests.factories import PASSWORD, make_town

    await db.startup()
    try:
        await migrate()
        town = await make_town()
        # Messages to residents go out at once, whatever the hour the test runs at.
        await NotificationSettings.insert(NotificationSettings(organisation=town.county["id"], quiet_start="00:00", quiet_end="00:00"))
        if os.environ.get("JFTEST_KEYS"):
            from core.agreements.keys import create_for

            create_for(town.committee)
        print(json.dumps({
            "centre_id": town.town["id"], "village_id": town.villages[0]["id"], "committee_id": town.committee["id"],
            "window": town.users["window"]["username"], "password": PASSWORD,
        }))
    finally:
        await db.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
