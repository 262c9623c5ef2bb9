"""What a story's person on LINE or Telegram shares: each step goes to the platform chat, and the
messages the platform was asked to show come back as answers (their language left for the runner)."""

from __future__ import annotations

from storytests.webchat import Answer


class PlatformSession:
    """Subclasses set `_chat` (a LineChat or a TelegramChat) when they open, and `_answers`."""

    _chat = None

    @staticmethod
    def _answers(messages: list[dict]) -> list[Answer]:
        raise NotImplementedError

    def say(self, text: str) -> list[Answer]:
        """The person writes `text`."""
        return self._answers(self._chat.say(text))

    def press(self, payload: str) -> list[Answer]:
        """The person presses the quick reply that sends `payload`."""
        return self._answers(self._chat.press(payload))

    def share_location(self, latitude: float, longitude: float) -> list[Answer]:
        """The person shares a location."""
        return self._answers(self._chat.share_location(latitude, longitude))

    def close(self) -> None:
        """Nothing to close: the platform holds no connection."""
