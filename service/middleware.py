"""ASGI middleware: request ids and access logs (an unexpected error answers 500 and is
logged by type only), the API key check before anything reads a body, the request body
size limit, and the text guard that refuses characters no database stores before any
route reads them."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from matching.messages import Message, negotiate, render_message
from matching.model import text_problem
from service.deps import authenticate_request
from service.logs import request_id_var

__all__ = [
    "BodyLimitMiddleware",
    "CredentialsFirstMiddleware",
    "RequestIdMiddleware",
    "TextGuardMiddleware",
    "read_body",
    "scope_language",
    "send_json",
]

log = logging.getLogger("service.access")
_PATH_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Tags each request with an id (the caller's ``X-Request-ID`` when well-formed) and
    logs method, route template, status and duration — never the raw path, whose ids
    can name people, nor the query string or body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_with_id(message: ASGIMessage) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # noqa: BLE001 - the last line of defence
            # Logged by type only (the message or traceback can quote submitted values),
            # and not re-raised: the server would print the traceback.
            log.error("unexpected error", extra={"fields": {"exception": type(error).__name__}})
            if not answered:  # a started answer cannot be replaced
                status = 500
                await send_json(send_with_id, 500, {"detail": "internal server error"})
        finally:
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "route": getattr(route, "path", "(unmatched)"),
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
            request_id_var.reset(token)


class CredentialsFirstMiddleware:
    """Checks the API key of a request to ``/v1/`` that may carry a body before any layer
    reads that body, so a caller without a valid key learns 401 (or 429), never how the
    server parses what it sent (400, 413, 422). The principal is remembered on the request
    for the route's dependency (:func:`service.deps.authenticate_request`)."""

    WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = (
            scope["type"] == "http"
            and scope["method"] in self.WITH_BODY
            and scope["path"].startswith("/v1/")
        )
        if guarded:
            request = Request(scope)
            try:
                await run_in_threadpool(authenticate_request, request, request.app.state.sessions())
            except HTTPException as refusal:
                await send_json(
                    send, refusal.status_code, {"detail": refusal.detail}, refusal.headers
                )
                return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Refuses bodies over their limit with 413, by Content-Length or while streaming:
    ``upload_bytes`` for file uploads (``multipart/form-data``, which the server spools to
    disk), ``max_bytes`` for every other body (JSON, parsed in memory)."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_bytes if is_upload else self.max_bytes
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(send, limit)
            return
        received = 0
        too_large = False
        answered = False

        async def limited_receive() -> ASGIMessage:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLargeError
            return message

        async def guarded_send(message: ASGIMessage) -> None:
            nonlocal answered
            # The app may turn the interrupted read into its own error answer: replace it.
            if too_large:
                if not answered:
                    answered = True
                    await self._refuse(send, limit)
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLargeError):
            await self.app(scope, limited_receive, guarded_send)
        if too_large and not answered:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        await send_json(send, 413, {"detail": f"request body larger than {limit} bytes"})


class _TooLargeError(Exception):
    """Raised inside the app when a streamed body passes the limit."""


async def send_json(
    send: Send, status: int, content: Any, headers: Mapping[str, str] | None = None
) -> None:
    body = json.dumps(content).encode()
    extra = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _RefusedError(Exception):
    """A request part the guard refuses: where it is and why (never the value)."""

    def __init__(self, loc: list[str | int], msg: Message) -> None:
        super().__init__(str(msg))
        self.loc = loc
        self.msg = msg


_NOT_FINITE_NUMBER = Message("must be a finite number (not NaN, Infinity or beyond 1e308)")
_FIELD_NAME = Message("a field name contains a control character")


class _NotFinite:
    """Stands in, while checking, for a JSON number that is NaN, Infinity or too large
    for a float (json would otherwise read it as ``inf``)."""


_NOT_FINITE = _NotFinite()


def _check_json(value: Any, loc: list[str | int]) -> None:
    """Every key, text value and number of a parsed JSON document, depth first."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            raise _RefusedError(loc, Message("text {problem}", problem=problem))
    elif value is _NOT_FINITE:
        raise _RefusedError(loc, _NOT_FINITE_NUMBER)
    elif isinstance(value, dict):
        for key, item in value.items():
            if text_problem(key) is not None:
                raise _RefusedError(loc, _FIELD_NAME)
            _check_json(item, [*loc, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, [*loc, index])


def _check_pairs(text: str, where: str) -> None:
    for name, value in parse_qsl(text, keep_blank_values=True):
        if text_problem(name) is not None:
            raise _RefusedError([where], _FIELD_NAME)
        problem = text_problem(value)
        if problem is not None:
            raise _RefusedError([where, name], Message("text {problem}", problem=problem))


def check_request(scope: Scope, body: bytes | None) -> None:
    """Raise :class:`_RefusedError` for a control character in the path, the query or a
    JSON or form body, NaN, Infinity or a number beyond floating point in JSON, or a JSON
    number too long to parse."""
    if _PATH_REFUSED.search(scope.get("path", "")):
        raise _RefusedError(["path"], Message("the path contains a control character"))
    _check_pairs(scope.get("query_string", b"").decode("latin-1"), "query")
    if not body:
        return
    if _content_type(scope) == "form":
        _check_pairs(body.decode("latin-1"), "body")
        return
    not_finite = False

    def constant(_name: str) -> _NotFinite:
        nonlocal not_finite
        not_finite = True
        return _NOT_FINITE

    def finite_float(text: str) -> float | _NotFinite:
        value = float(text)
        return value if math.isfinite(value) else constant(text)

    try:
        document = json.loads(body, parse_constant=constant, parse_float=finite_float)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return  # not JSON: FastAPI answers that itself
    except ValueError:
        raise _RefusedError(["body"], Message("a number is too long")) from None
    # Raw control characters are invalid JSON and a lone surrogate is invalid UTF-8: in
    # a parsed body they can only come from \u escapes (or DEL, allowed raw), so a body
    # without either, and without a non-finite number, needs no walk.
    if not (not_finite or b"\\u" in body or b"\x7f" in body):
        return
    try:
        _check_json(document, ["body"])
    except RecursionError:
        raise _RefusedError(["body"], Message("the document is nested too deeply")) from None


def scope_language(scope: Scope) -> str:
    """The language a request's ``Accept-Language`` asks for (English without it), for
    answers written before the routes run."""
    headers = dict(scope.get("headers") or [])
    return negotiate(headers.get(b"accept-language", b"").decode("latin-1"))


def _content_type(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/x-www-form-urlencoded":
                return "form"
            if media == b"application/json" or media.endswith(b"+json"):
                return "json"
    return None


class TextGuardMiddleware:
    """Refuses (422, with the place and reason, never the value) what no database stores
    as text or what is not a finite number: NUL and other control characters (tabs and
    line breaks allowed in text), lone surrogates, ``NaN`` and ``Infinity`` — in the
    path, the query string and JSON or form bodies. Other bodies (file uploads) pass on
    to the engine's own row-by-row check."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: bytes | None = None
        if _content_type(scope) is not None:
            body = await read_body(receive)
        try:
            check_request(scope, body)
        except _RefusedError as refused:
            detail = [
                {
                    "loc": refused.loc,
                    "msg": str(refused.msg),
                    "type": "value_error",
                    "message": render_message(refused.msg, scope_language(scope)),
                }
            ]
            await send_json(send, 422, {"detail": detail})
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        replayed = False

        async def replay() -> ASGIMessage:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
