"""The OpenAPI document as published: FastAPI's, plus what the service enforces outside
the route models and would otherwise leave unsaid.

- The text guard (:class:`service.middleware.TextGuardMiddleware`) refuses control
  characters in every JSON text, key and query value, whatever the route: every string
  schema of a request (and every free-form object's property names) says so with
  :data:`TEXT_PATTERN`.
- A 405's ``Allow`` names the methods of the path the document matches
  (:func:`documented_methods`), concrete segments before parameters, as OpenAPI
  matches paths.
- A page's ``limit`` is at most the ``max_page_size`` setting, which FastAPI cannot know
  when the route is declared: the document states the running server's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.types import Scope

__all__ = ["TEXT_PATTERN", "documented_methods", "install_openapi"]

TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text the guard lets through: tabs and line breaks, no other control character (the
rule of :func:`matching.model.text_problem`)."""

_SPECIFIC = ("pattern", "enum", "const", "format", "contentMediaType")
"""A string schema with one of these already says more than the text rule."""


def install_openapi(app: FastAPI, max_page_size: int) -> None:
    """Publish FastAPI's document completed as the module docstring says (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _state_page_size(document, max_page_size)
            _state_text_rule(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def documented_methods(app: FastAPI, scope: Scope) -> set[str] | None:
    """The methods the document gives the request's path, or None for a path it leaves
    out. Of the templates matching the path, the one with the fewest parameters wins (a
    concrete segment before a parameter, as OpenAPI matches paths)."""
    path, root = scope["path"], scope.get("root_path", "")
    path = path.removeprefix(root) if root else path  # the app's own path, behind a prefix
    matching = [
        (template.count("{"), item)
        for template, item in app.openapi().get("paths", {}).items()
        if _template_regex(template).fullmatch(path)
    ]
    if not matching:
        return None
    _fewest, item = min(matching, key=lambda match: match[0])
    return {method.upper() for method in item}


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    """A path template as a regular expression: each ``{parameter}`` one segment."""
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        yield from path_item.values()


def _state_page_size(document: dict[str, Any], max_page_size: int) -> None:
    """``maximum`` on every paginated operation's ``limit`` (:func:`service.deps.get_page`)."""
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] == "limit":
                for schema in _alternatives(parameter["schema"]):
                    if schema.get("type") == "integer":
                        schema["maximum"] = max_page_size


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema itself, or the branches of its ``anyOf`` (``int | None`` is two)."""
    return list(schema.get("anyOf", [schema]))


def _state_text_rule(document: dict[str, Any]) -> None:
    """:data:`TEXT_PATTERN` on every string of every request body and query parameter,
    and on the property names of their free-form objects, components reached through
    ``$ref`` included."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                _mark(parameter["schema"], components, seen)
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "schema" in media:
                _mark(media["schema"], components, seen)


def _mark(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Add the text rule to ``schema`` and everything under it, depth first."""
    if isinstance(schema, list):
        for item in schema:
            _mark(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _mark(components.get(name), components, seen)
        return
    if schema.get("type") == "string" and not any(key in schema for key in _SPECIFIC):
        schema["pattern"] = TEXT_PATTERN
    # An object open to more keys (``additionalProperties`` absent means open too) says
    # that their names follow the text rule, as the request guard checks them.
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        schema.setdefault("propertyNames", {"pattern": TEXT_PATTERN})
    for key, value in schema.items():
        if key not in ("examples", "example", "default", "const", "enum"):
            _mark(value, components, seen)
