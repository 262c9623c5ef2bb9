"""`GET /healthz`: whether the app, its database, the bot processes and Redis are up.

Answers 503 only when this process cannot serve at all (the database does not answer, or no
bot process does), so a load balancer takes it out. A database that refuses writes, a bot
process down out of several, or Redis down, leave it serving with less: `status` is then
"degraded" with 200, and the fields say what is wrong.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from core.botclient import BotClient
from core.records.db import Database
from core.redis_link import RedisLink


def router(database: Database, bot: BotClient, link: RedisLink | None) -> APIRouter:
    """The health route for this database, bot client and Redis link."""
    routes = APIRouter(tags=["health"])

    @routes.get("/healthz")
    async def healthz() -> JSONResponse:
        database_state, bots_up = await asyncio.gather(asyncio.to_thread(database.health), bot.ready())
        redis_state = "off" if link is None else "ok" if link.up and await link.ping() else "down"
        bot_state = "ok" if bots_up == bot.processes else "partial" if bots_up else "down"
        serving = database_state != "down" and bots_up > 0
        whole = database_state == "ok" and bot_state == "ok" and redis_state != "down"
        body = {
            "status": "ok" if whole else "degraded",
            "database": database_state,
            "bot": bot_state,
            "bot_processes": f"{bots_up}/{bot.processes}",
            "redis": redis_state,
        }
        return JSONResponse(body, status_code=200 if serving else 503)

    return routes
