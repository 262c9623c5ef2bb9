"""A story's person: a web chat session on the app's WebSocket, as the chat page speaks it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from websockets.sync.client import connect

ANSWER_TIMEOUT_SECONDS = 60
# After the welcome, the greeting follows without an ack: the session waits this long for it.
GREETING_QUIET_SECONDS = 1.5


@dataclass(frozen=True)
class Answer:
    """One message to the person: its text, language, author and quick replies (label, payload)."""

    text: str
    language: str
    author: str
    buttons: tuple[tuple[str, str], ...]


class WebChatSession:
    """One person on the web chat: `open()`, then `say`, `press` and `share_location`,
    each returning the answers to that message."""

    channel = "webchat"
    opening = "opens the chat"

    def __init__(self, url: str) -> None:
        self._url = url
        self._socket = None
        self._counter = 0
        self.channel_user: str | None = None  # the session id, once open

    def open(self, language: str) -> list[Answer]:
        """Open a new session from a browser set to `language`; return the greeting."""
        self._socket = connect(self._url, max_size=2**20, open_timeout=10)
        self._send({"type": "hello", "session": None, "language": language})
        answers = []
        for frame in self._frames_until("welcome"):
            if frame["type"] == "welcome":
                self.channel_user = frame["session"]
            answers += _answers([frame])
        while True:
            try:
                frame = json.loads(self._socket.recv(timeout=GREETING_QUIET_SECONDS))
            except TimeoutError:
                return answers
            answers += _answers([frame])

    def say(self, text: str) -> list[Answer]:
        """The person writes `text`."""
        return self._exchange({"type": "message", "text": text})

    def press(self, payload: str) -> list[Answer]:
        """The person presses the quick reply that sends `payload`."""
        return self._exchange({"type": "postback", "payload": payload})

    def share_location(self, latitude: float, longitude: float) -> list[Answer]:
        """The person shares a location."""
        return self._exchange({"type": "location", "latitude": latitude, "longitude": longitude})

    def close(self) -> None:
        """Leave the chat page."""
        if self._socket is not None:
            self._socket.close()

    def _exchange(self, frame: dict) -> list[Answer]:
        self._counter += 1
        self._send({**frame, "id": f"s{self._counter}"})
        frames = self._frames_until("ack")
        errors = [f for f in frames if f["type"] == "error"]
        if errors:
            raise RuntimeError(f"the chat refused the message: {errors[0].get('code')}")
        return _answers(frames)

    def _send(self, frame: dict) -> None:
        self._socket.send(json.dumps(frame))

    def _frames_until(self, kind: str) -> list[dict]:
        frames = []
        while True:
            frame = json.loads(self._socket.recv(timeout=ANSWER_TIMEOUT_SECONDS))
            frames.append(frame)
            if frame["type"] in (kind, "error"):
                return frames


def _answers(frames: list[dict]) -> list[Answer]:
    return [
        Answer(
            text=frame["text"],
            language=frame.get("language", ""),
            author=frame.get("from", "assistant"),
            buttons=tuple((reply["label"], reply["payload"]) for reply in frame.get("quick_replies", ())),
        )
        for frame in frames
        if frame["type"] == "bot"
    ]
