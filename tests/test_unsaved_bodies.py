"""A saved response whose body the collection did not keep is no evidence of an empty body: a
response without a `body` key (as converters write them), or an empty body under a JSON content
type, types the result `Any` when no other example shows the body, else adds `None` (an empty body
reads as None); it was `None` alone, and the method returned a `str` at run time; an
empty body under a binary content type is binary (Postman saves no binary body): `bytes`, not a
corrupted `str`. A no-content status or `Content-Length: 0` stays `None`."""

from __future__ import annotations

from typing import Any

from conftest import Builder, collection, import_generated, request, run_generated_tests
from zgen.normalize import classify


def _saved(code: int, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    return {
        "name": f"r{code}",
        "code": code,
        "status": "",
        "header": [{"key": k, "value": v} for k, v in headers.items()],
        **body,
    }


def test_empty_saved_bodies_are_classified_by_what_was_saved() -> None:
    json_type = "application/json"
    assert classify("", "", "", saved=False) == "unsaved"
    assert classify(json_type, "json", "") == "unsaved"
    assert classify("application/pdf", "raw", "") == "binary"
    assert classify("image/png", "", "  ") == "binary"
    assert classify("", "", "") == "empty"
    assert classify("text/plain", "text", "") == "empty"
    assert classify(json_type, "json", "", status=204) == "empty"
    assert classify("", "", "", saved=False, status=304) == "empty"
    length = (("Content-Length", "0"),)
    assert classify(json_type, "json", "", headers=length) == "empty"
    assert classify(json_type, "json", '{"a": 1}') == "json"


def test_unsaved_and_binary_bodies_type_the_methods_honestly(build_collection: Builder) -> None:
    data = collection(
        request("Words", "https://api.example.com/words", responses=[_saved(200, {})]),
        request(
            "Invoice",
            "https://api.example.com/invoices/1.pdf",
            responses=[_saved(200, {"Content-Type": "application/pdf"}, body="")],
        ),
        request(
            "Create",
            "https://api.example.com/things",
            method="POST",
            responses=[
                _saved(201, {"Content-Type": "application/json"}, body='{"id": 1}'),
                _saved(201, {"Content-Type": "application/json", "Content-Length": "9"}, body=""),
            ],
        ),
        request(
            "Remove",
            "https://api.example.com/things/1",
            method="DELETE",
            responses=[_saved(204, {}, body="")],
        ),
        name="Bodies",
    )
    _, out = build_collection(data, package="bodies")
    client = (out / "bodies" / "client.py").read_text(encoding="utf-8")
    assert "def words(self, **options: Unpack[_base.RequestOptions]) -> Any:" in client
    assert "def invoice(self, **options: Unpack[_base.RequestOptions]) -> bytes:" in client
    assert "def remove(self, **options: Unpack[_base.RequestOptions]) -> None:" in client
    # a saved body and one the collection did not keep: the model, or None for an empty body
    assert (
        "def create(self, **options: Unpack[_base.RequestOptions]) -> models.CreateResponse | None:"
        in client
    )
    assert "json=models.CreateResponse, unsaved=True" in client
    result = run_generated_tests(out, "-p", "no:randomly", "bodies/tests")
    assert result.returncode == 0, result.stdout[-3000:]
    check = (
        "import httpx\nfrom bodies import Client\n"
        "def answer(request):\n"
        "    if request.url.path.endswith('.pdf'):\n"
        "        return httpx.Response(200, content=b'%PDF\\x00\\xff', "
        "headers={'Content-Type': 'application/pdf'})\n"
        "    if request.url.path == '/things':\n"
        "        return httpx.Response(201, json={'id': 7})\n"
        "    return httpx.Response(200, json={'words': ['a']})\n"
        "client = Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)))\n"
        "print(repr(client.words()), repr(client.invoice()), repr(client.create()))\n"
    )
    shown = import_generated(out, "bodies", check)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.strip() == "{'words': ['a']} b'%PDF\\x00\\xff' CreateResponse(id=7)"
