"""The bot client maps Rasa's REST JSON and tells failure from silence (core/botclient.py)."""

import asyncio
import contextlib
import http.server
import json
import threading

import pytest

from core.botclient import BotClient, BotUnavailable, to_outbound
from core.messages import Outbound, TextPart
from launcher.scratch import free_port


def test_custom_payload_becomes_outbound():
    message = {"recipient_id": "x", "custom": {"say": ["a.b", {"key": "c.d", "params": {"n": 1}}], "menu": "main"}}
    assert to_outbound(message) == Outbound((TextPart("a.b"), TextPart("c.d", (("n", "1"),))), "main")


@pytest.mark.parametrize(
    "message", [{"text": "raw text"}, {"custom": {"say": "not a list"}}, {"custom": {"say": [{"nokey": 1}]}}]
)
def test_anything_else_becomes_not_understood_never_raw_text(message):
    assert to_outbound(message) == Outbound.keys("fallback.not_understood", menu="main")


def test_a_bot_that_does_not_listen_is_unavailable():
    client = BotClient([f"http://127.0.0.1:{free_port()}"], timeout=2, api_token="t")

    async def attempt():
        try:
            with pytest.raises(BotUnavailable):
                await client.send("c", "hello", {})
            assert await client.ready() == 0
        finally:
            await client.aclose()

    asyncio.run(attempt())


class _FakeBot(http.server.BaseHTTPRequestHandler):
    """A bot process's REST channel that answers every message with one locale key, its own name."""

    def do_POST(self):  # noqa: N802 (the standard library's name)
        self.rfile.read(int(self.headers["content-length"]))
        if self.server.failing:
            self.send_response(500)
            self.end_headers()
            return
        self.server.received += 1
        body = json.dumps([{"custom": {"say": [self.server.name]}}]).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@contextlib.contextmanager
def fake_bots(*names: str):
    servers = []
    for name in names:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeBot)
        server.name, server.received, server.failing = name, 0, False
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield servers
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def said(answers) -> str:
    return answers[0].say[0].key


def test_messages_go_round_the_bot_processes():
    async def scenario(servers):
        client = BotClient([url(server) for server in servers], timeout=5, api_token="t")
        try:
            return [said(await client.send(f"c{n}", "hello", {})) for n in range(4)]
        finally:
            await client.aclose()

    with fake_bots("bot.one", "bot.two") as servers:
        assert sorted(asyncio.run(scenario(servers))) == ["bot.one", "bot.one", "bot.two", "bot.two"]


def test_a_dead_or_failing_bot_process_is_passed_over_and_no_message_is_lost():
    async def scenario(servers):
        dead = f"http://127.0.0.1:{free_port()}"
        client = BotClient([dead, url(servers[0]), url(servers[1])], timeout=5, api_token="t")
        try:
            return [said(await client.send(f"c{n}", "hello", {})) for n in range(6)]
        finally:
            await client.aclose()

    with fake_bots("bot.failing", "bot.well") as servers:
        servers[0].failing = True
        answers = asyncio.run(scenario(servers))
        assert answers == ["bot.well"] * 6  # each answered once, by the process that works
        assert servers[1].received == 6 and servers[0].received == 0
