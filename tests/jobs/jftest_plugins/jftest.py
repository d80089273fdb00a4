"""A plugin for the job tests: jobs that leave marks in a file, and a channel that records
what it sends. The arq worker loads it through JIEFEN_PLUGINS_DIR; the test process
registers it for a while (tests.jobs.helpers.test_plugin)."""

import asyncio
import os

from core import hookimpl


def append(path: str, line: str) -> None:
    with open(path, "a") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


async def slow(payload):
    append(payload["marks"], f"start {payload['n']}")
    await asyncio.sleep(payload.get("seconds", 3))
    append(payload["marks"], f"done {payload['n']}")


async def echo(payload):
    append(payload["marks"], f"ran {payload['n']}")


class CaptureChannel:
    """An SMS stand-in: one line per message sent, keyed so a repeat shows."""

    name = "jftest_sms"
    audiences = {"party", "staff"}
    address = "phone"
    quiet_hours = True

    async def send(self, message):
        path = os.environ.get("JFTEST_SENT_FILE")
        if path:
            append(path, message.dedupe_key)
        return "ok"


@hookimpl
def jobs():
    return {"jftest_slow": slow, "jftest_echo": echo}


@hookimpl
def notification_channels():
    return [CaptureChannel()]
