"""Rasa's action endpoint, `POST /actions/webhook`, served inside the app.

rasa-sdk's executor runs the actions in-process, so they reach the core directly. The bot
sends a bearer token (`SAPHAN_ACTION_TOKEN`); any other caller gets 401. Errors keep
rasa-sdk's contract (unknown action 404, rejected 400) and never echo the request, which holds
the tracker and so the person's words.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024


def router(executor: ActionExecutor, token: str) -> APIRouter:
    """The action endpoint for `executor`, guarded by `token`."""
    routes = APIRouter(tags=["actions"])
    expected = f"Bearer {token}".encode()

    @routes.post("/actions/webhook", include_in_schema=False)
    async def webhook(request: Request) -> JSONResponse:
        # Defends against any local process or forwarded request calling actions directly.
        given = request.headers.get("authorization", "").encode()
        if not token or not hmac.compare_digest(given, expected):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        length = request.headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse({"error": "request too large"}, status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "request too large"}, status_code=413)
        try:
            action_call = await request.json()
        except ValueError:
            return JSONResponse({"error": "malformed JSON"}, status_code=400)
        if not isinstance(action_call, dict) or not isinstance(action_call.get("tracker"), dict):
            return JSONResponse({"error": "not an action call"}, status_code=400)
        try:
            result = await executor.run(action_call)
        except ActionNotFoundException as error:
            logger.warning("unknown action requested", extra={"key": error.action_name})
            return JSONResponse({"error": "unknown action", "action_name": error.action_name}, status_code=404)
        except ActionExecutionRejection as error:
            return JSONResponse({"error": "action rejected", "action_name": error.action_name}, status_code=400)
        except Exception:
            logger.exception("action failed")
            return JSONResponse({"error": "action failed"}, status_code=500)
        if result is None:
            return JSONResponse({"error": "no action named"}, status_code=400)
        return JSONResponse(result.model_dump())

    return routes
