"""The coordinator review page: server-rendered Jinja2 + htmx, served by the same app as
the API and built on the same operations (:mod:`service.ops`).

This package owns the page routers (sign-in, dashboard, run review, the public check-in
form), their sessions, CSRF and security headers, the English, French and Arabic
catalogues, the charts, the exports and the run reads kept between views;
``service/templates`` and ``service/static`` hold the templates and assets.
:func:`install` mounts it all on an app.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["install"]


class _NoSniff:
    """Static files with ``X-Content-Type-Options: nosniff`` and a day of caching."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"cache-control", b"public, max-age=86400"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Mount the review page's routers and its static files (``/static``) on ``app``."""
    from service.web import (
        pages_auth,
        pages_checkin,
        pages_choices,
        pages_dashboard,
        pages_pending,
        pages_review,
        pages_sign_up,
    )

    for router in (
        pages_auth.router,
        pages_dashboard.router,
        pages_review.router,
        pages_checkin.router,
        pages_sign_up.router,
        pages_pending.router,
        pages_choices.router,
    ):
        app.include_router(router)
    static = StaticFiles(directory=str(resources.files("service") / "static"))
    app.mount("/static", _NoSniff(static), name="static")
