"""`GET /healthz`: whether the app, its database and the bot are up. 200 when all are, else 503."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from core.botclient import BotClient
from core.records.db import Database


def router(database: Database, bot: BotClient) -> APIRouter:
    """The health route for this database and bot."""
    routes = APIRouter(tags=["health"])

    @routes.get("/healthz")
    async def healthz() -> JSONResponse:
        database_ok, bot_ok = await asyncio.gather(asyncio.to_thread(database.ping), bot.ready())
        body = {
            "status": "ok" if database_ok and bot_ok else "degraded",
            "database": "ok" if database_ok else "down",
            "bot": "ok" if bot_ok else "down",
        }
        return JSONResponse(body, status_code=200 if database_ok and bot_ok else 503)

    return routes
