"""Rendering the review page: the Jinja2 environment (autoescaped, templates packaged in
``service/templates``), number and date formats per language, and :class:`Page`, the
per-request context every template receives (language, translator, CSRF token)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from matching import __version__
from service.errors import error_in
from service.explanations import detail_in, why_in
from service.i18n import (
    DIRECTIONS,
    LANG_COOKIE,
    LANGUAGE_NAMES,
    Lang,
    Translator,
    choose_language,
    translator,
)
from service.web.security import CSRF_FIELD, CSRF_HEADER, load_session

__all__ = ["ENV", "Page", "PageDep", "get_page"]

TEMPLATES = resources.files("service") / "templates"

ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals["version"] = __version__
ENV.globals["csrf_field"] = CSRF_FIELD
ENV.globals["language_names"] = LANGUAGE_NAMES
ENV.globals["directions"] = DIRECTIONS
ENV.globals["back_arrow"] = {lang: "→" if d == "rtl" else "←" for lang, d in DIRECTIONS.items()}


def _number(value: float | None, lang: str, digits: int = 2) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def _percent(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{100 * value:.0f}"
    return f"{text} %" if lang == "fr" else f"{text}%"


def _when(value: datetime | None, lang: str) -> str:
    if value is None:
        return "–"
    return value.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M") + " UTC"


@dataclass(frozen=True)
class Page:
    """What every page needs: the request, its language and translator, the CSRF token."""

    request: Request
    lang: Lang
    t: Translator
    csrf: str

    def num(self, value: float | None, digits: int = 2) -> str:
        return _number(value, self.lang, digits)

    def pct(self, value: float | None) -> str:
        return _percent(value, self.lang)

    def when(self, value: datetime | None) -> str:
        return _when(value, self.lang)

    def why(self, text: str, evidence: Sequence[Mapping[str, Any]] | None) -> str:
        """A pair's explanation in the page's language (stored text for older runs)."""
        return why_in(text, evidence, self.lang)

    def detail(self, text: str, evidence: Mapping[str, Any] | None) -> str:
        """An unmatched mentee's detail in the page's language."""
        return detail_in(text, evidence, self.lang)

    def run_error(self, error: Mapping[str, Any] | None) -> str | None:
        """A failed run's error in the page's language (its English reason for runs that
        stored no message), None when the run stored none."""
        said = error_in(dict(error), self.lang) if error else None
        if not said:
            return None
        return str(said.get("message") or said.get("reason") or "") or None

    def render(
        self,
        template: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        html = ENV.get_template(template).render(
            page=self,
            t=self.t,
            lang=self.lang,
            csrf=self.csrf,
            csrf_header=CSRF_HEADER,
            path=self.request.url.path,
            query=self.request.url.query,
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=headers)


def get_page(request: Request) -> Page:
    lang = choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    return Page(request=request, lang=lang, t=translator(lang), csrf=load_session(request).csrf)


PageDep = Annotated[Page, Depends(get_page)]
