"""Group alerts of urgent cases carry only language and country, never the person's words."""

from __future__ import annotations

import asyncio

from core.alerts import forward_alerts
from core.bus import Bus
from core.locales import Catalog
from core.outbox import Outbox


def test_only_urgent_alerts_reach_the_group_with_language_and_country_only():
    bus, outbox, catalog = Bus(), Outbox(), Catalog.load()
    sent = []

    async def record(inbound, replies) -> None:
        sent.append((inbound.channel_user, [m.text for m in replies.messages]))

    outbox.register("telegram", record)

    async def scenario() -> None:
        forwarding = asyncio.create_task(forward_alerts(bus, outbox, catalog, "telegram", "-100200", "en"))
        await asyncio.sleep(0)
        bus.publish("alert", case="c1", urgent=False, language="th", country="TH", team="th-1300")
        bus.publish("queue")
        bus.publish("alert", case="c2", urgent=True, language="my", country=None, team="th-1300")
        await asyncio.sleep(0.05)
        forwarding.cancel()

    asyncio.run(scenario())
    assert len(sent) == 1
    group, (text,) = sent[0]
    assert group == "-100200"
    assert catalog.text("en", "console.alert_title") in text
    assert catalog.text("my", "language.name") in text and catalog.text("en", "console.country_unknown") in text
    assert "c2" not in text
