"""Synthetic Postman v2.1 collections for benchmarking zgen.

``make_collection(n_requests, seed)`` returns a collection dict (ready for
``json.dump``) that looks like a real-world REST API export:

* a collection variable ``base-url`` used as the host of every request
  (``{{base-url}}``), plus one collection variable per ``{{<x>_id}}`` path
  placeholder, and bearer auth at collection level (``{{token}}``);
* requests spread over one folder per resource type (20-50 resource types),
  some folders with a nested sub-folder, and a few requests at the root;
* path variables in both spellings, ``:id`` and ``{{job_id}}``, query
  parameters (some disabled), JSON request bodies for POST/PUT/PATCH;
* exactly ``2 * n_requests`` saved example responses: every request has a
  success example, most have an error example
  (``{"code": "INVALID_DATA", "message": ..., "status": "error",
  "details": {...}}``), some have a second success or error example;
* success bodies are nested JSON: numeric-string ids
  (``"4150868000005350003"``), RFC 3339 date-times, nulls, nested objects,
  arrays of objects, arrays of strings, enums, numbers and booleans.  Every
  resource type has its own key set (and its own key spelling style), and
  individual requests add extra keys, so inferred models differ.

Everything is derived from ``random.Random(seed)``: the same arguments give
the same collection, byte for byte once serialised.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["count_responses", "make_collection", "write_collection"]

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

JSON = Any
Gen = Callable[[random.Random], JSON]

_EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)

# (plural, singular) of every resource type the synthesiser can use.
_RESOURCES: list[tuple[str, str]] = [
    ("contacts", "contact"),
    ("leads", "lead"),
    ("accounts", "account"),
    ("deals", "deal"),
    ("invoices", "invoice"),
    ("quotes", "quote"),
    ("products", "product"),
    ("vendors", "vendor"),
    ("campaigns", "campaign"),
    ("cases", "case"),
    ("solutions", "solution"),
    ("tasks", "task"),
    ("events", "event"),
    ("calls", "call"),
    ("notes", "note"),
    ("attachments", "attachment"),
    ("users", "user"),
    ("roles", "role"),
    ("profiles", "profile"),
    ("territories", "territory"),
    ("jobs", "job"),
    ("candidates", "candidate"),
    ("interviews", "interview"),
    ("offers", "offer"),
    ("departments", "department"),
    ("employees", "employee"),
    ("timesheets", "timesheet"),
    ("projects", "project"),
    ("milestones", "milestone"),
    ("issues", "issue"),
    ("tickets", "ticket"),
    ("orders", "order"),
    ("shipments", "shipment"),
    ("payments", "payment"),
    ("refunds", "refund"),
    ("subscriptions", "subscription"),
    ("plans", "plan"),
    ("coupons", "coupon"),
    ("webhooks", "webhook"),
    ("workflows", "workflow"),
    ("reports", "report"),
    ("dashboards", "dashboard"),
    ("layouts", "layout"),
    ("modules", "module"),
    ("fields", "field"),
    ("pipelines", "pipeline"),
    ("stages", "stage"),
    ("currencies", "currency"),
    ("warehouses", "warehouse"),
    ("assets", "asset"),
]

_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Barbara",
    "Ken",
    "Margaret",
    "Dennis",
    "Frances",
    "John",
    "Radia",
    "Edsger",
    "Hedy",
    "Tim",
    "Katherine",
    "Guido",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Allen",
    "Backus",
    "Perlman",
    "Dijkstra",
    "Lamarr",
    "Berners-Lee",
    "Johnson",
    "van Rossum",
]
_WORDS = [
    "alpha",
    "bravo",
    "cobalt",
    "delta",
    "ember",
    "falcon",
    "granite",
    "harbor",
    "indigo",
    "juniper",
    "krypton",
    "lumen",
    "meadow",
    "nimbus",
    "orchid",
    "pioneer",
    "quartz",
    "raven",
    "summit",
    "tundra",
]
_CITIES = [
    ("Chennai", "TN", "IN"),
    ("Austin", "TX", "US"),
    ("Leeds", "", "GB"),
    ("Lyon", "ARA", "FR"),
    ("Osaka", "27", "JP"),
    ("Denver", "CO", "US"),
]
_CURRENCIES = ["USD", "EUR", "INR", "GBP", "JPY"]
_ERRORS: list[tuple[int, str, str, str]] = [
    (400, "Bad Request", "INVALID_DATA", "invalid data"),
    (400, "Bad Request", "MANDATORY_NOT_FOUND", "required field not found"),
    (400, "Bad Request", "DUPLICATE_DATA", "duplicate data"),
    (401, "Unauthorized", "INVALID_TOKEN", "invalid oauth token"),
    (403, "Forbidden", "NO_PERMISSION", "permission denied to access the resource"),
    (
        404,
        "Not Found",
        "INVALID_URL_PATTERN",
        "Please check if the URL trying to access is a correct one",
    ),
    (404, "Not Found", "RESOURCE_NOT_FOUND", "the requested resource was not found"),
    (429, "Too Many Requests", "TOO_MANY_REQUESTS", "API call limit exceeded"),
]


# ---------------------------------------------------------------------------
# value generators


def _numeric_id(rng: random.Random) -> str:
    return f"41508680000{rng.randrange(10**8):08d}"


def _datetime(rng: random.Random) -> str:
    moment = _EPOCH + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
    offset = rng.choice(["+05:30", "Z", "-07:00", "+00:00"])
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + offset


def _date(rng: random.Random) -> str:
    return (_EPOCH + dt.timedelta(days=rng.randrange(1000))).strftime("%Y-%m-%d")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _email(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower().replace(' ', '')}@example.com"


def _phone(rng: random.Random) -> str:
    return f"+1-555-{rng.randrange(1000):03d}-{rng.randrange(10000):04d}"


def _url(rng: random.Random) -> str:
    return f"https://{rng.choice(_WORDS)}.example.com/{rng.choice(_WORDS)}"


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 7))).capitalize()


def _money(rng: random.Random) -> float:
    return round(rng.uniform(1, 50000), 2)


def _int(rng: random.Random) -> int:
    return rng.randrange(0, 5000)


def _bool(rng: random.Random) -> bool:
    return rng.random() < 0.5


def _lookup(rng: random.Random) -> dict[str, JSON]:
    return {"name": _person(rng), "id": _numeric_id(rng), "email": _email(rng)}


def _address(rng: random.Random) -> dict[str, JSON]:
    city, state, country = rng.choice(_CITIES)
    return {
        "street": f"{rng.randrange(1, 999)} {rng.choice(_WORDS).title()} Street",
        "city": city,
        "state": state or None,
        "zip": f"{rng.randrange(100000):05d}",
        "country": country,
    }


def _tags(rng: random.Random) -> list[dict[str, JSON]]:
    return [
        {
            "name": rng.choice(_WORDS),
            "id": _numeric_id(rng),
            "color_code": None if _bool(rng) else "#57B1FD",
        }
        for _ in range(rng.randint(0, 3))
    ]


def _line_items(rng: random.Random) -> list[dict[str, JSON]]:
    items: list[dict[str, JSON]] = []
    for _ in range(rng.randint(1, 3)):
        qty = rng.randint(1, 20)
        price = _money(rng)
        items.append(
            {
                "id": _numeric_id(rng),
                "product": {"name": _text(rng), "id": _numeric_id(rng), "code": None},
                "quantity": qty,
                "list_price": price,
                "discount": 0 if _bool(rng) else round(price * 0.1, 2),
                "total": round(qty * price, 2),
                "description": None,
            }
        )
    return items


def _str_list(rng: random.Random) -> list[str]:
    return [rng.choice(_WORDS) for _ in range(rng.randint(1, 4))]


def _enum(values: list[str]) -> Gen:
    return lambda rng: rng.choice(values)


def _nullable(gen: Gen, p_null: float = 0.35) -> Gen:
    return lambda rng: None if rng.random() < p_null else gen(rng)


def _always_null(rng: random.Random) -> None:
    return None


def _approval(rng: random.Random) -> dict[str, JSON]:
    return {"delegate": _bool(rng), "approve": _bool(rng), "reject": False, "resubmit": False}


def _layout(rng: random.Random) -> dict[str, JSON]:
    return {"name": "Standard", "id": _numeric_id(rng)}


# field pool: (base name, generator); names are respelled per resource style
_FIELD_POOL: list[tuple[str, Gen]] = [
    ("name", _text),
    ("full name", _person),
    ("first name", lambda r: r.choice(_FIRST)),
    ("last name", lambda r: r.choice(_LAST)),
    ("email", _email),
    ("secondary email", _nullable(_email, 0.7)),
    ("phone", _nullable(_phone)),
    ("mobile", _nullable(_phone, 0.5)),
    ("website", _nullable(_url)),
    ("description", _nullable(_text, 0.5)),
    ("status", _enum(["active", "inactive", "draft", "archived"])),
    ("stage", _enum(["Qualification", "Needs Analysis", "Proposal", "Closed Won", "Closed Lost"])),
    ("priority", _enum(["High", "Medium", "Low"])),
    ("type", _enum(["Customer", "Partner", "Reseller", "Vendor"])),
    ("source", _nullable(_enum(["Web", "Referral", "Trade Show", "Cold Call"]))),
    ("amount", _money),
    ("grand total", _money),
    ("tax", _nullable(_money)),
    ("probability", _int),
    ("quantity", _int),
    ("rating", _nullable(lambda r: r.randint(1, 5))),
    ("score", lambda r: round(r.uniform(0, 100), 1)),
    ("is active", _bool),
    ("email opt out", _bool),
    ("locked", _bool),
    ("closing date", _nullable(_date)),
    ("due date", _date),
    ("start time", _datetime),
    ("end time", _nullable(_datetime)),
    ("last activity time", _nullable(_datetime, 0.2)),
    ("owner", _lookup),
    ("assigned to", _nullable(_lookup)),
    ("account name", _nullable(_lookup, 0.2)),
    ("parent id", _nullable(_lookup, 0.6)),
    ("layout", _layout),
    ("address", _address),
    ("billing address", _nullable(_address, 0.3)),
    ("tag", _tags),
    ("line items", _line_items),
    ("labels", _str_list),
    ("currency", _enum(_CURRENCIES)),
    ("exchange rate", lambda r: round(r.uniform(0.5, 90), 4)),
    ("external ref", _nullable(_numeric_id, 0.5)),
    ("unsubscribed time", _always_null),
    ("approval", _approval),
    ("from", _nullable(_email, 0.2)),
    ("version", lambda r: r.randint(1, 9)),
]

# keys added by individual requests (e.g. an ?include= expansion)
_EXTRA_POOL: list[tuple[str, Gen]] = [
    ("$approved", _bool),
    ("$editable", _bool),
    ("$currency_symbol", _enum(["$", "€", "₹", "£"])),
    ("$review_process", _approval),
    ("$in_merge", _bool),
    ("$state", _enum(["save", "draft"])),
    ("Record_Image", _nullable(_url, 0.7)),
    (
        "Visit_Summary",
        lambda r: {
            "visits": r.randint(0, 40),
            "first": _datetime(r),
            "last": _nullable(_datetime)(r),
        },
    ),
    ("Followers", lambda r: [_lookup(r) for _ in range(r.randint(0, 2))]),
    (
        "Sharing",
        lambda r: {
            "shared_with": [_lookup(r)],
            "permission": r.choice(["read", "write"]),
            "expires": None,
        },
    ),
]


def _style_key(base: str, style: str) -> str:
    words = base.split()
    if style == "zoho":
        return "_".join(w.capitalize() for w in words)
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "kebab":
        return "-".join(words)
    return "_".join(words)


# ---------------------------------------------------------------------------
# resource model


@dataclass
class _Resource:
    plural: str
    singular: str
    style: str
    id_style: str  # "colon" -> :id, "template" -> {{<singular>_id}}
    fields: list[tuple[str, Gen]] = field(default_factory=list)
    wrap: str = "data"  # list/get envelope key ("" = bare object)

    @property
    def title(self) -> str:
        return self.plural.replace("_", " ").title()

    @property
    def id_var(self) -> str:
        return f"{self.singular}_id"

    def record(self, rng: random.Random, extras: list[tuple[str, Gen]]) -> dict[str, JSON]:
        rec: dict[str, JSON] = {"id": _numeric_id(rng)}
        for key, gen in self.fields:
            rec[key] = gen(rng)
        rec[_style_key("created time", self.style)] = _datetime(rng)
        rec[_style_key("modified time", self.style)] = _datetime(rng)
        for key, gen in extras:
            rec[key] = gen(rng)
        return rec


def _make_resources(rng: random.Random, count: int) -> list[_Resource]:
    chosen = list(_RESOURCES)
    rng.shuffle(chosen)
    resources: list[_Resource] = []
    styles = ["zoho", "zoho", "snake", "snake", "camel", "kebab"]
    for plural, singular in chosen[:count]:
        style = rng.choice(styles)
        id_style = "template" if plural == "jobs" or rng.random() < 0.25 else "colon"
        picked = rng.sample(_FIELD_POOL, rng.randint(8, 22))
        fields = [(_style_key(name, style), gen) for name, gen in picked]
        wrap = rng.choice(["data", "data", "data", plural, ""])
        resources.append(_Resource(plural, singular, style, id_style, fields, wrap))
    return resources


# ---------------------------------------------------------------------------
# request / response builders


@dataclass
class _Op:
    name: str
    method: str
    path: list[str]
    kind: str  # list | get | create | update | delete | action
    resource: _Resource  # resource whose records the response carries
    query: list[dict[str, JSON]] = field(default_factory=list)
    path_vars: list[dict[str, str]] = field(default_factory=list)
    extras: list[tuple[str, Gen]] = field(default_factory=list)


def _id_segment(
    res: _Resource, rng: random.Random, path_vars: list[dict[str, str]], var_name: str = "id"
) -> str:
    if res.id_style == "template":
        return "{{" + res.id_var + "}}"
    path_vars.append(
        {"key": var_name, "value": _numeric_id(rng), "description": f"{res.singular} id"}
    )
    return f":{var_name}"


def _list_query(rng: random.Random, res: _Resource) -> list[dict[str, JSON]]:
    query: list[dict[str, JSON]] = [
        {"key": "page", "value": "1"},
        {"key": "per_page", "value": rng.choice(["50", "100", "200"])},
    ]
    if rng.random() < 0.6:
        query.append({"key": "sort_by", "value": _style_key("modified time", res.style)})
        query.append({"key": "sort_order", "value": rng.choice(["asc", "desc"])})
    if rng.random() < 0.5:
        keys = [k for k, _ in res.fields[:3]]
        query.append({"key": "fields", "value": ",".join(keys)})
    if rng.random() < 0.3:
        query.append({"key": "include_child", "value": "true", "disabled": True})
    return query


def _ops_for(res: _Resource, others: list[_Resource], rng: random.Random) -> list[_Op]:
    """All candidate operations of one resource type, in a stable order."""
    ops: list[_Op] = []
    base = [res.plural]

    def add(
        name: str,
        method: str,
        path: list[str],
        kind: str,
        target: _Resource,
        query: list[dict[str, JSON]] | None = None,
        path_vars: list[dict[str, str]] | None = None,
    ) -> None:
        ops.append(_Op(name, method, path, kind, target, query or [], path_vars or []))

    title, sing = res.title, res.singular.replace("_", " ").title()
    add(f"List {title}", "GET", base, "list", res, _list_query(rng, res))
    pv: list[dict[str, str]] = []
    seg = _id_segment(res, rng, pv)
    add(f"Get {sing}", "GET", [*base, seg], "get", res, [], pv)
    add(f"Create {sing}", "POST", base, "create", res)
    pv = []
    seg = _id_segment(res, rng, pv)
    add(f"Update {sing}", "PUT", [*base, seg], "update", res, [], pv)
    pv = []
    seg = _id_segment(res, rng, pv)
    add(f"Delete {sing}", "DELETE", [*base, seg], "delete", res, [], pv)
    add(
        f"Search {title}",
        "GET",
        [*base, "search"],
        "list",
        res,
        [
            {"key": "criteria", "value": f"(Email:equals:{_email(rng)})"},
            {"key": "page", "value": "1"},
        ],
    )
    add(f"Count {title}", "GET", [*base, "actions", "count"], "action", res)
    pv = []
    seg = _id_segment(res, rng, pv)
    add(f"Patch {sing}", "PATCH", [*base, seg], "update", res, [], pv)
    # sub-resources: /<plural>/<id>/<other plural>
    for other in others:
        if other is res:
            continue
        pv = []
        seg = _id_segment(res, rng, pv)
        add(
            f"List {sing} {other.title}",
            "GET",
            [*base, seg, other.plural],
            "list",
            other,
            _list_query(rng, other) if rng.random() < 0.5 else [],
            pv,
        )
        pv = []
        seg = _id_segment(res, rng, pv)
        add(
            f"Add {sing} {other.singular.replace('_', ' ').title()}",
            "POST",
            [*base, seg, other.plural],
            "create",
            other,
            [],
            pv,
        )
        pv = []
        seg = _id_segment(res, rng, pv)
        sub = ":sub_id"
        pv.append({"key": "sub_id", "value": _numeric_id(rng)})
        add(
            f"Get {sing} {other.singular.replace('_', ' ').title()}",
            "GET",
            [*base, seg, other.plural, sub],
            "get",
            other,
            [],
            pv,
        )
    return ops


def _json_body(obj: JSON) -> str:
    return json.dumps(obj, indent=4, ensure_ascii=False)


def _success_body(op: _Op, rng: random.Random) -> tuple[int, str, JSON]:
    res = op.resource
    if op.kind == "list":
        records = [res.record(rng, op.extras) for _ in range(rng.randint(1, 3))]
        info = {
            "per_page": 200,
            "count": len(records),
            "page": 1,
            "more_records": _bool(rng),
            "next_page_token": None if _bool(rng) else _numeric_id(rng),
        }
        key = res.wrap or "data"
        return 200, "OK", {key: records, "info": info}
    if op.kind == "get":
        record = res.record(rng, op.extras)
        if res.wrap:
            return 200, "OK", {res.wrap: [record]}
        return 200, "OK", record
    if op.kind == "action":
        return 200, "OK", {"count": _int(rng)}
    if op.kind == "delete":
        return (
            200,
            "OK",
            {
                "data": [
                    {
                        "code": "SUCCESS",
                        "details": {"id": _numeric_id(rng)},
                        "message": "record deleted",
                        "status": "success",
                    }
                ]
            },
        )
    code, status = (201, "Created") if op.kind == "create" else (200, "OK")
    details = {
        "Modified_Time": _datetime(rng),
        "Modified_By": {"name": _person(rng), "id": _numeric_id(rng)},
        "Created_Time": _datetime(rng),
        "id": _numeric_id(rng),
        "Created_By": {"name": _person(rng), "id": _numeric_id(rng)},
    }
    verb = "added" if op.kind == "create" else "updated"
    return (
        code,
        status,
        {
            "data": [
                {
                    "code": "SUCCESS",
                    "details": details,
                    "message": f"record {verb}",
                    "status": "success",
                }
            ]
        },
    )


def _error_body(op: _Op, rng: random.Random) -> tuple[int, str, str, JSON]:
    code, status, err, message = rng.choice(_ERRORS)
    details: dict[str, JSON] = {}
    roll = rng.random()
    if err in ("INVALID_DATA", "MANDATORY_NOT_FOUND", "DUPLICATE_DATA") and op.resource.fields:
        key = rng.choice(op.resource.fields)[0]
        details = {"api_name": key, "json_path": f"$.data[0].{key}"}
        if err == "DUPLICATE_DATA":
            details["duplicate_record"] = {
                "id": _numeric_id(rng),
                "Owner": _lookup(rng),
                "module": op.resource.title,
            }
    elif err == "TOO_MANY_REQUESTS":
        details = {"retry_after": rng.randint(1, 60), "limit": 5000}
    elif roll < 0.2:
        details = {"trace_id": uuid.UUID(int=rng.getrandbits(128)).hex}
    body = {"code": err, "message": message, "status": "error", "details": details}
    return code, status, err, body


def _request(op: _Op, rng: random.Random) -> dict[str, JSON]:
    raw = "{{base-url}}/" + "/".join(op.path)
    enabled = [q for q in op.query if not q.get("disabled")]
    if enabled:
        raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in enabled)
    url: dict[str, JSON] = {"raw": raw, "host": ["{{base-url}}"], "path": list(op.path)}
    if op.query:
        url["query"] = [dict(q) for q in op.query]
    if op.path_vars:
        url["variable"] = [dict(v) for v in op.path_vars]
    headers: list[dict[str, JSON]] = [
        {"key": "Accept", "value": "application/json", "type": "text"}
    ]
    req: dict[str, JSON] = {"method": op.method, "header": headers, "url": url}
    if op.method in ("POST", "PUT", "PATCH"):
        headers.append({"key": "Content-Type", "value": "application/json", "type": "text"})
        record = op.resource.record(rng, [])
        record.pop("id", None)
        req["body"] = {
            "mode": "raw",
            "raw": _json_body({"data": [record]}),
            "options": {"raw": {"language": "json"}},
        }
    if rng.random() < 0.5:
        req["description"] = f"{op.name}. {_text(rng)}."
    return req


def _response(
    name: str, request: dict[str, JSON], code: int, status: str, body: JSON
) -> dict[str, JSON]:
    original = {k: v for k, v in request.items() if k != "description"}
    return {
        "name": name,
        "originalRequest": original,
        "status": status,
        "code": code,
        "_postman_previewlanguage": "json",
        "header": [
            {"key": "Content-Type", "value": "application/json;charset=UTF-8"},
            {"key": "X-Request-Id", "value": _uuid_hex(len(name) + code)},
        ],
        "cookie": [],
        "body": _json_body(body),
    }


def _uuid_hex(n: int) -> str:
    return f"{n:032x}"


def _item(op: _Op, n_examples: int, rng: random.Random) -> dict[str, JSON]:
    if rng.random() < 0.3:
        op.extras = rng.sample(_EXTRA_POOL, rng.randint(1, 3))
    request = _request(op, rng)
    code, status, body = _success_body(op, rng)
    responses = [_response("Success", request, code, status, body)]
    if n_examples >= 2:
        ecode, estatus, err, ebody = _error_body(op, rng)
        responses.append(_response(err, request, ecode, estatus, ebody))
    if n_examples >= 3:
        if op.kind in ("list", "get") and rng.random() < 0.7:
            code, status, body = _success_body(op, rng)
            responses.append(_response("Success (other record)", request, code, status, body))
        else:
            ecode, estatus, err, ebody = _error_body(op, rng)
            name = err if err != responses[-1]["name"] else f"{err} (2)"
            responses.append(_response(name, request, ecode, estatus, ebody))
    return {"name": op.name, "request": request, "response": responses}


def _example_counts(n: int, rng: random.Random) -> list[int]:
    """Per-request example counts in {1, 2, 3} summing to exactly 2 * n."""
    fifth = n // 5
    counts = [1] * fifth + [3] * fifth + [2] * (n - 2 * fifth)
    rng.shuffle(counts)
    return counts


def make_collection(n_requests: int, seed: int = 0) -> dict[str, JSON]:
    """Build a Postman v2.1 collection with ``n_requests`` requests.

    The collection has ``2 * n_requests`` saved responses (see module doc).
    """
    if n_requests < 1:
        raise ValueError("n_requests must be >= 1")
    rng = random.Random(seed)
    n_types = max(20, min(50, n_requests // 10))
    resources = _make_resources(rng, n_types)

    # A handful of requests live at the collection root.
    n_root = min(3, n_requests // 50)
    n_in_folders = n_requests - n_root
    # Spread requests over resources round-robin, so each folder gets a share.
    per_res = [
        n_in_folders // n_types + (1 if i < n_in_folders % n_types else 0) for i in range(n_types)
    ]
    counts = _example_counts(n_requests, rng)
    count_iter = iter(counts)

    items: list[dict[str, JSON]] = []
    for res, quota in zip(resources, per_res, strict=True):
        if quota == 0:
            continue
        others = rng.sample(resources, min(len(resources), 1 + quota // 3 + 1))
        ops = _ops_for(res, others, rng)
        if quota > len(ops):  # pad with more related resources (large N)
            ops = _ops_for(res, resources, rng)
        core, sub = ops[:8], ops[8:]
        chosen = core[:quota] + sub[: max(0, quota - len(core))]
        top: list[dict[str, JSON]] = []
        nested: list[dict[str, JSON]] = []
        use_subfolder = len(chosen) > 10 and rng.random() < 0.5
        for i, op in enumerate(chosen):
            item = _item(op, next(count_iter), rng)
            (nested if use_subfolder and i >= 8 else top).append(item)
        if nested:
            top.append(
                {
                    "name": f"{res.title} Related",
                    "item": nested,
                    "description": f"Requests on records related to {res.plural}.",
                }
            )
        folder: dict[str, JSON] = {"name": res.title, "item": top}
        if rng.random() < 0.5:
            folder["description"] = f"Operations on {res.plural}."
        items.append(folder)

    root_res = resources[0]
    root_ops = [
        _Op("Get Current User", "GET", ["users", "me"], "get", root_res),
        _Op("Get Organization", "GET", ["org"], "get", resources[1 % n_types]),
        _Op("Get API Usage", "GET", ["usage"], "action", root_res),
    ]
    for op in root_ops[:n_root]:
        items.append(_item(op, next(count_iter), rng))

    variables: list[dict[str, JSON]] = [
        {"key": "base-url", "value": "https://api.example.com/v2", "type": "string"},
        {"key": "token", "value": "", "type": "string"},
    ]
    for res in resources:
        if res.id_style == "template":
            variables.append({"key": res.id_var, "value": _numeric_id(rng), "type": "string"})

    return {
        "info": {
            "_postman_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": f"Synthetic API {n_requests}",
            "description": f"Synthetic collection: {n_requests} requests, {n_types} resource types, seed {seed}.",
            "schema": SCHEMA_URL,
        },
        "item": items,
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}],
        },
        "variable": variables,
    }


def count_responses(collection: dict[str, JSON]) -> tuple[int, int]:
    """Return (requests, saved responses) in a collection dict."""
    requests = responses = 0
    stack: list[JSON] = list(collection.get("item", []))
    while stack:
        item = stack.pop()
        if "item" in item:
            stack.extend(item["item"])
        else:
            requests += 1
            responses += len(item.get("response", []))
    return requests, responses


def write_collection(path: str, n_requests: int, seed: int = 0) -> dict[str, JSON]:
    """Write ``make_collection(n_requests, seed)`` to ``path`` as JSON."""
    coll = make_collection(n_requests, seed)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(coll, fh, indent=1, ensure_ascii=False)
    return coll


def edit_one_response(collection: dict[str, JSON]) -> str:
    """Edit one saved response in place, the way a collection changes a little between builds:
    the first saved JSON object body of the request in the middle gets a new key (a nested object)
    and its numbers change. Returns the name of the edited request."""
    found: list[JSON] = []
    stack: list[JSON] = list(collection.get("item", []))
    while stack:
        item = stack.pop(0)
        if "item" in item:
            stack[:0] = item["item"]
        elif item.get("response"):
            found.append(item)
    request = found[len(found) // 2]
    for saved in request["response"]:
        body = json.loads(saved.get("body") or "null")
        if isinstance(body, dict):
            body = {k: v * 3 + 1 if type(v) in (int, float) else v for k, v in body.items()}
            body["review_note"] = {"author": "someone", "score": 4, "tags": ["a", "b"]}
            saved["body"] = _json_body(body)
            return str(request["name"])
    raise ValueError("no saved JSON object body in the middle request")
