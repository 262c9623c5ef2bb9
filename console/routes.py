"""The operator console's routes: the page, sign-in, the queue, cases, live events, dashboard, audit.

Every route but the page, its texts and sign-in needs a signed-in session (cookie
`saphan_console`: HTTP-only, SameSite=Strict, Secure behind HTTPS). Every state-changing
request must be JSON and carry the session's CSRF token in `X-CSRF-Token` (and, from a browser,
this site's Origin). Roles are checked route by route (`ROLE_ROUTES` below); an operator sees
only the cases of their teams, a supervisor every team's. Every view of a case and every action
is written to the audit log. Live updates are Server-Sent Events that name what changed; the
page then fetches what its role may see.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from console.accounts import Account, AccountLocked, Accounts, SignInRefused, csrf_matches
from console.audit import AuditLog
from console.case_view import CaseView, case_summary
from console.dashboard import dashboard
from console.directory_admin import DirectoryAdmin
from core.bus import Bus
from core.conversation import Conversations
from core.handoff import Case, CaseError, Handoffs
from core.locales import Catalog
from core.records.db import Database
from core.records.models import utcnow
from core.settings import LANGUAGES
from core.teams import TRAINING_QUEUE
from core.training import TrainingChats

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
COOKIE = "saphan_console"
FAILED_SIGN_IN_DELAY_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
SESSION_RECHECK_SECONDS = 30.0
CASE_ROLES = ("operator", "supervisor", "trainer")
# Who takes real cases and may take over real conversations (trainers take training cases only).
HOTLINE_ROLES = ("operator", "supervisor")
OVERSIGHT_ROLES = ("supervisor", "admin")
# CaseError codes and the HTTP status each is answered with.
CASE_ERROR_STATUS = {"unknown": 404, "invalid": 400, "gone": 410, "not_delivered": 502}
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class SignInForm(BaseModel):
    """A sign-in attempt."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class DutyForm(BaseModel):
    """Going on or off duty."""

    on_duty: bool


class MessageForm(BaseModel):
    """An operator's message to the person."""

    text: str = Field(min_length=1, max_length=4000)


class TransferForm(BaseModel):
    """Who takes the case over."""

    operator_id: int


class CloseForm(BaseModel):
    """How the case ended."""

    outcome: str = Field(max_length=32)


class Console:
    """The console's routes over the accounts, cases and live notices."""

    def __init__(
        self,
        *,
        accounts: Accounts,
        handoffs: Handoffs,
        conversations: Conversations,
        case_view: CaseView,
        audit: AuditLog,
        bus: Bus,
        catalog: Catalog,
        database: Database,
        training: TrainingChats,
        directory_admin: DirectoryAdmin,
        secure_cookies: bool,
    ) -> None:
        self._accounts = accounts
        self._handoffs = handoffs
        self._conversations = conversations
        self._case_view = case_view
        self._audit = audit
        self._bus = bus
        self._catalog = catalog
        self._database = database
        self._training = training
        self._directory_admin = directory_admin
        self._secure_cookies = secure_cookies

    # -- assembly --------------------------------------------------------------------------

    def router(self) -> APIRouter:
        """Every console route."""
        router = APIRouter(prefix="/console", tags=["console"])
        signed_in = [Depends(self._signed_in)]
        changing = [Depends(self._changing)]
        cases = [Depends(self._role(*CASE_ROLES))]
        cases_changing = [Depends(self._changing_role(*CASE_ROLES))]
        oversight = [Depends(self._role(*OVERSIGHT_ROLES))]
        oversight_changing = [Depends(self._changing_role(*OVERSIGHT_ROLES))]
        hotline = [Depends(self._role(*HOTLINE_ROLES))]
        hotline_changing = [Depends(self._changing_role(*HOTLINE_ROLES))]
        training_changing = [Depends(self._changing_role("trainer"))]
        route = router.add_api_route
        route("", self.page, methods=["GET"], response_class=HTMLResponse, include_in_schema=False)
        route("/strings/{language}", self.strings, methods=["GET"])
        route("/api/sign-in", self.sign_in, methods=["POST"], dependencies=[Depends(self._json_from_this_site)])
        route("/api/sign-out", self.sign_out, methods=["POST"], dependencies=changing)
        route("/api/me", self.me, methods=["GET"], dependencies=signed_in)
        route("/api/duty", self.duty, methods=["POST"], dependencies=changing)
        route("/api/queue", self.queue, methods=["GET"], dependencies=cases)
        route("/api/live", self.live, methods=["GET"], dependencies=hotline)
        route("/api/live/{ref}/take", self.take_over, methods=["POST"], dependencies=hotline_changing)
        route("/api/training/chats", self.training_chat, methods=["POST"], dependencies=training_changing)
        route("/api/training/end", self.end_training, methods=["POST"], dependencies=training_changing)
        route("/api/events", self.events, methods=["GET"], dependencies=cases)
        route("/api/cases/{case_id}", self.case, methods=["GET"], dependencies=cases)
        route("/api/cases/{case_id}/claim", self.claim, methods=["POST"], dependencies=cases_changing)
        route("/api/cases/{case_id}/messages", self.write, methods=["POST"], dependencies=cases_changing)
        route("/api/cases/{case_id}/transfer", self.transfer, methods=["POST"], dependencies=cases_changing)
        route("/api/cases/{case_id}/hand-back", self.hand_back, methods=["POST"], dependencies=cases_changing)
        route("/api/cases/{case_id}/close", self.close, methods=["POST"], dependencies=cases_changing)
        route("/api/dashboard", self.dashboard, methods=["GET"], dependencies=oversight)
        route("/api/audit", self.audit_entries, methods=["GET"], dependencies=oversight)
        directory = self._directory_admin
        route("/api/directory", directory.entries, methods=["GET"], dependencies=oversight)
        route("/api/directory/{hotline_id}", directory.save, methods=["PUT"], dependencies=oversight_changing)
        route("/api/directory/{hotline_id}", directory.delete, methods=["DELETE"], dependencies=oversight_changing)
        return router

    @staticmethod
    async def error_response(request: Request, error: HTTPException) -> JSONResponse:
        """Console errors as `{"error": code}` (a taken case also says by whom)."""
        body = error.detail if isinstance(error.detail, dict) else {"error": error.detail}
        return JSONResponse(body, status_code=error.status_code, headers=error.headers)

    def static_files(self) -> StaticFiles:
        """The console's script and style sheet, served from the repository."""
        return StaticFiles(directory=STATIC_DIR)

    # -- who is asking ---------------------------------------------------------------------

    async def _signed_in(self, request: Request) -> None:
        """Require a signed-in session (401 otherwise); the handler finds it with `_who`.

        Route dependencies run before the body is read, so an anonymous request is refused
        before anything it sent is looked at.
        """
        token = request.cookies.get(COOKIE)
        found = await asyncio.to_thread(self._accounts.session, token) if token and len(token) <= 128 else None
        if found is None:
            raise HTTPException(status_code=401, detail="sign_in_required")
        request.state.account, request.state.csrf = found

    async def _json_from_this_site(self, request: Request) -> None:
        """A state change must be JSON (no cross-site form can send that) from this site's pages."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(status_code=415, detail="json_required")
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
            raise HTTPException(status_code=403, detail="cross_site")

    async def _changing(self, request: Request) -> None:
        """Require a signed-in state change: JSON from this site with the session's CSRF token."""
        await self._signed_in(request)
        await self._json_from_this_site(request)
        if not csrf_matches(request.state.csrf, request.headers.get("x-csrf-token", "")):
            raise HTTPException(status_code=403, detail="csrf")

    def _role(self, *roles: str):
        async def allowed(request: Request) -> None:
            await self._signed_in(request)
            if request.state.account.role not in roles:
                raise HTTPException(status_code=403, detail="forbidden")

        return allowed

    def _changing_role(self, *roles: str):
        async def allowed(request: Request) -> None:
            await self._changing(request)
            if request.state.account.role not in roles:
                raise HTTPException(status_code=403, detail="forbidden")

        return allowed

    @staticmethod
    def _who(request: Request) -> tuple[Account, str]:
        """The signed-in account and its CSRF token (set by the route's dependency)."""
        return request.state.account, request.state.csrf

    # -- page, texts, sign-in --------------------------------------------------------------

    async def page(self) -> HTMLResponse:
        """The console page (its texts arrive from `/console/strings/{language}`)."""
        return HTMLResponse((STATIC_DIR / "console.html").read_text(encoding="utf-8"), headers=PAGE_HEADERS)

    async def strings(self, language: str) -> JSONResponse:
        """The console's texts in `language`, and every language's name."""
        if language not in LANGUAGES:
            raise HTTPException(status_code=404, detail="unknown_language")
        names = {lang: self._catalog.text(lang, "language.name") for lang in LANGUAGES}
        return JSONResponse({"texts": self._catalog.strings(language, "console"), "languages": names})

    async def sign_in(self, form: SignInForm) -> JSONResponse:
        """Sign in; a failure is slowed, and repeated failures lock the account for a while."""
        try:
            signed = await asyncio.to_thread(self._accounts.sign_in, form.username, form.password)
        except AccountLocked as locked:
            await asyncio.to_thread(self._audit.write, None, "sign_in_locked")
            return JSONResponse({"error": "locked", "retry_after": locked.retry_after_seconds}, status_code=429)
        except SignInRefused:
            await asyncio.sleep(FAILED_SIGN_IN_DELAY_SECONDS)
            await asyncio.to_thread(self._audit.write, None, "sign_in_refused")
            return JSONResponse({"error": "invalid"}, status_code=401)
        await asyncio.to_thread(self._audit.write, signed.account.id, "sign_in")
        response = JSONResponse({"operator": self._me(signed.account, signed.csrf), "csrf": signed.csrf})
        response.set_cookie(
            COOKIE,
            signed.token,
            max_age=int((signed.expires_at - utcnow()).total_seconds()),
            path="/console",
            httponly=True,
            samesite="strict",
            secure=self._secure_cookies,
        )
        return response

    async def sign_out(self, request: Request) -> JSONResponse:
        """End the session (also with a stale one: the cookie goes either way); a trainer's
        training chats end with it."""
        account, _ = self._who(request)
        await asyncio.to_thread(self._accounts.sign_out, request.cookies.get(COOKIE, ""))
        if account.role == "trainer":
            await self._end_training_of(account)
        await asyncio.to_thread(self._audit.write, account.id, "sign_out")
        response = JSONResponse({})
        response.delete_cookie(COOKIE, path="/console")
        return response

    async def me(self, request: Request) -> dict:
        """Who is signed in, with the CSRF token the page sends back."""
        account, csrf = self._who(request)
        return self._me(account, csrf)

    async def duty(self, form: DutyForm, request: Request) -> dict:
        """Go on or off duty."""
        account, csrf = self._who(request)
        await asyncio.to_thread(self._accounts.set_duty, account.id, form.on_duty)
        await asyncio.to_thread(self._audit.write, account.id, "on_duty" if form.on_duty else "off_duty")
        updated = await asyncio.to_thread(self._accounts.get, account.id)
        return self._me(updated, csrf)

    @staticmethod
    def _me(account: Account, csrf: str) -> dict:
        return {
            "id": account.id,
            "username": account.username,
            "display_name": account.display_name,
            "role": account.role,
            "teams": list(account.teams),
            "on_duty": account.on_duty,
            "csrf": csrf,
        }

    # -- queue and live conversations ------------------------------------------------------

    @staticmethod
    def _teams_of(account: Account) -> list[str] | None:
        """The teams whose cases `account` sees (None: every team; a trainer's training cases
        may be of any team)."""
        return None if account.role in ("supervisor", "trainer") else list(account.teams)

    async def queue(self, request: Request) -> dict:
        """The open cases this account may see, most pressing first (a trainer's: training cases)."""
        account, _ = self._who(request)
        training = account.role == "trainer"
        cases = await asyncio.to_thread(self._handoffs.queue, self._teams_of(account), training)
        return {"cases": [case_summary(case, account.id) for case in cases]}

    async def live(self) -> dict:
        """The conversations with the assistant now, which an operator may take over."""
        return {
            "conversations": [
                {
                    "ref": live.ref,
                    "channel": live.channel,
                    "language": live.language,
                    "idle_seconds": int((utcnow() - live.last_at).total_seconds()),
                }
                for live in self._conversations.live()
            ]
        }

    async def take_over(self, ref: str, request: Request) -> dict:
        """Open a case on a live conversation, taken by this operator at once."""
        account, _ = self._who(request)
        try:
            case_id = await self._conversations.take_over(ref[:32], account.id)
        except CaseError as error:
            raise self._case_error(error) from None
        await asyncio.to_thread(self._audit.write, account.id, "take_over", case_id)
        return case_summary(await self._case_for(account, case_id), account.id)

    # -- one case --------------------------------------------------------------------------

    async def _case_for(self, account: Account, case_id: str) -> Case:
        """The case, if this account may see it (404 when unknown, 403 for another team's)."""
        case = await asyncio.to_thread(self._handoffs.case, case_id[:32])
        if case is None:
            raise HTTPException(status_code=404, detail="unknown")
        if case.training != (account.role == "trainer"):
            raise HTTPException(status_code=404, detail="unknown")  # the other world's cases do not exist here
        teams = self._teams_of(account)
        if teams is not None and case.team not in teams:
            raise HTTPException(status_code=403, detail="forbidden")
        return case

    def _case_error(self, error: CaseError) -> HTTPException:
        if error.code == "taken":
            return HTTPException(status_code=409, detail={"error": "taken", "by": error.by})
        return HTTPException(status_code=CASE_ERROR_STATUS.get(error.code, 409), detail=error.code)

    async def case(self, case_id: str, request: Request) -> dict:
        """The whole case view (the view is audited)."""
        account, _ = self._who(request)
        case = await self._case_for(account, case_id)
        operators = await asyncio.to_thread(self._accounts.on_duty, TRAINING_QUEUE if case.training else case.team)
        listed = [{"id": o.id, "display_name": o.display_name} for o in operators if o.role in CASE_ROLES]
        details = await asyncio.to_thread(self._case_view.details, case, account.id, listed)
        await asyncio.to_thread(self._audit.write, account.id, "view_case", case.id)
        return details

    async def claim(self, case_id: str, request: Request) -> dict:
        """Take a waiting case (exactly one of several operators claiming at once wins)."""
        account, _ = self._who(request)
        case = await self._case_for(account, case_id)
        try:
            claimed = await self._handoffs.claim(case.id, account.id)
        except CaseError as error:
            raise self._case_error(error) from None
        await asyncio.to_thread(self._audit.write, account.id, "claim", case.id)
        return case_summary(claimed, account.id)

    async def write(self, case_id: str, form: MessageForm, request: Request) -> JSONResponse:
        """Send a message to the person on their channel (only in this operator's active case)."""
        account, _ = self._who(request)
        case = await self._case_for(account, case_id)
        try:
            sent_at = await self._handoffs.write(case.id, account.id, form.text)
        except CaseError as error:
            raise self._case_error(error) from None
        await asyncio.to_thread(self._audit.write, account.id, "message", case.id)
        return JSONResponse({"at": sent_at.isoformat()}, status_code=201)

    async def transfer(self, case_id: str, form: TransferForm, request: Request) -> dict:
        """Give an active case to another operator on duty (a supervisor may move any case)."""
        account, _ = self._who(request)
        case = await self._case_for(account, case_id)
        target = await asyncio.to_thread(self._accounts.get, form.operator_id)
        if target is None or target.disabled or target.role not in CASE_ROLES:
            raise HTTPException(status_code=400, detail="invalid")
        if case.training != (target.role == "trainer"):
            raise HTTPException(status_code=400, detail="invalid")  # training cases stay with trainers
        if target.role not in ("supervisor", "trainer") and case.team not in target.teams:
            raise HTTPException(status_code=400, detail="invalid")
        acting = None if account.role == "supervisor" else account.id
        try:
            moved = await self._handoffs.transfer(case.id, acting, target.id)
        except CaseError as error:
            raise self._case_error(error) from None
        await asyncio.to_thread(self._audit.write, account.id, "transfer", case.id, f"to:{target.id}")
        return case_summary(moved, account.id)

    async def hand_back(self, case_id: str, request: Request) -> dict:
        """Give the conversation back to the assistant."""
        account, _ = self._who(request)
        case = await self._case_for(account, case_id)
        acting = None if account.role == "supervisor" else account.id
        try:
            ended = await self._handoffs.hand_back(case.id, acting)
        except CaseError as error:
            raise self._case_error(error) from None
        await asyncio.to_thread(self._audit.write, account.id, "hand_back", case.id)
        return case_summary(ended, account.id)

    async def close(self, case_id: str, form: CloseForm, request: Request) -> dict:
        """End the case with an outcome code."""
        account, _ = self._who(request)
        case = await self._case_for(account, case_id)
        acting = None if account.role == "supervisor" else account.id
        try:
            ended = await self._handoffs.close(case.id, acting, form.outcome)
        except CaseError as error:
            raise self._case_error(error) from None
        await asyncio.to_thread(self._audit.write, account.id, "close", case.id, form.outcome)
        return case_summary(ended, account.id)

    # -- live events -----------------------------------------------------------------------

    async def events(self, request: Request) -> StreamingResponse:
        """Server-Sent Events naming what changed; alerts only for this account's teams."""
        account, _ = self._who(request)
        token = request.cookies.get(COOKIE, "")
        return StreamingResponse(
            self._stream(account, token),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _stream(self, account: Account, token: str) -> AsyncIterator[str]:
        teams = self._teams_of(account)
        loop = asyncio.get_running_loop()
        checked = loop.time()
        async with self._bus.subscribe() as notices:
            yield "retry: 2000\n\n"
            while True:
                try:
                    notice = await asyncio.wait_for(notices.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    notice = None
                if loop.time() - checked > SESSION_RECHECK_SECONDS:
                    if await asyncio.to_thread(self._accounts.session, token) is None:
                        return  # signed out or expired: the page's next request gets 401
                    checked = loop.time()
                if notice is None:
                    continue
                if notice.kind == "alert" and (
                    bool(notice.data.get("training")) != (account.role == "trainer")
                    or (teams is not None and notice.data.get("team") not in teams)
                ):
                    continue
                kind = "queue" if notice.kind == "lagging" else notice.kind
                yield f"event: {kind}\ndata: {json.dumps(notice.data)}\n\n"

    # -- training --------------------------------------------------------------------------

    async def training_chat(self, request: Request) -> dict:
        """A link that opens a training chat for this trainer (its ticket is valid for an hour)."""
        account, _ = self._who(request)
        ticket = self._training.ticket(account.id)
        await asyncio.to_thread(self._audit.write, account.id, "training_chat")
        return {"url": f"/chat?training={ticket}"}

    async def end_training(self, request: Request) -> dict:
        """Delete this trainer's training chats, with their cases."""
        account, _ = self._who(request)
        return {"deleted": await self._end_training_of(account)}

    async def _end_training_of(self, account: Account) -> int:
        deleted = await asyncio.to_thread(self._training.end, account.id)
        await asyncio.to_thread(self._audit.write, account.id, "training_end")
        self._bus.publish("queue")
        return deleted

    # -- oversight -------------------------------------------------------------------------

    async def dashboard(self, days: int = 7) -> dict:
        """Counts and times over the last `days` days (no personal data)."""
        if not 1 <= days <= 366:
            raise HTTPException(status_code=400, detail="invalid_period")
        return await asyncio.to_thread(dashboard, self._database, days)

    async def audit_entries(self, request: Request, limit: int = 200) -> dict:
        """The newest audit entries (reading them is audited too)."""
        account, _ = self._who(request)
        entries = await asyncio.to_thread(self._audit.latest, max(1, min(limit, 1000)))
        await asyncio.to_thread(self._audit.write, account.id, "view_audit")
        return {"entries": [{**asdict(entry), "at": entry.at.isoformat()} for entry in entries]}
