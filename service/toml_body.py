"""Programme configurations sent as TOML (``Content-Type: application/toml``), the format
``marraine match --config`` reads: the document is the configuration, so the body is
handed on as the JSON ``{"config": document}`` (with ``"name"`` from the ``name`` query
parameter when given). Everything after sees JSON: the text guard refuses ``nan``,
``inf`` and control characters, and the routes' validation names a wrong key exactly as
it does for JSON (``["body", "config", "criteria", 0, "weight"]``)."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from matching.messages import Message, render_message
from matching.model import syntax_reason
from service.middleware import read_body, scope_language, send_json

__all__ = ["TOML", "TomlBodyMiddleware", "toml_request_body"]

TOML = "application/toml"
_PLACE = re.compile(r"at line \d+, column \d+|at end of document")


def toml_request_body(schema_ref: str) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route taking a configuration as JSON (the model
    ``schema_ref``) or as a TOML document."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": schema_ref}},
                TOML: {
                    "schema": {
                        "type": "string",
                        "description": "The programme configuration as a TOML file "
                        "(the one `marraine match --config` reads); the programme's name "
                        "from the `name` query parameter, else the configuration's",
                    }
                },
            },
        }
    }


def _media_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower()
    return b""


def _as_json(body: bytes, query: str) -> bytes:
    """The TOML ``body`` as the JSON body of a configuration route (raises ValueError
    with a message naming the line, never the content)."""
    document = tomllib.loads(body.decode("utf-8"))
    wrapped: dict[str, Any] = {"config": document}
    name = dict(parse_qsl(query)).get("name")
    if name is not None:
        wrapped["name"] = name
    # Non-finite numbers as NaN / Infinity, which the text guard then refuses by place;
    # TOML dates and times as their ISO text (no configuration field takes one).
    return json.dumps(wrapped, allow_nan=True, default=str).encode()


def _reason(error: ValueError) -> str:
    """Where the document stops being TOML: the parser's place only, as its message can
    quote a character or a key of the document."""
    if isinstance(error, UnicodeDecodeError):
        return "not a TOML document: not UTF-8 text"
    place = _PLACE.search(str(error))
    return f"not a TOML document ({place.group(0)})" if place else "not a TOML document"


def _message(error: ValueError) -> Message:
    """:func:`_reason` as the engine's catalogue says it (``message`` of the 422 item)."""
    if isinstance(error, UnicodeDecodeError):
        return Message("not UTF-8: save the file as UTF-8")
    return syntax_reason(error)


class TomlBodyMiddleware:
    """Turns a TOML request body into the JSON one the configuration routes read; a body
    that is not TOML is refused with 422 and the parser's line and column."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _media_type(scope) != TOML.encode():
            await self.app(scope, receive, send)
            return
        try:
            body = _as_json(await read_body(receive), scope.get("query_string", b"").decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            detail = [
                {
                    "loc": ["body"],
                    "msg": _reason(error),
                    "type": "toml",
                    "message": render_message(_message(error), scope_language(scope)),
                }
            ]
            await send_json(send, 422, {"detail": detail})
            return
        headers = [
            (n, v) for n, v in scope["headers"] if n not in (b"content-type", b"content-length")
        ]
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        replayed = False

        async def replay() -> ASGIMessage:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": headers}, replay, send)
