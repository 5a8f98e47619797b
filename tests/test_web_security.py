"""The assessor pages in process (httpx over ASGI): sign-in, CSRF, the case in the form, saving
and uploading, and errors that never show an input value or a trace."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from transport_policy import decide, load_case
from transport_policy.service.app import Settings, create_app
from transport_policy.service.auth import parse_tokens
from transport_policy.web.security import ENV_SECRET

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "cases" / "a-man-who-walks-to-his-local-day-centre-is-not-provided-transport.yaml"
TOKEN, AUDIT_ONLY = "web-token-for-tests", "token-without-decide"
TOKENS = parse_tokens(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide\n", source="tests")
SECRET_VALUE = "a-value-nobody-should-see-7319"


def _client() -> TestClient:
    # https: the cookies are Secure, so a client on plain http (other than loopback) drops them
    return TestClient(create_app(Settings(tokens=TOKENS)), base_url="https://testserver")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def _state(html: str) -> str:
    found = re.search(r'name="state" value="([^"]+)"', html)
    assert found, "the page carries no case"
    return found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def _signed_in() -> TestClient:
    client = _client()
    page = client.get("/assess/login")
    response = client.post(
        "/assess/login",
        data={"csrf_token": _csrf(page.text), "token": TOKEN},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def _new_case(client: TestClient) -> str:
    page = client.get("/assess/new")
    form = {
        "csrf_token": _csrf(page.text),
        "case_id": "C-1",
        "assessment_date-day": "15",
        "assessment_date-month": "3",
        "assessment_date-year": "2021",
    }
    response = client.post("/assess/new", data=form)
    assert response.status_code == 200
    return response.text


def test_every_page_needs_sign_in() -> None:
    client = _client()
    for path in ("/assess/", "/assess/new", "/assess/upload"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/assess/login"
    response = client.post("/assess/answer", data={"state": "{}"}, follow_redirects=False)
    assert response.status_code == 303


def test_the_sign_in_cookie_is_secure_http_only_and_same_site() -> None:
    client = _client()
    page = client.get("/assess/login")
    assert "tp_csrf=" in page.headers["set-cookie"]
    response = client.post(
        "/assess/login",
        data={"csrf_token": _csrf(page.text), "token": TOKEN},
        follow_redirects=False,
    )
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("tp_session="))
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/assess", "Max-Age=28800"):
        assert flag in session
    assert TOKEN not in session  # encoded, not in clear (it is still a credential: HttpOnly)


def test_a_wrong_token_is_refused_without_repeating_it() -> None:
    client = _client()
    page = client.get("/assess/login")
    response = client.post(
        "/assess/login", data={"csrf_token": _csrf(page.text), "token": "nope-x1"}
    )
    assert response.status_code == 400
    assert "Enter a valid access token" in response.text and "nope-x1" not in response.text
    assert "tp_session" not in response.headers.get("set-cookie", "")


def test_a_form_without_its_token_is_refused() -> None:
    client = _signed_in()
    html = _new_case(client)
    form = {"state": _state(html), "fields": "person.age", "person.age": "40"}
    for token in (None, "0" * 64):
        data = form if token is None else {**form, "csrf_token": token}
        response = client.post("/assess/answer", data=data)
        assert response.status_code == 400
        assert "This form has expired" in response.text
    # the sign-out is a form too
    assert client.post("/assess/logout", data={}).status_code == 400


def test_a_form_token_is_bound_to_the_sign_in() -> None:
    client = _signed_in()
    old = _csrf(client.get("/assess/new").text)
    for cookie in list(client.cookies.jar):
        if cookie.name == "tp_session":
            cookie.value = "b3RoZXI"  # another sign-in ("other")
    response = client.post("/assess/logout", data={"csrf_token": old}, follow_redirects=False)
    assert response.status_code == 400


def test_workers_with_one_secret_accept_each_others_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SECRET, "shared-secret-for-the-test")
    first, second = _client(), _client()
    page = first.get("/assess/login")
    second.cookies = first.cookies
    data = {"csrf_token": _csrf(page.text), "token": TOKEN}
    assert second.post("/assess/login", data=data, follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session() -> None:
    client = _signed_in()
    token = _csrf(client.get("/assess/").text)
    response = client.post("/assess/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/assess/login?signed-out"
    assert client.get("/assess/", follow_redirects=False).status_code == 303
    assert "You have signed out" in client.get("/assess/login?signed-out").text


def test_pages_are_not_cached_framed_or_scripted_from_elsewhere() -> None:
    response = _client().get("/assess/login")
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text  # no inline script: the CSP allows none


def test_an_answer_out_of_range_names_the_field_but_not_the_value() -> None:
    client = _signed_in()
    html = _new_case(client)
    data = {
        "csrf_token": _csrf(html),
        "state": _state(html),
        "fields": "person.age",
        "person.age": "131",
    }
    response = client.post("/assess/answer", data=data)
    assert response.status_code == 400
    summary = response.text[response.text.index("govuk-error-summary") :]
    summary = summary[: summary.index("</div>")]
    assert "Age must be at most 130" in summary and "131" not in summary
    assert 'href="#f-person-age"' in summary
    assert "<title>Error: " in response.text


def test_a_damaged_case_in_the_form_is_refused_without_a_trace_or_its_values() -> None:
    client = _signed_in()
    html = _new_case(client)
    record = json.loads(_state(html))
    record["record"]["person"] = {"age": SECRET_VALUE}
    for state in ("not json {", json.dumps(record), json.dumps({"record": {}, "asked": ["x.y"]})):
        data = {"csrf_token": _csrf(html), "state": state, "fields": "person.age"}
        response = client.post("/assess/answer", data=data)
        assert response.status_code == 400
        assert "could not be read" in response.text
        assert SECRET_VALUE not in response.text and "Traceback" not in response.text


def test_the_record_saves_as_yaml_and_json_and_uploads_again() -> None:
    client = _signed_in()
    record, _ = load_case(CASE)
    text = CASE.read_text(encoding="utf-8")
    page = client.get("/assess/upload")
    files = {"record": ("case.yaml", text.encode(), "application/yaml")}
    response = client.post("/assess/upload", data={"csrf_token": _csrf(page.text)}, files=files)
    assert response.status_code == 200 and "Check your answers" in response.text
    for fmt, parse in (("yaml", yaml.safe_load), ("json", json.loads)):
        data = {"csrf_token": _csrf(response.text), "state": _state(response.text), "format": fmt}
        saved = client.post("/assess/download", data=data)
        assert saved.status_code == 200
        assert saved.headers["content-disposition"] == f'attachment; filename="G-009.{fmt}"'
        assert decide(parse(saved.text)).to_json() == decide(record).to_json()
        again = client.post(
            "/assess/upload",
            data={"csrf_token": _csrf(response.text)},
            files={"record": (f"saved.{fmt}", saved.content, "text/plain")},
        )
        assert again.status_code == 200 and _state(again.text) == _state(response.text)


def test_a_saved_record_with_a_byte_order_mark_uploads_as_decide_reads_it() -> None:
    """A record saved by an editor that starts UTF-8 with a byte order mark (Windows Notepad)
    uploads as the same record, JSON as YAML, as ``decide`` reads such a file."""
    client = _signed_in()
    record, _ = load_case(CASE)
    page = client.get("/assess/upload")
    for name, text in (
        ("case.yaml", CASE.read_text(encoding="utf-8")),
        ("case.json", record.model_dump_json(exclude_none=True)),
    ):
        files = {"record": (name, b"\xef\xbb\xbf" + text.encode(), "text/plain")}
        response = client.post("/assess/upload", data={"csrf_token": _csrf(page.text)}, files=files)
        assert response.status_code == 200 and "Check your answers" in response.text, name


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        ("provide", "The assessor decided differently because:"),
        ("do_not_provide", "The assessor decided the same, recording why:"),
    ],
)
def test_the_decision_page_says_whether_an_override_differs(outcome: str, said: str) -> None:
    """CASE is recommended do_not_provide: an override to the same outcome is not "differently"."""
    client = _signed_in()
    text = CASE.read_text(encoding="utf-8").split("\nexpected:")[0]
    text += f"\noverride:\n  outcome: {outcome}\n  reason: Agreed at the review\n"
    page = client.get("/assess/upload")
    files = {"record": ("case.yaml", text.encode(), "application/yaml")}
    checked = client.post("/assess/upload", data={"csrf_token": _csrf(page.text)}, files=files)
    assert checked.status_code == 200 and "Check your answers" in checked.text
    data = {"csrf_token": _csrf(checked.text), "state": _state(checked.text)}
    shown = client.post("/assess/decision", data=data)
    assert shown.status_code == 200 and said in shown.text


def test_a_bad_upload_lists_its_field_paths_without_values() -> None:
    client = _signed_in()
    token = _csrf(client.get("/assess/upload").text)
    bad = f"case_id: C-1\nassessment_date: 2021-03-15\nperson:\n  age: {SECRET_VALUE}\n"
    cases = {
        "bad.yaml": (bad.encode(), "person.age: must be a whole number"),
        "bad.json": (b"{", "(file): is not valid JSON"),
        "old.yaml": (b"case_id: C\nassessment_date: 1999-01-01\n", "assessment_date: no policy"),
        "contradiction.yaml": (
            b"case_id: C\nassessment_date: 2021-03-15\n"
            b"vehicles:\n  motability: true\n  private_car: false\n",
            "vehicles.private_car: fails while vehicles.motability holds",
        ),
        "empty.yaml": (b"", "Select a saved record"),
    }
    for name, (body, message) in cases.items():
        files = {"record": (name, body, "text/plain")}
        response = client.post("/assess/upload", data={"csrf_token": token}, files=files)
        assert response.status_code == 400, name
        assert message in response.text, name
        assert SECRET_VALUE not in response.text


def test_an_unknown_page_is_an_html_page() -> None:
    response = _signed_in().get("/assess/nowhere")
    assert response.status_code == 404
    assert "Page not found" in response.text and response.headers["content-type"].startswith(
        "text/html"
    )


def test_every_page_says_what_the_service_keeps(tmp_path: Path) -> None:
    page = _client().get("/assess/login")
    assert "Nothing about the person is kept on the server" in page.text
    logging = TestClient(
        create_app(Settings(tokens=TOKENS, log=str(tmp_path / "decisions.log"))),
        base_url="https://testserver",
    )
    with logging:
        text = logging.get("/assess/login").text
    assert "added to this service's decision log" in text


def test_an_upload_over_the_size_limit_gets_a_page_naming_no_value() -> None:
    client = TestClient(
        create_app(Settings(tokens=TOKENS, max_body=4096)), base_url="https://testserver"
    )
    page = client.get("/assess/login")
    client.post("/assess/login", data={"csrf_token": _csrf(page.text), "token": TOKEN})
    token = _csrf(client.get("/assess/upload").text)
    big = ("notes: " + SECRET_VALUE * 400 + "\n").encode()
    files = {"record": ("case.yaml", big, "application/yaml")}
    response = client.post("/assess/upload", data={"csrf_token": token}, files=files)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "The file is too large" in response.text and "4 KB" in response.text
    assert SECRET_VALUE not in response.text
    api = client.post("/v1/decisions", content=big, headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"
