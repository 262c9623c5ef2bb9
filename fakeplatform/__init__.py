"""A local stand-in for LINE's and Telegram's APIs, on loopback.

Story runs (`./saphan stories`), benchmarks and tests point the channels' official SDKs at it
instead of the internet: it answers as the platforms do, refuses what they refuse, records
every call, and can be told to fail for a while.
"""

from fakeplatform import line_api, telegram_api
from fakeplatform.server import FakePlatform, Recorded


def line_and_telegram() -> FakePlatform:
    """A fake (not yet started) that answers as both LINE's and Telegram's APIs."""
    fake = FakePlatform()
    line_api.install(fake)
    telegram_api.install(fake)
    return fake


__all__ = ["FakePlatform", "Recorded", "line_and_telegram", "line_api", "telegram_api"]
