"""Build the app: `create_app(settings)` assembles every router; it holds no logic itself.

Resources (database, bot client) open in the lifespan and close with it. Run it with
`uvicorn webapp.factory:app_from_environment --factory` (the launcher does this).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor

from actions import endpoint as action_endpoint
from actions.registry import all_actions
from channels import webhook_channels
from channels.webchat import WebChat
from console.accounts import Accounts
from console.audit import AuditLog
from console.case_view import CaseView
from console.directory_admin import DirectoryAdmin
from console.routes import Console
from core import logs
from core.alerts import forward_alerts
from core.botclient import BotClient
from core.bus import Bus
from core.conversation import Conversations
from core.crypto import Sealer
from core.delivery import Delivery
from core.directory import Directory
from core.handoff import Handoffs
from core.handover import Handover
from core.locales import Catalog
from core.outbox import Outbox
from core.retention import Retention
from core.settings import Settings
from core.stores import open_stores
from core.teams import Teams
from triage import cues
from webapp import health

logger = logging.getLogger(__name__)
MAX_HTTP_BODY_BYTES = 1024 * 1024
# The bot's calls to the action endpoint carry the whole conversation: they have their own,
# larger limit (actions/endpoint.py).
OWN_LIMIT_PREFIXES = ("/actions/",)
SHUTDOWN_DRAIN_SECONDS = 10.0


def create_app(settings: Settings) -> FastAPI:
    """Assemble Saphan's app for `settings`."""
    settings.require_secrets()
    catalog = Catalog.load()
    directory = Directory.load(settings.directory_file)
    stores = open_stores(settings, catalog)
    bot = BotClient(
        settings.resolved_bot_urls(), settings.bot_timeout_seconds, settings.bot_api_token.get_secret_value()
    )
    teams = Teams.load()
    bus, outbox = Bus(stores.link), Outbox()
    accounts = Accounts(
        stores.database,
        teams.ids(),
        session_hours=settings.console_session_hours,
        idle_minutes=settings.console_idle_minutes,
    )
    handover = Handover(stores.consents, directory, teams, stores.locations, settings.retention_days)
    handoffs = Handoffs(
        database=stores.database,
        sealer=Sealer(settings.encryption_key.get_secret_value()),
        teams=teams,
        bus=bus,
        outbox=outbox,
        catalog=catalog,
        directory=directory,
        bot=bot,
        consents=stores.consents,
        handover=handover,
        case_records=stores.case_records,
        someone_on_duty=lambda team: bool(accounts.on_duty(team)),
        safety_cues=cues.load_all().values(),
        claim_timeout_seconds=settings.claim_timeout_seconds,
    )
    conversations = Conversations(
        secret_key=settings.secret_key.get_secret_value(),
        default_language=settings.default_language,
        database=stores.database,
        bot=bot,
        catalog=catalog,
        directory=directory,
        locations=stores.locations,
        transcripts=stores.transcripts,
        personal_data=stores.personal_data,
        handoffs=handoffs,
        outbox=outbox,
    )
    delivery = Delivery(conversations, stores.inbox, outbox.answer)
    channels = webhook_channels(settings, catalog)
    executor = ActionExecutor()
    actions = all_actions(
        directory,
        stores.locations,
        stores.consents,
        stores.personal_data,
        handover,
        stores.case_records,
        settings.retention_days,
    )
    for action in actions:
        executor.register_action(action)
    webchat = WebChat(conversations, catalog, settings, stores.training, stores.link)
    for channel in (*channels, webchat):
        outbox.register(channel.name, channel.send)
    audit = AuditLog(stores.database)
    console = Console(
        accounts=accounts,
        handoffs=handoffs,
        conversations=conversations,
        case_view=CaseView(handoffs, handover, stores.transcripts, stores.consents, stores.locations, catalog),
        audit=audit,
        bus=bus,
        catalog=catalog,
        database=stores.database,
        training=stores.training,
        directory_admin=DirectoryAdmin(
            directory, audit, settings.directory_max_age_days, {team.hotline for team in teams.all}
        ),
        secure_cookies=settings.public_url.startswith("https://"),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        stores.database.migrate()
        background = [asyncio.create_task(_purge_regularly(stores.retention, settings))]
        background.append(asyncio.create_task(handoffs.watch()))
        background.append(asyncio.create_task(delivery.sweep()))
        if stores.link is not None:
            background.append(asyncio.create_task(stores.link.listen()))
        if settings.alert_channel and settings.alert_group:
            group_alerts = forward_alerts(
                bus, outbox, catalog, settings.alert_channel, settings.alert_group, settings.default_language
            )
            background.append(asyncio.create_task(group_alerts))
        logger.info("app started", extra={"channels": ",".join(c.name for c in channels)})
        yield
        for task in background:
            task.cancel()
        try:
            await asyncio.wait_for(delivery.drain(), SHUTDOWN_DRAIN_SECONDS)
        except asyncio.TimeoutError:
            logger.warning("shutdown with events still in processing")
        for channel in channels:
            await channel.aclose()
        await bot.aclose()
        if stores.link is not None:
            await stores.link.aclose()
        stores.dispose()

    app = FastAPI(title="Saphan", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.middleware("http")(_guard_and_log)
    app.include_router(health.router(stores.database, bot, stores.link))
    app.include_router(webchat.router())
    for channel in channels:
        app.include_router(channel.router(delivery))
    app.mount("/chat/static", webchat.static_files(), name="webchat-static")
    app.include_router(console.router())
    app.mount("/console/static", console.static_files(), name="console-static")

    async def errors(request: Request, error: HTTPException):
        """Console routes answer errors as `{"error": code}`; the others keep FastAPI's form."""
        if request.url.path.startswith("/console"):
            return await console.error_response(request, error)
        return await http_exception_handler(request, error)

    app.add_exception_handler(HTTPException, errors)
    app.include_router(action_endpoint.router(executor, settings.action_token.get_secret_value()))
    return app


async def _purge_regularly(retention: Retention, settings: Settings) -> None:
    """Delete what is older than the retention period now, then every `purge_interval_hours`."""
    while True:
        try:
            purged = await asyncio.to_thread(retention.purge, settings.retention_days)
            logger.info(
                "purge done",
                extra={
                    "conversations": purged.conversations,
                    "transcripts": purged.transcripts,
                    "cases": purged.cases,
                    "training_chats": purged.training_chats,
                },
            )
        except Exception as error:  # a failed purge is retried at the next interval, never fatal
            logger.error("purge failed", extra={"error": type(error).__name__})
        await asyncio.sleep(settings.purge_interval_hours * 3600)


async def _guard_and_log(request: Request, call_next):
    """Refuse oversized bodies before reading them, and log each request without its content."""
    length = request.headers.get("content-length")
    too_large = length and (not length.isdigit() or int(length) > MAX_HTTP_BODY_BYTES)
    if too_large and not request.url.path.startswith(OWN_LIMIT_PREFIXES):
        return JSONResponse({"error": "request too large"}, status_code=413)
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    logger.info(
        "request",
        extra={
            "method": request.method,
            "route": getattr(route, "path", "unmatched"),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment, with content-free logging."""
    settings = Settings()
    logs.configure(settings.log_level)
    return create_app(settings)
