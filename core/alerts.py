"""Optional alerts of waiting urgent cases to an operators' group on Telegram or LINE.

An alert says only that an urgent case waits, with its language and country: never anything
the person wrote, nor who they are. It is sent in the console's default language.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import logging

from core.bus import Bus
from core.locales import Catalog
from core.messages import Outbound, Replies, TextPart
from core.outbox import Outbox

logger = logging.getLogger(__name__)


def alert_text(case_language: str, country: str | None) -> Outbound:
    """The alert for one urgent case: title, then its language and country."""
    country_name = f"@country.{country}" if country else "@console.country_unknown"
    body = TextPart.of("console.alert_body", language=f"@language.name@{case_language}", country=country_name)
    return Outbound((TextPart("console.alert_title"), body))


async def forward_alerts(bus: Bus, outbox: Outbox, catalog: Catalog, channel: str, group: str, language: str) -> None:
    """Send every urgent alert published on `bus` to `group` on `channel`, until cancelled."""
    async with bus.subscribe() as notices:
        while True:
            notice = await notices.get()
            if notice.kind != "alert" or not notice.data.get("urgent") or notice.data.get("training"):
                continue  # a training chat's case never alerts a real group
            outbound = alert_text(str(notice.data.get("language")), notice.data.get("country"))
            try:
                await outbox.send(channel, group, Replies(language, [catalog.render(outbound, language)]))
            except Exception as error:  # the console's own alert still stands; this one is extra
                logger.warning("group alert not sent", extra={"channel": channel, "error": type(error).__name__})
