"""A terminal client for the web chat WebSocket, used by `./saphan shell`.

Type a message and press Enter; type the number of a quick reply to press it; Ctrl-D leaves.
"""

from __future__ import annotations

import json
import uuid

from websockets.sync.client import connect


def _show(frame: dict, replies: list[dict]) -> None:
    if frame["type"] == "bot":
        print(f"\nbot> {frame['text']}")
        replies[:] = frame.get("quick_replies", [])
        for number, reply in enumerate(replies, 1):
            print(f"   [{number}] {reply['label']}")
    elif frame["type"] == "error":
        print(f"\n(!) {frame['message']}")


def _drain(socket, replies: list[dict], wait: float) -> None:
    while True:
        try:
            frame = json.loads(socket.recv(timeout=wait))
        except TimeoutError:
            return
        _show(frame, replies)
        wait = 0.3


def chat(url: str, language: str | None) -> None:
    """Hold a conversation on the terminal until end of input."""
    replies: list[dict] = []
    with connect(url, max_size=1_048_576) as socket:
        socket.send(json.dumps({"type": "hello", "session": None, "language": language}))
        _drain(socket, replies, wait=30)
        while True:
            try:
                line = input("\nyou> ").strip()
            except EOFError:
                print()
                return
            if not line:
                continue
            frame = {"id": uuid.uuid4().hex}
            if line.isdigit() and 0 < int(line) <= len(replies):
                frame.update(type="postback", payload=replies[int(line) - 1]["payload"])
            else:
                frame.update(type="message", text=line)
            socket.send(json.dumps(frame))
            _drain(socket, replies, wait=30)
