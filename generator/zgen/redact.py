"""Redaction of credentials in saved responses: headers and token-like values in bodies.

A value is a credential by its name (the names below) or by its value (credentials.secret_value:
a known format, or a random-looking value under a key-ish name).

Applied once in normalize (so inference, fixtures and tests all see the placeholder, never the
secret) and again, idempotently, when fixtures are written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .credentials import KNOWN_IN_TEXT_RE, PRIVATE_KEY_BLOCK_RE, known_format, secret_value

REDACTED = "<redacted by zgen>"
REDACTED_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2"}
SECRET_HEADER_RE = re.compile(
    r"(^|-)(api-?key|auth-token|access-token|refresh-token|session-token|security-token|csrf-token|xsrf-token|secret)",
    re.IGNORECASE,
)
_SECRET_KEYS = (
    r"access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|bearer[-_]?token|session[-_]?token"
    r"|token|client[-_]?secret|secret|secret[-_]?key|private[-_]?key|api[-_]?key|password|passwd"
)
SECRET_BODY_KEY_RE = re.compile(rf"^({_SECRET_KEYS})$", re.IGNORECASE)
# The same keys inside text that is not parsed JSON: `"access_token": "..."` and `access_token=...`.
SECRET_JSON_TEXT_RE = re.compile(rf'("(?:{_SECRET_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)+"', re.IGNORECASE)
SECRET_FORM_TEXT_RE = re.compile(rf"(?<![\w-])((?:{_SECRET_KEYS})=)[^&\s\"'<>]+", re.IGNORECASE)
# Any `"name": "value"` and `name=value` in such text, for the checks by value.
JSON_PAIR_TEXT_RE = re.compile(r'("((?:[^"\\]|\\.)*)"\s*:\s*)"((?:[^"\\]|\\.)*)"')
# (a value by its value is 16 characters or more: the lookahead skips the others at once)
FORM_PAIR_TEXT_RE = re.compile(r"(?<![\w.-])(([\w.-]+)=)(?=[\w+/.=-]{16})([^&\s\"'<>]+)")


def is_secret_header(name: str) -> bool:
    lower = name.strip().lower()
    return lower in REDACTED_HEADERS or bool(SECRET_HEADER_RE.search(lower))


def redact_headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (
            key,
            (
                REDACTED
                if value
                and value != REDACTED
                and (is_secret_header(key) or secret_value(key, value))
                else value
            ),
        )
        for key, value in headers
    )


def redact_json(value: Any) -> tuple[Any, bool]:
    """A copy of a JSON value with token-like string values replaced by a visible placeholder:
    by the member's name, or by the value (credentials.secret_value; in a list, known formats).

    Iterative, so a deeply nested body cannot exhaust the stack.
    """
    if isinstance(value, str):
        return (REDACTED, True) if known_format(value) is not None else (value, False)
    changed = False
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        parent, key = stack.pop()
        node = parent[key]
        if isinstance(node, dict):
            copy: dict[str, Any] = {}
            for name, item in node.items():
                if type(item) is str:  # a saved body's most common value: tested inline
                    if (
                        item
                        and item != REDACTED
                        and isinstance(name, str)
                        and (SECRET_BODY_KEY_RE.match(name) or secret_value(name, item))
                    ):
                        item = REDACTED
                        changed = True
                elif isinstance(item, (dict, list)):
                    stack.append((copy, name))
                copy[name] = item
            parent[key] = copy
        elif isinstance(node, list):
            items = list(node)
            parent[key] = items
            for index, item in enumerate(items):
                if type(item) is str:
                    if item != REDACTED and known_format(item) is not None:
                        items[index] = REDACTED
                        changed = True
                elif isinstance(item, (dict, list)):
                    stack.append((items, index))
    return root[0], changed


def redact_text(text: str) -> str:
    """Token-like values in a body that is not parsed JSON (JSON-like text or form encoding): by
    their name, by their value under their name, and values in a known format anywhere."""
    text = SECRET_JSON_TEXT_RE.sub(
        lambda m: (
            f'{m.group(1)}"{REDACTED}"'
            if m.group(0)[len(m.group(1)) :] != f'"{REDACTED}"'
            else m.group(0)
        ),
        text,
    )
    text = SECRET_FORM_TEXT_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = JSON_PAIR_TEXT_RE.sub(
        lambda m: (
            f'{m.group(1)}"{REDACTED}"' if secret_value(m.group(2), m.group(3)) else m.group(0)
        ),
        text,
    )
    text = FORM_PAIR_TEXT_RE.sub(
        lambda m: m.group(1) + REDACTED if secret_value(m.group(2), m.group(3)) else m.group(0),
        text,
    )
    text = PRIVATE_KEY_BLOCK_RE.sub(REDACTED, text)
    return KNOWN_IN_TEXT_RE.sub(REDACTED, text)


def redact_body(body: str, parsed: Any, is_json: bool) -> tuple[str, Any]:
    """The body text and parsed value of a saved response, with credentials replaced."""
    if is_json:
        redacted, changed = redact_json(parsed)
        if not changed:
            return body, parsed
        try:
            return json.dumps(redacted, ensure_ascii=False, indent=2), redacted
        except (RecursionError, ValueError):
            return redact_text(body), redacted
    return redact_text(body), parsed
