"""The HTTP decision service, in process (httpx over ASGI)."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from transport_policy import decide, load_case, next_questions
from transport_policy.api import select_policy
from transport_policy.audit.verify import verify
from transport_policy.casefile import parse_record
from transport_policy.engine.cache import RECHECK_SECONDS
from transport_policy.service.app import Settings, create_app
from transport_policy.service.auth import parse_tokens

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:8]
TOKEN, AUDITOR = "decide-token-for-tests", "audit-token-for-tests"
TOKENS = parse_tokens(
    f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide\n"
    f"{hashlib.sha256(AUDITOR.encode()).hexdigest()} decide,audit\n",
    source="tests",
)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _record(path: Path) -> dict[str, object]:
    record, _ = load_case(path)
    return record.model_dump(mode="json", exclude_none=True)


def _client(tmp_path: Path | None = None, **kw: object) -> TestClient:
    log = str(tmp_path / "decisions.log") if tmp_path else None
    return TestClient(create_app(Settings(tokens=TOKENS, log=log, **kw)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return _client()


def test_a_decision_is_byte_identical_to_decide_json(client: TestClient) -> None:
    for path in CASES:
        record, _ = load_case(path)
        response = client.post("/v1/decisions", json=_record(path), headers=AUTH)
        assert response.status_code == 200
        assert response.text == decide(record).to_json()


def test_a_policy_can_be_pinned_by_version_or_digest(client: TestClient) -> None:
    body = _record(CASES[0])
    listed = client.get("/v1/policies", headers=AUTH).json()
    for pin in (listed[-1]["version"], listed[-1]["digest"]):
        response = client.post("/v1/decisions", json=body, params={"policy": pin}, headers=AUTH)
        assert response.status_code == 200, response.text
        assert response.json()["policy"]["version"] == listed[-1]["version"]
        assert response.json()["policy"]["selected"] == "requested"
    missing = client.post("/v1/decisions", json=body, params={"policy": "1999"}, headers=AUTH)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_an_invalid_record_is_a_problem_naming_field_paths_without_values(
    client: TestClient,
) -> None:
    body = _record(CASES[0])
    body["person"] = {**body["person"], "age": "secret-value-123"}  # type: ignore[dict-item]
    response = client.post("/v1/decisions", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "person.age" in [e["field"] for e in response.json()["errors"]]
    assert "secret-value-123" not in response.text
    garbage = client.post("/v1/decisions", content=b"{not json", headers=AUTH)
    assert garbage.status_code == 400


def test_a_batch_gives_one_line_per_record_in_order_with_errors_in_place(
    client: TestClient,
) -> None:
    records = [_record(p) for p in CASES[:3]]
    bad = {**records[0], "person": {"age": "x"}}
    body = [records[0], bad, records[1], records[2]]
    ndjson = {**AUTH, "Content-Type": "application/x-ndjson"}
    for payload, headers in (
        (json.dumps(body), AUTH),
        ("\n".join(json.dumps(r) for r in body) + "\nnot json\n", ndjson),
    ):
        response = client.post("/v1/decisions:batch", content=payload, headers=headers)
        assert response.status_code == 200
        lines = [json.loads(x) for x in response.text.splitlines()]
        assert len(lines) == len(payload.splitlines()) if payload[0] != "[" else len(body)
        assert lines[0]["case_id"] == records[0]["case_id"] and "outcome" in lines[0]
        assert "errors" in lines[1] and "outcome" not in lines[1] and lines[1]["index"] == 2
        assert [x["case_id"] for x in lines[2:4]] == [records[1]["case_id"], records[2]["case_id"]]


def test_questions_are_the_question_engines_with_answer_types_and_rules(
    client: TestClient,
) -> None:
    partial = {k: v for k, v in _record(CASES[0]).items() if k in ("case_id", "assessment_date")}
    response = client.post("/v1/questions", json=partial, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    record = parse_record(partial)
    expected = next_questions(record, select_policy(record))
    assert body["questions"] == [q.model_dump(mode="json") for q in expected]
    assert body["outcome"] == "needs_information" and body["case_id"] == partial["case_id"]
    for q in body["questions"]:
        assert q["field"] and q["prompt"] and q["clauses"] and q["rules"]
        assert q["answer_type"] in ("boolean", "choice", "integer")
        assert (q["allowed_values"] is None) == (q["answer_type"] == "integer")
    first = body["questions"][0]["field"]
    skipped = client.post("/v1/questions", json=partial, params={"skip": first}, headers=AUTH)
    assert skipped.status_code == 200, skipped.text
    assert first not in [q["field"] for q in skipped.json()["questions"]]


def test_a_skipped_field_that_is_not_a_field_is_a_422_naming_it(client: TestClient) -> None:
    partial = {k: v for k, v in _record(CASES[0]).items() if k in ("case_id", "assessment_date")}
    params = {"skip": ["person.age", "person.agee-secret-7Qz"]}
    response = client.post("/v1/questions", json=partial, params=params, headers=AUTH)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["skip[1]"]
    assert "person.age" in errors[0]["message"] and "secret-7Qz" not in response.text


def test_policies_schemas_health_and_openapi(client: TestClient) -> None:
    listed = client.get("/v1/policies", headers=AUTH).json()
    detail = client.get(f"/v1/policies/{listed[0]['version']}", headers=AUTH).json()
    assert detail["digest"].startswith("sha256:") and detail["rules"] and detail["clauses"]
    assert client.get("/v1/schema/record", headers=AUTH).json()["type"] == "object"
    assert client.get("/v1/schema/decision", headers=AUTH).status_code == 200
    assert client.get("/v1/schema/other", headers=AUTH).status_code == 404
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"ready": True, "rules_problem": None}
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_requests_need_a_valid_token_and_the_log_needs_the_audit_scope(
    tmp_path: Path,
) -> None:
    client = _client(tmp_path)
    body = _record(CASES[0])
    assert client.post("/v1/decisions", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    assert client.post("/v1/decisions", json=body, headers=wrong).status_code == 401
    assert client.get("/v1/log/checkpoint", headers=AUTH).status_code == 403
    audit = {"Authorization": f"Bearer {AUDITOR}"}
    assert client.get("/v1/log/checkpoint", headers=audit).json()["entries"] == 0


def test_every_decision_is_logged_and_the_checkpoint_matches(tmp_path: Path) -> None:
    client = _client(tmp_path)
    returned = [client.post("/v1/decisions", json=_record(p), headers=AUTH).text for p in CASES]
    report = verify(tmp_path / "decisions.log")
    assert report.ok and report.entries == len(CASES)
    logged = [
        json.loads(line)["decision"]
        for line in (tmp_path / "decisions.log").read_text().splitlines()
    ]
    assert logged == [json.loads(r) for r in returned]
    audit = {"Authorization": f"Bearer {AUDITOR}"}
    mark = client.get("/v1/log/checkpoint", headers=audit).json()
    assert mark["checkpoint"] == str(report.checkpoint)


def test_a_body_over_the_limit_is_refused(tmp_path: Path) -> None:
    client = _client(max_body=2_000)
    response = client.post("/v1/decisions", content=b"[" + b" " * 5_000 + b"]", headers=AUTH)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks():  # type: ignore[no-untyped-def]
        yield b"[" + b" " * 1_500
        yield b" " * 1_500 + b"]"

    streamed = client.post("/v1/decisions", content=chunks(), headers=AUTH)
    assert streamed.status_code == 413
    # the same problem whether the length was declared or counted
    assert response.json()["title"] == streamed.json()["title"] == "Content Too Large"


def test_a_changed_rule_folder_is_picked_up_and_a_broken_edit_keeps_the_last_good(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    client = _client(rules=str(rules))
    before = {p["version"]: p["digest"] for p in client.get("/v1/policies", headers=AUTH).json()}
    manifest = next(rules.glob("*/policy.yaml"))
    version = manifest.parent.name
    text = manifest.read_text()
    assert "\ntitle: " in text
    # The digest covers the resolved content (not comments or layout): change the title.
    manifest.write_text(text.replace("\ntitle: ", "\ntitle: Edited, ", 1))
    time.sleep(RECHECK_SECONDS * 5)  # requests made RECHECK_SECONDS after an edit see it
    after = {p["version"]: p["digest"] for p in client.get("/v1/policies", headers=AUTH).json()}
    changed = [v for v in before if before[v] != after[v]]
    assert changed, "the edit was not picked up"
    manifest.write_text("rules: [this is: not, valid")
    time.sleep(RECHECK_SECONDS * 5)
    assert client.get("/v1/policies", headers=AUTH).status_code == 200  # the last good serves
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and ready["rules_problem"]
    still = {p["version"]: p["digest"] for p in client.get("/v1/policies", headers=AUTH).json()}
    assert still == after
    assert version in still


def test_httpx_async_client_against_the_app() -> None:
    import asyncio

    app = create_app(Settings(tokens=TOKENS))

    async def go() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            response = await http.post("/v1/decisions", json=_record(CASES[1]), headers=AUTH)
            return response.status_code

    assert asyncio.run(go()) == 200


def test_the_decisions_endpoint_takes_post_only(client: TestClient) -> None:
    response = client.get("/v1/decisions", headers=AUTH)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "application/problem+json"


def test_a_broken_rules_folder_keeps_the_last_good_until_it_is_mended(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    client = _client(rules=str(rules))
    body = _record(CASES[0])
    decided = client.post("/v1/decisions", json=body, headers=AUTH).text
    manifest = next(rules.glob("*/policy.yaml"))
    text = manifest.read_text()
    (rules / "broken").mkdir()  # a new version folder that does not even list
    (rules / "broken" / "policy.yaml").write_text("version: [")
    time.sleep(RECHECK_SECONDS * 5)
    assert client.post("/v1/decisions", json=body, headers=AUTH).text == decided
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and "policy.yaml" in ready["rules_problem"]
    shutil.rmtree(rules / "broken")
    manifest.write_text(text)
    time.sleep(RECHECK_SECONDS * 5)
    assert client.get("/readyz").json() == {"ready": True, "rules_problem": None}
    assert client.post("/v1/decisions", json=body, headers=AUTH).text == decided


def test_no_cross_origin_access_is_granted(client: TestClient) -> None:
    """No CORS by default: a browser on another origin gets no Access-Control-* permission."""
    origin = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    preflight = client.options("/v1/decisions", headers=origin)
    answer = client.post("/v1/decisions", json=_record(CASES[0]), headers={**AUTH, **origin})
    assert answer.status_code == 200
    for response in (preflight, answer):
        assert not any(h.lower().startswith("access-control-") for h in response.headers)


def test_ndjson_records_are_split_at_newlines_only(client: TestClient) -> None:
    """Text may hold U+2028, U+2029 or U+0085 unescaped (JSON allows it): a batch line ends at
    a newline only, as `batch` reads NDJSON, so one record is still one line out."""
    records = [_record(p) for p in CASES[:3]]
    judgement = records[1].get("judgement") or {}
    assert isinstance(judgement, dict)
    records[1] = {**records[1], "judgement": {**judgement, "notes": "one\u2028two\u2029three\x85"}}
    body = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\r\n"
    headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    response = client.post("/v1/decisions:batch", content=body.encode(), headers=headers)
    assert response.status_code == 200
    lines = [json.loads(x) for x in response.text.split("\n") if x]
    assert [x.get("case_id") for x in lines] == [r["case_id"] for r in records]
    assert all("outcome" in x for x in lines), lines


def test_a_body_is_read_as_decide_reads_json_utf8_without_repeated_keys(
    client: TestClient,
) -> None:
    """`decide` refuses a record that repeats a key or is not UTF-8; so does the service, and
    nothing is decided with a replacement character or with whichever value came last."""
    record = _record(CASES[0])
    text = json.dumps(record)
    repeated = text[:-1] + ', "case_id": "SECRET-DUP-1"}'
    not_utf8 = text.replace('"case_id": "', '"case_id": "SECRET\xff', 1).encode("latin-1")
    for body in (repeated.encode(), not_utf8, text.encode("utf-16"), text.encode("utf-32")):
        for path in ("/v1/decisions", "/v1/questions"):
            response = client.post(path, content=body, headers=AUTH)
            assert response.status_code == 400, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert "SECRET" not in response.text
    ndjson = {**AUTH, "Content-Type": "application/x-ndjson"}
    lines = b"\n".join([text.encode(), repeated.encode(), not_utf8, text.encode()])
    batch = client.post("/v1/decisions:batch", content=lines, headers=ndjson)
    out = [json.loads(x) for x in batch.text.splitlines()]
    assert [x.get("outcome") is not None for x in out] == [True, False, False, True]
    assert [x["errors"][0]["field"] for x in out[1:3]] == ["(line)", "(line)"]
    assert "SECRET" not in batch.text and "\ufffd" not in batch.text
    for body, fault in (
        (b"[" + repeated.encode() + b"]", "key"),
        (b"[" + not_utf8 + b"]", "UTF-8"),
    ):
        array = client.post("/v1/decisions:batch", content=body, headers=AUTH)
        assert array.status_code == 422 and "SECRET" not in array.text
        assert fault in array.json()["errors"][0]["message"]


def test_a_body_with_a_byte_order_mark_is_decided_as_decide_decides_the_file(
    client: TestClient,
) -> None:
    """A UTF-8 byte order mark (as Windows Notepad writes) is not part of the JSON, for
    `decide` and for the service alike: the same decision, byte for byte."""
    record = _record(CASES[0])
    plain = json.dumps(record).encode()
    for path in ("/v1/decisions", "/v1/questions"):
        expected = client.post(path, content=plain, headers=AUTH)
        marked = client.post(path, content=b"\xef\xbb\xbf" + plain, headers=AUTH)
        assert expected.status_code == marked.status_code == 200, marked.text
        assert marked.content == expected.content
    array = client.post(
        "/v1/decisions:batch", content=b"\xef\xbb\xbf[" + plain + b"]", headers=AUTH
    )
    assert array.status_code == 200 and '"outcome"' in array.text


def test_a_path_with_a_trailing_slash_is_a_404_problem_not_a_redirect(client: TestClient) -> None:
    """No redirect to an absolute http:// address built from the Host header (behind a TLS
    proxy a client would re-send the records in clear text), echoing the query, before any
    token check."""
    for method, path in (
        ("POST", "/v1/decisions:batch/"),
        ("POST", "/v1/questions/"),
        ("GET", "/v1/policies/"),
        ("GET", "/v1/policies/2021-01/"),
        ("GET", "/healthz/"),
    ):
        response = client.request(
            method, path, params={"policy": "SECRET-PIN"}, content=b"[]", follow_redirects=False
        )
        assert response.status_code == 404, (path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        assert "location" not in response.headers
    pages = client.get("/assess", follow_redirects=False)
    assert pages.is_redirect and pages.headers["location"] == "/assess/"


def test_a_repeated_policy_pin_picks_the_same_version_on_every_endpoint(
    client: TestClient,
) -> None:
    """`?policy=` given twice: the single and the batch endpoint decide with the same version
    (the last, as for every other query parameter)."""
    body = _record(CASES[0])
    versions = [p["version"] for p in client.get("/v1/policies", headers=AUTH).json()]
    for pins in (versions, versions[::-1]):
        params = [("policy", v) for v in pins]
        one = client.post("/v1/decisions", json=body, params=params, headers=AUTH)
        batch = client.post("/v1/decisions:batch", json=[body], params=params, headers=AUTH)
        assert one.status_code == batch.status_code == 200
        assert one.json()["policy"]["version"] == json.loads(batch.text)["policy"]["version"]
