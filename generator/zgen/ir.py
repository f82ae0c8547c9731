"""The intermediate representation: what zgen knows of an API, free of Postman's quirks.

Every class is a frozen dataclass of plain values. Templates never see a Postman dict; normalize
never writes Python source. Text here is data taken from the collection: it reaches generated
code only through the literal and docstring filters, and names only through the naming pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# A piece of text that may refer to client-level values: ("text", "abc") or ("var", "org-id"), or
# (in a fixed header or query value) a value made fresh for each request, as Postman's dynamic
# variables are: ("dynamic", "$guid") (see normalize.DYNAMIC).
TemplatePart = tuple[Literal["text", "var", "dynamic"], str]
Template = tuple[TemplatePart, ...]

BodyMode = Literal["json", "text", "urlencoded", "formdata", "file", "graphql"]
# "unsaved": an empty saved body that stands for content the collection did not keep
ExampleKind = Literal["json", "text", "binary", "empty", "unsaved"]
ParamLocation = Literal["path", "query"]
AuthKind = Literal["bearer", "basic", "apikey", "oauth2", "unsupported"]


@dataclass(frozen=True)
class ClientVar:
    """A value set once on the client: a base URL, an option, or a credential (`secret`)."""

    key: str
    default: str | None
    secret: bool
    description: str


@dataclass(frozen=True)
class Param:
    """A per-call argument of an operation."""

    key: str
    location: ParamLocation
    required: bool
    default: str | None
    description: str
    multiple: bool = False  # a query key the collection repeats (?a=1&a=2): a list, sent repeated


@dataclass(frozen=True)
class FormField:
    key: str
    is_file: bool
    required: bool
    description: str


@dataclass(frozen=True)
class Slot:
    """A value of a request body made when the call is sent: a string from a template (text,
    credentials as "var", dynamic variables made fresh), or (`bare`, a dynamic variable written
    where a JSON value goes: `"count": {{$randomInt}}`) that variable's JSON value."""

    template: Template
    bare: bool = False


@dataclass(frozen=True)
class Body:
    mode: BodyMode
    content_type: str | None
    example: Any = None  # parsed JSON example (json mode), or the raw text / GraphQL query
    fields: tuple[FormField, ...] = ()
    # `{{variables}}` of a JSON body, by JSON path (object keys): credentials the client fills in
    # (path, ClientVar key), collection defaults it fills in (path, JSON scalar), and the paths
    # of bare variables whose type is unknown (typed Any).
    fills: tuple[tuple[tuple[str, ...], str], ...] = ()
    defaults: tuple[tuple[tuple[str, ...], Any], ...] = ()
    untyped: tuple[tuple[str, ...], ...] = ()
    # Values made when the call is sent, by JSON path (or form field): a JSON body string or form
    # field holding a dynamic variable (`"ref": "order-{{$guid}}"`), as Postman makes it.
    fresh: tuple[tuple[tuple[str, ...], Slot], ...] = ()
    # A GraphQL body: its operation name, and the collection's variables, sent when the call
    # gives none: a JSON value, a `Slot` where a value is made when the call is sent.
    operation_name: str | None = None
    variables: Any = None


@dataclass(frozen=True)
class AuthSpec:
    """How a request authenticates, as Postman would send it."""

    kind: AuthKind
    postman_type: str
    location: Literal["header", "query"] = "header"
    name: str = "Authorization"  # header name, or query parameter name
    prefix: str = ""  # e.g. "Bearer", "Zoho-oauthtoken"; empty for api keys
    credentials: tuple[str, ...] = ()  # ClientVar keys: (token,) or (username, password)


@dataclass(frozen=True)
class Example:
    """A saved response."""

    name: str
    place: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: str
    content_type: str
    kind: ExampleKind
    parsed: Any = None  # the parsed JSON body when kind == "json"


@dataclass(frozen=True)
class Operation:
    """One request of the collection."""

    place: str  # "Folder / Sub / Request", for messages
    folders: tuple[str, ...]
    name: str
    method: str
    host: str  # key of the ClientVar holding the base URL
    path: Template  # "var" parts are path parameter keys
    params: tuple[Param, ...]
    query: tuple[tuple[str, Template], ...]  # fixed query entries from client-level values
    headers: tuple[tuple[str, Template], ...]  # fixed headers; "var" parts are ClientVar keys
    body: Body | None
    auth: AuthSpec | None
    description: str
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Folder:
    """A folder of the collection: its path of names (as in `Operation.folders`) and description."""

    path: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Api:
    """A whole collection."""

    file: str
    stem: str
    title: str
    description: str
    variables: tuple[ClientVar, ...]
    base_url: str  # key of the primary host ClientVar
    operations: tuple[Operation, ...]
    folders: tuple[Folder, ...] = ()  # every folder that holds requests, in collection order
