"""Fuzzing of a real uvicorn process from its own OpenAPI schema (schemathesis), then hostile input
written by hand that a schema-driven generator does not produce (raw bytes, huge or nested bodies).

What must hold for every request, valid or not: no 5xx, and every 4xx answers JSON with a
non-empty `detail` sentence. Malformed input the schema already describes (wrong types, out of
range ids, unknown fields, missing or wrong X-Admin-Key, paths out of the root) is covered
field by field in test_serving_endpoints.py and test_serving_reload.py; this file adds what
they do not send.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest
import schemathesis
from helpers.tiny_run import product_id
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from serving_server import ADMIN_KEY, RUN_A, admin, make_root, running_server

MAX_BODY = 1 << 20  # the default MAX_BODY_BYTES
FUZZ_EXAMPLES = 200  # per operation and mode: about 2000 requests, ~10 s on 2 cores


@pytest.fixture(scope="module")
def server(tmp_path_factory, templates):
    base = tmp_path_factory.mktemp("fuzz")
    with running_server(base, ARTIFACT_DIR=str(make_root(base, templates)), ADMIN_KEY=ADMIN_KEY) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def assert_answered_properly(response: httpx.Response | schemathesis.Response) -> None:
    """No 5xx; a 4xx is JSON whose `detail` is a non-empty sentence."""
    status = response.status_code
    assert status < 500, f"{status}: {response.text[:500]}"
    if status >= 400:
        detail = json.loads(response.content)["detail"]
        assert isinstance(detail, str) and detail.strip(), (
            f"{status} without a message: {response.text[:500]}"
        )


@pytest.fixture(scope="module")
def api_schema(server) -> schemathesis.BaseSchema:
    """The schema as the running server publishes it at /openapi.json."""
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def every_check() -> list:
    """Every check schemathesis has, positive data acceptance included: the schema must accept
    only what the server accepts, and refuse what it refuses."""
    load_all_checks()
    return list(CHECKS.get_all())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzed_requests_get_no_5xx_and_every_4xx_says_why(api_schema, server, mode):
    """Every operation, with input the schema allows (positive) or forbids (negative); /reload as
    generated (its X-Admin-Key is a random string) and again with the right key, so that its body
    is fuzzed too. Besides no 5xx and a message on every 4xx, every schemathesis check must pass:
    answers match the schema, input the schema forbids is refused and input it allows is accepted.

    schemathesis's pytest plugin (`schemathesis.pytest.from_fixture`) does not run under pytest 9
    (it sets `Function._nodeid`), so each operation's strategy is driven by hypothesis directly.
    """
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/recommend_panier", "/products/enrich", "/reload"}
    if mode is GenerationMode.NEGATIVE:  # an operation without input has no invalid input
        operations = [op for op in operations if len(op.body) or list(op.iter_parameters())]
    sent = 0
    checks = every_check()
    for operation in operations:

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the work tree
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: schemathesis.Case) -> None:
            nonlocal sent
            response = case.call(base_url=server.url, timeout=30)
            sent += 1
            assert_answered_properly(response)
            case.validate_response(response, checks=checks)
            if case.operation.path == "/reload":  # again with the right key: the body gets past it
                response = case.call(base_url=server.url, headers=admin(), timeout=30)
                sent += 1
                assert_answered_properly(response)
                case.validate_response(response, checks=checks)

        fuzz()
    assert sent >= len(operations) * 5
    print(f"fuzz {mode.value}: {sent} requests over {len(operations)} operations, no 5xx")


# --- hand-written hostile input ---------------------------------------------------------------
def post(client: httpx.Client, path: str, content: bytes, **headers: str) -> httpx.Response:
    response = client.post(path, content=content, headers={"Content-Type": "application/json", **headers})
    assert_answered_properly(response)
    return response


def nested(depth: int) -> bytes:
    return b'{"product_ids": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("path", ["/recommend_panier", "/products/enrich", "/reload"])
@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (nested(100_000), 422, "body: not valid JSON (nested too deeply)"),  # beyond the recursion limit
        (b'{"product_ids": [1], "k": 3, "k": "x"}', 422, ""),  # duplicate keys: the last one wins
        (b'{"product_ids": [\xff\xfe]}', 422, "body: not valid JSON (not UTF-8)"),
        (b'{"product_ids": ["\xc3\x28"]}', 422, "body: not valid JSON (not UTF-8)"),
        (b"\xef\xbb\xbf[1]", 422, "body: "),  # a UTF-8 byte-order mark, then not an object
        (b'{"product_ids": [1]', 422, "body: not valid JSON"),  # truncated
        (b'"' + b"a" * 100_000 + b'"', 422, "body: "),
        (
            b'{"product_ids": [' + b"1" * 5000 + b"]}",
            422,
            "body: not valid JSON (Exceeds the limit (4300 digits)",
        ),
        (b'{"product_ids": [1e999]}', 422, ""),
        (b'{"product_ids": [NaN]}', 422, ""),
        (b'{"\\u0000": 1, "product_ids": []}', 422, ""),
    ],
)
def test_malformed_bodies_are_4xx_naming_the_body_or_a_field(client, path, body, status, needle):
    response = post(client, path, body, **admin())
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]


@pytest.mark.parametrize("body", [b"", b"null"])
def test_an_empty_body_is_refused_where_one_is_required(client, body):
    for path in ("/recommend_panier", "/products/enrich"):
        response = post(client, path, body)
        assert response.status_code == 422 and response.json()["detail"].startswith("body: ")
    response = post(client, "/reload", body, **admin())  # its body is optional: the default run
    assert response.status_code == 200 and response.json()["run_id"] == RUN_A


@pytest.mark.parametrize("path", ["/recommend_panier", "/products/enrich"])
def test_nested_lists_within_the_parser_depth_name_the_field(client, path):
    response = post(client, path, nested(500))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("product_ids[0]: Input should be a valid integer")


def test_a_10_mb_body_is_refused_before_it_is_read(client):
    big = b'{"product_ids": [' + b"1," * (5 * 1024 * 1024) + b"1]}"
    for path in ("/recommend_panier", "/products/enrich", "/reload"):
        response = post(client, path, big, **admin())
        assert response.status_code == 413
        assert response.json()["detail"] == f"request body larger than {MAX_BODY} bytes"


def test_a_lying_content_length_is_a_4xx_not_a_hang(server):
    """A raw request whose Content-Length exceeds what is sent, then closes: no worker left hanging."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /recommend_panier HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n" + b'{"product_ids": [1]}'
        )
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536)
    assert answer == b"" or not answer.startswith(b"HTTP/1.1 5"), answer[:200]
    with server.client() as c:
        assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("basket", "known"),
    [
        ([], []),
        ([product_id(0)] * 500, [product_id(0)]),  # duplicates collapse
        (list(range(-250, 250)), []),  # negatives and zero: unknown, not an error
        ([2**63 - 1, -(2**63), product_id(1)], [product_id(1)]),  # int64 bounds
        ([product_id(i) for i in range(6)] * 80 + list(range(20)), [product_id(i) for i in range(6)]),
    ],
)
def test_odd_but_valid_baskets_are_answered(client, basket, known):
    response = post(client, "/recommend_panier", json.dumps({"product_ids": basket, "k": 100}).encode())
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["run_id"] == RUN_A and doc["basket"] == known
    assert set(doc["unknown_product_ids"]) == set(basket) - set(known)
    assert not {item["product_id"] for item in doc["recommendations"]} & set(known)
    enriched = post(client, "/products/enrich", json.dumps({"product_ids": basket}).encode())
    assert enriched.status_code == 200 and [p["product_id"] for p in enriched.json()["products"]] == known


@pytest.mark.parametrize(
    "body",
    [
        {"product_ids": [2**64]},
        {"product_ids": [10**30]},
        {"product_ids": [-(10**30)]},
        {"product_ids": [product_id(0)], "k": 2**63},
        {"product_ids": [product_id(0)], "k": -(2**63)},
    ],
)
def test_ids_beyond_64_bits_are_422_naming_the_field(client, body):
    response = post(client, "/recommend_panier", json.dumps(body).encode())
    assert response.status_code == 422
    assert response.json()["detail"].split(":")[0] in ("product_ids[0]", "k")


@pytest.mark.parametrize(
    "key",
    [
        "k" * 60_000,  # a header under the server's limit, far longer than any key
        ADMIN_KEY * 2,
        "é" + ADMIN_KEY,  # bytes beyond ASCII (UTF-8 on the wire)
        ADMIN_KEY.upper(),
    ],
)
def test_odd_admin_keys_are_refused_without_echoing_them(client, key):
    response = client.post(
        "/reload", json={"artifact_dir": RUN_A}, headers={"X-Admin-Key": key.encode("utf-8")}
    )
    assert_answered_properly(response)
    assert response.status_code in (401, 403), response.text
    assert key not in response.text and ADMIN_KEY not in response.text


def test_a_header_larger_than_the_server_accepts_is_refused(client):
    try:
        response = client.post("/reload", json={}, headers={"X-Admin-Key": "k" * 200_000})
    except httpx.RemoteProtocolError:
        return  # h11 closes the connection on an oversized header: refused, nothing served
    assert 400 <= response.status_code < 500 and response.status_code != 200
