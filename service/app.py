"""The application factory: settings, database (migrated at start-up), middleware,
error handlers and routers."""

from __future__ import annotations

import os

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from matching import __version__
from service.db import make_engine, make_sessionmaker, migrate
from service.deps import refuse_unknown_query
from service.errors import install_handlers
from service.logs import configure_logging
from service.middleware import (
    BodyLimitMiddleware,
    CredentialsFirstMiddleware,
    RequestIdMiddleware,
    TextGuardMiddleware,
)
from service.models import utcnow
from service.openapi import install_openapi
from service.pseudonyms import ensure_secret
from service.routers import (
    checkin_links,
    choice_links,
    choices,
    decisions,
    follow_up,
    health,
    keys,
    match,
    participants,
    programmes,
    proposals,
    ranks,
    runs,
    sign_up_forms,
    sign_up_links,
    sign_ups,
    waves,
)
from service.settings import Settings, get_settings, warn_unknown_variables
from service.throttle import FailureThrottle
from service.toml_body import TomlBodyMiddleware
from service.web import install as install_web
from service.web.routing import problem_text
from service.web.run_reads import RunReads

__all__ = ["create_app"]

DESCRIPTION = """Marraine pairs mentees with mentors. Every route but `/health` and the
docs needs an API key: `Authorization: Bearer KEY` or `X-API-Key: KEY`
(create the first one with `marraine keys create --role admin`)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database is migrated to the latest schema before it serves."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    warn_unknown_variables(os.environ)
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)

    app = FastAPI(
        title="Marraine",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served by _install_docs from the package's own files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.secret = ensure_secret(sessions, settings)
    app.state.run_reads = RunReads(settings.review_cache_runs)
    app.state.throttle = FailureThrottle(
        settings.auth_failures_per_address, settings.auth_failures_per_key
    )
    # Wrong or closed check-in links, counted apart from API keys (per address only).
    app.state.link_throttle = FailureThrottle(
        settings.auth_failures_per_address, settings.auth_failures_per_key
    )
    # Sign-up submissions per address: every one counts, accepted or refused.
    app.state.sign_up_throttle = FailureThrottle(
        settings.sign_ups_per_address, settings.sign_ups_per_address
    )
    app.state.clock = utcnow

    install_handlers(app, problem_text)
    for router in (
        health.router,
        match.router,
        programmes.router,
        participants.router,
        ranks.router,
        runs.router,
        decisions.router,
        follow_up.router,
        follow_up.run_router,
        proposals.router,
        checkin_links.router,
        sign_up_forms.router,
        sign_ups.router,
        sign_up_links.router,
        waves.router,
        choices.router,
        choice_links.router,
        keys.router,
    ):
        app.include_router(router, dependencies=[Depends(refuse_unknown_query)])
    install_web(app)  # the coordinator review page at / and its /static files
    _install_docs(app)
    install_openapi(app, settings.max_page_size)

    # Added last so they run first: the request id wraps everything, then the key check
    # (401 before anything reads the body), then the size limit.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(TomlBodyMiddleware)  # before the text guard: it then checks JSON
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(CredentialsFirstMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


SWAGGER_UI = "/static/swagger-ui"
"""Swagger UI's files, vendored in ``service/static/swagger-ui`` (nothing from a CDN)."""


def _install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI served from the package, so the docs work offline."""
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon.png",
            oauth2_redirect_url=oauth2_redirect,
            # Swagger UI's default asks an online validator for a badge: nothing leaves.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
