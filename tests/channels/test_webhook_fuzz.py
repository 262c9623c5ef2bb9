"""Thousands of generated, correctly signed bodies posted to each webhook: never a 5xx.

The bodies start from real payloads (LINE's official SDK samples, Telegram updates) and are
mutated field by field: wrong types, missing and unknown fields, huge and hostile strings,
control characters, deep nesting, truncation and random bytes. The app runs in process with the
bot unreachable (so every accepted message is answered with the hotline numbers) and the
platforms' APIs faked. Afterwards a normal message from another person must still be answered.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time

import pytest
from fastapi.testclient import TestClient

from core.settings import ROOT
from fakeplatform import line_and_telegram, line_api
from launcher.scratch import LINE_CHANNEL_SECRET, TELEGRAM_WEBHOOK_SECRET, channel_settings, free_port, scratch_settings
from webapp.factory import create_app

BODIES_PER_WEBHOOK = 2500
ALLOWED_STATUSES = {200, 400, 413, 415}
LINE_SAMPLES = json.loads((ROOT.parent / "shared" / "fixtures" / "line" / "webhook_events.json").read_text())
TELEGRAM_SAMPLES = [
    {"update_id": 1, "message": {"message_id": 1, "date": 1700000000, "chat": {"id": 7, "type": "private"},
                                  "from": {"id": 7, "is_bot": False, "first_name": "A", "language_code": "th"},
                                  "text": "hello"}},
    {"update_id": 2, "message": {"message_id": 2, "date": 1700000000, "chat": {"id": 7, "type": "private"},
                                  "from": {"id": 7, "is_bot": False, "first_name": "A"},
                                  "location": {"latitude": 13.75, "longitude": 100.5}}},
    {"update_id": 3, "callback_query": {"id": "cq", "chat_instance": "ci", "data": "/ask_human",
                                         "from": {"id": 7, "is_bot": False, "first_name": "A"},
                                         "message": {"message_id": 3, "date": 1700000000,
                                                     "chat": {"id": 7, "type": "private"}, "text": "menu"}}},
    {"update_id": 4, "edited_message": {"message_id": 1, "date": 1700000000, "edit_date": 1700000005,
                                         "chat": {"id": 7, "type": "private"},
                                         "from": {"id": 7, "is_bot": False, "first_name": "A"}, "text": "hi"}},
    {"update_id": 5, "message": {"message_id": 5, "date": 1700000000, "chat": {"id": -100, "type": "group", "title": "g"},
                                  "from": {"id": 7, "is_bot": False, "first_name": "A"}, "text": "/start"}},
]  # fmt: skip
HOSTILE_VALUES = [
    None, True, 0, -1, 2**63, 1e308, float("inf"), "", " ", "\x00\x01\x1b[31m", "\u202e\u200b\ufeff",
    "x" * 20_000, "ก" * 5_000, "<script>alert(1)</script>", "../../etc/passwd", "%s%n", "/ask_human",
    '/choose_language{"language":"xx"}', "/stop{\"a\":", [], {}, [[[[[]]]]], {"type": "message"},
    "9" * 400, "-0", "NaN",
]  # fmt: skip


def mutate(value, rng: random.Random, depth: int = 0):
    """A copy of a JSON value with a few random changes."""
    if isinstance(value, dict) and value:
        value = dict(value)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(list(value))
            roll = rng.random()
            if roll < 0.25:
                del value[key]
            elif roll < 0.5:
                value[key] = rng.choice(HOSTILE_VALUES)
            elif roll < 0.6:
                value[rng.choice(["unknownField", "\x00", "type", "x" * 300])] = rng.choice(HOSTILE_VALUES)
            elif value and depth < 6:
                value[key] = mutate(value[key], rng, depth + 1)
            if not value:
                break
        return value
    if isinstance(value, list) and value:
        value = list(value)
        roll = rng.random()
        if roll < 0.3:
            value.pop(rng.randrange(len(value)))
        elif roll < 0.5:
            value.append(rng.choice(HOSTILE_VALUES))
        else:
            index = rng.randrange(len(value))
            value[index] = mutate(value[index], rng, depth + 1)
        return value
    return rng.choice(HOSTILE_VALUES)


def generated_bodies(samples: list, rng: random.Random, count: int):
    """`count` bodies: mostly mutated samples, some truncated, some random bytes."""
    for _ in range(count):
        roll = rng.random()
        sample = copy.deepcopy(rng.choice(samples))
        if roll < 0.75:
            yield json.dumps(mutate(sample, rng)).encode()
        elif roll < 0.85:
            raw = json.dumps(sample).encode()
            yield raw[: rng.randrange(len(raw))]
        elif roll < 0.95:
            yield bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
        else:
            yield json.dumps(rng.choice(HOSTILE_VALUES)).encode()


def line_signature(body: bytes) -> str:
    return line_api.signature(body, LINE_CHANNEL_SECRET)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    with line_and_telegram() as platform:
        var_dir = tmp_path_factory.mktemp("fuzz")
        settings = scratch_settings(
            var_dir,
            bot_urls=[f"http://127.0.0.1:{free_port()}"],
            bot_timeout_seconds=1.0,
            **channel_settings(platform.url),
        )
        with TestClient(create_app(settings)) as client:
            yield client, platform


def post_all(client: TestClient, path: str, bodies, headers_for) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for body in bodies:
        response = client.post(path, content=body, headers=headers_for(body))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return statuses


WEBHOOKS = {
    "line": (
        [LINE_SAMPLES],
        20261123,
        lambda body: {"Content-Type": "application/json", "X-Line-Signature": line_signature(body)},
    ),
    "telegram": (
        TELEGRAM_SAMPLES,
        11232026,
        lambda body: {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET},
    ),
}


@pytest.mark.parametrize("channel", WEBHOOKS)
def test_webhook_survives_generated_bodies(app_client, channel):
    client, _ = app_client
    samples, seed, headers_for = WEBHOOKS[channel]
    started = time.perf_counter()
    bodies = generated_bodies(samples, random.Random(seed), BODIES_PER_WEBHOOK)
    statuses = post_all(client, f"/webhooks/{channel}", bodies, headers_for)
    print(f"{channel} fuzz: {BODIES_PER_WEBHOOK} bodies in {time.perf_counter() - started:.1f} s, statuses {statuses}")
    assert set(statuses) <= ALLOWED_STATUSES, statuses
    assert statuses.get(200, 0) > BODIES_PER_WEBHOOK // 10  # the mutations still reach the parser's far side
    assert statuses.get(400, 0) > 0


def test_after_the_fuzz_another_person_is_still_answered(app_client):
    client, platform = app_client
    update = copy.deepcopy(TELEGRAM_SAMPLES[0])
    update["update_id"] = 987654321
    update["message"]["chat"]["id"] = update["message"]["from"]["id"] = 555_000_111
    body = json.dumps(update).encode()
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
    assert client.post("/webhooks/telegram", content=body, headers=headers).status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sent = [r for r in platform.requests("/bot") if b"555000111" in r.body and "sendMessage" in r.path]
        if sent:
            break
        client.portal.call(asyncio.sleep, 0.1)
    assert sent, "the person writing after the fuzz got no answer"
