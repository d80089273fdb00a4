"""Jobs of the integrations area (registered on import; see ``core.integrations.routes``).

INTEGRATION POINT (jobs): add ``core.integrations.jobs`` to ``JOB_MODULES`` in
``core/jobs/registry.py`` so a separate ``jiefen worker`` registers it too.
"""

from __future__ import annotations

from typing import Any

from core.jobs.registry import job


@job("integrations_webhook_send")
async def webhook_send(payload: dict[str, Any]) -> str:
    from core.integrations.webhooks import send

    return await send(payload["delivery_id"])
