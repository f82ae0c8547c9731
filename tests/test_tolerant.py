"""Tolerant parsing: a real response the saved examples did not show still returns its model.

The runtime (templates/_base.py) validates a success body as before; only when that fails does it
build the model field by field: what fits is typed, a missing or null key reads as None, a value of
another type is kept as received, extra keys stay reachable. Each difference is logged once per
client, request and JSON path; `strict=True` (on the client or on one call) raises instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

import httpx
import pytest
from pydantic import AwareDatetime, Field
from zgen.templates import _base, errors
from zoho_crm_bulk_write import AsyncClient, BulkWriteJobDetails, Client
from zoho_crm_bulk_write.errors import ApiResponseValidationError

JOB_ID = "4150868000005350003"
# A Bulk Write job while it runs: no `result` (the download URL) yet, no per-resource `code`, no
# `callback` (the job was created without one), a null e-mail and a key the examples never had.
RUNNING_JOB: dict[str, Any] = {
    "status": "IN PROGRESS",
    "character_encoding": "UTF-8",
    "resource": [
        {
            "status": "IN PROGRESS",
            "type": "data",
            "module": {"id": "4150868000000002175", "api_name": "Leads"},
            "field_mappings": [
                {
                    "api_name": "Last_Name",
                    "index": 0,
                    "format": None,
                    "find_by": None,
                    "module": None,
                    "default_value": None,
                }
            ],
            "file": {
                "status": "IN PROGRESS",
                "name": "leads.csv",
                "added_count": 0,
                "skipped_count": 0,
                "updated_count": 0,
                "total_count": 11,
            },
        }
    ],
    "id": JOB_ID,
    "created_by": {"id": "4150868000000225013", "name": "Patricia Boyle", "email": None},
    "ignore_empty": True,
    "operation": "insert",
    "created_time": "2021-05-11T12:38:29+05:30",
    "progress": 40,
}
RUNNING_JOB_PATHS = ["$.callback", "$.resource[].code", "$.result"]
LOGGER = "zoho_crm_bulk_write"


def running_job(request: httpx.Request) -> httpx.Response:
    assert request.url.path == f"/crm/bulk/v2.1/write/{JOB_ID}"
    return httpx.Response(200, json=RUNNING_JOB)


def sync_client(**options: Any) -> Client:
    return Client(
        base_url="https://crm.test",
        access_token="token",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(running_job)),
        **options,
    )


def async_client(**options: Any) -> AsyncClient:
    async def respond(request: httpx.Request) -> httpx.Response:
        return running_job(request)

    return AsyncClient(
        base_url="https://crm.test",
        access_token="token",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(respond)),
        **options,
    )


def warned_paths(caplog: pytest.LogCaptureFixture) -> list[str]:
    records = [r for r in caplog.records if r.name == LOGGER]
    assert all(r.levelno == logging.WARNING for r in records)
    found = [path for r in records for path in RUNNING_JOB_PATHS if f" at {path} " in r.message]
    assert len(found) == len(records), [r.message for r in records]
    return sorted(found)


def check_running_job(details: BulkWriteJobDetails) -> None:
    assert isinstance(details, BulkWriteJobDetails)
    assert details.status == "IN PROGRESS"
    assert isinstance(details.created_time, datetime)
    assert details.created_time.utcoffset() is not None
    assert details.resource[0].file.total_count == 11
    assert details.resource[0].module.api_name == "Leads"
    assert details.result is None
    assert details.callback is None
    assert details.resource[0].code is None
    # Keys the saved example did not have stay reachable.
    assert details.model_extra == {"progress": 40}
    assert details.created_by.model_extra == {"email": None}
    # What was received is what a dump gives back: missing keys stay missing.
    assert details.model_dump(mode="json", by_alias=True, exclude_unset=True) == RUNNING_JOB


def test_a_running_job_polls_without_overrides(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with sync_client() as client:
        check_running_job(client.bulk_write.job_details(job_id=JOB_ID))
        # A second poll logs nothing new: once per request and path.
        check_running_job(client.bulk_write.job_details(job_id=JOB_ID))
    assert warned_paths(caplog) == RUNNING_JOB_PATHS
    message = caplog.records[0].message
    assert "Bulk Write / Job Details" in message and "[tool.zgen]" in message
    assert "example" in message and "strict=True" in message


def test_a_running_job_polls_without_overrides_async(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)

    async def main() -> BulkWriteJobDetails:
        async with async_client() as client:
            await client.bulk_write.job_details(job_id=JOB_ID)
            return await client.bulk_write.job_details(job_id=JOB_ID)

    check_running_job(asyncio.run(main()))
    assert warned_paths(caplog) == RUNNING_JOB_PATHS


def test_strict_client_raises_naming_every_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with sync_client(strict=True) as client:
        with pytest.raises(ApiResponseValidationError) as caught:
            client.bulk_write.job_details(job_id=JOB_ID)
        # A strict client still takes one lenient call, and the reverse.
        check_running_job(client.bulk_write.job_details(job_id=JOB_ID, strict=False))
    assert sorted(caught.value.paths) == RUNNING_JOB_PATHS
    for path in RUNNING_JOB_PATHS:
        assert path in caught.value.message
    assert caught.value.status_code == 200 and json.loads(caught.value.body) == RUNNING_JOB

    async def main() -> None:
        async with async_client() as client:
            await client.bulk_write.job_details(job_id=JOB_ID, strict=True)

    with pytest.raises(ApiResponseValidationError) as caught_async:
        asyncio.run(main())
    assert sorted(caught_async.value.paths) == RUNNING_JOB_PATHS


# The runtime on its own, over models of each kind of field.


class Tag(_base.ApiModel):
    name: str
    weight: int


class Item(_base.ApiModel):
    id: int
    tags: list[Tag]
    seen: AwareDatetime | None = None
    parent: Tag | None = None
    code: str | int
    attributes: dict[str, Any]
    label_: str = Field("", alias="label")  # a field whose key is not its name


def parse(tp: Any, body: Any, *, strict: bool = False) -> Any:
    response = httpx.Response(200, json=body, request=httpx.Request("GET", "https://x.test/"))
    spec = _base.ResponseSpec(json=tp, request="Items / Get")
    return _base.parse_response(response, spec, strict=strict, reported=set())


GOOD: dict[str, Any] = {
    "id": 1,
    "tags": [{"name": "a", "weight": 1}, {"name": "b", "weight": 2}],
    "seen": "2024-01-02T03:04:05Z",
    "parent": {"name": "p", "weight": 3},
    "code": "x",
    "attributes": {"k": 1},
    "label": "L",
}


@pytest.mark.parametrize(
    ("change", "path", "read", "expected"),
    [
        (lambda b: b.pop("id"), "$.id", lambda m: m.id, None),
        (lambda b: b.update(id=None), "$.id", lambda m: m.id, None),
        (lambda b: b.update(id="one"), "$.id", lambda m: m.id, "one"),
        (lambda b: b["tags"][1].pop("weight"), "$.tags[].weight", lambda m: m.tags[1].weight, None),
        (lambda b: b["tags"][0].update(name=[1]), "$.tags[].name", lambda m: m.tags[0].name, [1]),
        (lambda b: b.update(tags=None), "$.tags", lambda m: m.tags, None),
        (lambda b: b.update(tags={"a": 1}), "$.tags", lambda m: m.tags, {"a": 1}),
        (lambda b: b.update(seen="yesterday"), "$.seen", lambda m: m.seen, "yesterday"),
        (
            lambda b: b["parent"].update(weight="x"),
            "$.parent.weight",
            lambda m: m.parent.weight,
            "x",
        ),
        (lambda b: b.update(code=[1]), "$.code", lambda m: m.code, [1]),
        (lambda b: b.update(attributes=[1]), "$.attributes", lambda m: m.attributes, [1]),
        (lambda b: b.update(label=5), "$.label", lambda m: m.label_, 5),
    ],
)
def test_each_kind_of_mismatch(change: Any, path: str, read: Any, expected: Any) -> None:
    body = json.loads(json.dumps(GOOD))
    change(body)
    item = parse(Item, body)
    assert isinstance(item, Item)
    assert read(item) == expected
    # Everything else is typed as declared, and a dump gives back what was received.
    if path != "$.parent.weight":
        assert item.parent == Tag(name="p", weight=3)
    if path != "$.seen":
        assert isinstance(item.seen, datetime)
    dumped = item.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)
    assert dumped == body
    with pytest.raises(errors.ApiResponseValidationError) as caught:
        parse(Item, body, strict=True)
    assert caught.value.paths == (path,)
    assert path in caught.value.message


def test_lists_of_models_and_extra_keys() -> None:
    body = [dict(GOOD, extra={"kept": True}), {"id": "two", "tags": []}]
    items = parse(list[Item], body)
    assert [type(item) for item in items] == [Item, Item]
    assert items[0].model_extra == {"extra": {"kept": True}}
    assert items[0].parent == Tag(name="p", weight=3)
    assert items[1].id == "two" and items[1].tags == [] and items[1].code is None
    with pytest.raises(errors.ApiResponseValidationError) as caught:
        parse(list[Item], body, strict=True)
    assert set(caught.value.paths) == {"$[].id", "$[].code", "$[].attributes"}


def test_a_body_that_fits_is_validated_as_before() -> None:
    item = parse(Item, GOOD)
    assert item == Item.model_validate(GOOD)
    assert parse(Item, GOOD, strict=True) == item


def test_each_difference_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    response = httpx.Response(200, json={"id": None}, request=httpx.Request("GET", "https://x/"))
    spec = _base.ResponseSpec(json=Item, request="Items / Get")
    reported: set[tuple[str, str]] = set()
    for _ in range(3):
        _base.parse_response(response, spec, reported=reported)
    messages = [r.message for r in caplog.records if r.name == _base.logger.name]
    assert len(messages) == 4  # $.id, $.tags, $.code, $.attributes: once each
    assert all(m.startswith("Items / Get: ") for m in messages)
