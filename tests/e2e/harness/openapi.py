"""Discord's published OpenAPI 3.1 spec (vendored, MIT) as a checker for the local server.

``discord-openapi.json.gz`` is ``specs/openapi.json`` from discord/discord-api-spec. The spec
writes ``oneOf`` over branches that overlap (the four auto-populated select menus have the
same required fields, as do several interaction metadata shapes), so a valid payload can match
more than one branch; the checker reads ``oneOf`` as ``anyOf``.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SPEC_PATH = Path(__file__).with_name("discord-openapi.json.gz")
JSON = dict[str, Any]


@functools.cache
def spec() -> JSON:
    with gzip.open(SPEC_PATH, "rt", encoding="utf-8") as handle:
        loaded: JSON = json.load(handle)
    return _one_of_as_any_of(loaded)


def _one_of_as_any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _one_of_as_any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_one_of_as_any_of(v) for v in node]
    return node


def operation(method: str, route: str) -> JSON | None:
    """The spec's operation for ``method`` on a path template, or None."""
    path = spec()["paths"].get(route)
    return None if path is None else path.get(method.lower())


def response_schema(method: str, route: str, status: int) -> JSON | None:
    """The JSON schema for a response status (exact code, else ``4XX``), or None if bodiless."""
    op = operation(method, route)
    if op is None:
        raise KeyError(f"{method} {route} is not in the spec")
    responses = op["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if response is None:
        raise KeyError(f"{method} {route} documents no {status} response")
    response = _deref(response)
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def _deref(node: JSON) -> JSON:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@functools.cache
def _validator(method: str, route: str, status: int) -> Draft202012Validator | None:
    schema = response_schema(method, route, status)
    if schema is None:
        return None
    root = {**schema, "components": spec()["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def response_problems(method: str, route: str, status: int, body: Any) -> list[str]:
    """Why ``body`` does not match the documented response (empty list: it does)."""
    validator = _validator(method, route, status)
    if validator is None:
        return [] if body is None else [f"{status} must have no body"]
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message[:300]}"
        for error in validator.iter_errors(body)
    ]


_TEMPLATE = re.compile(r"\{[^}]+\}")


def same_template(a: str, b: str) -> bool:
    """Whether two path templates match ignoring parameter names."""
    return _TEMPLATE.sub("{}", a) == _TEMPLATE.sub("{}", b)
