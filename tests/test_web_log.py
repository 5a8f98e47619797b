"""The assessor pages with a decision log, in process (httpx over ASGI): the decision POST appends
once and redirects to the page of its entry (Post/Redirect/Get); that page and its downloads are
made from the entry and name it; only the token that made the decision can read it back."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from transport_policy.audit.log import DecisionLog, check_entry
from transport_policy.audit.verify import verify
from transport_policy.casefile import load_case
from transport_policy.service.app import Settings, create_app
from transport_policy.service.auth import parse_tokens

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "cases" / "a-man-who-walks-to-his-local-day-centre-is-not-provided-transport.yaml"
TOKEN, OTHER = "web-token-for-log-tests", "another-assessors-token"
TOKENS = parse_tokens(
    "".join(f"{hashlib.sha256(t.encode()).hexdigest()} decide\n" for t in (TOKEN, OTHER)),
    source="tests",
)
SECRET_VALUE = "a-value-nobody-should-see-4417"


def _app(log: Path | None) -> TestClient:
    settings = Settings(tokens=TOKENS, log=str(log) if log else None)
    return TestClient(create_app(settings), base_url="https://testserver")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"the page has no {name}"
    return found.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")


def _sign_in(client: TestClient, token: str = TOKEN) -> None:
    page = client.get("/assess/login")
    data = {"csrf_token": _csrf(page.text), "token": token}
    assert client.post("/assess/login", data=data, follow_redirects=False).status_code == 303


def _checked(client: TestClient) -> str:
    """The check-answers page of the case uploaded."""
    page = client.get("/assess/upload")
    files = {"record": ("case.yaml", CASE.read_bytes(), "application/yaml")}
    response = client.post("/assess/upload", data={"csrf_token": _csrf(page.text)}, files=files)
    assert response.status_code == 200 and "Check your answers" in response.text
    return response.text


def _decide(client: TestClient, html: str) -> str:
    """Post the decision form; with a log, the address of the page it redirects to."""
    data = {"csrf_token": _csrf(html), "state": _hidden(html, "state")}
    response = client.post("/assess/decision", data=data, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/assess/decision?entry=")
    return location


def _entries(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _refused(response: object, *values: str) -> None:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 404
    assert "This decision cannot be shown" in response.text
    assert "Traceback" not in response.text
    for value in values:
        assert value not in response.text


def test_the_decision_is_logged_once_and_reloading_its_page_adds_nothing(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        location = _decide(client, _checked(client))
        first = client.get(location)
        again = client.get(location)
    assert first.status_code == again.status_code == 200
    entries = _entries(log)
    assert len(entries) == 1 and verify(log).ok
    entry = entries[0]
    decision = entry["decision"]
    assert isinstance(decision, dict)
    for page in (first, again):
        assert "Entry 1 of the service&#39;s decision log (decisions.log)" in page.text
        assert str(entry["hash"]) in page.text and decision["input_digest"] in page.text
        assert "Recommendation: do not provide Council transport" in page.text
        assert page.headers["cache-control"] == "no-store"
    assert str(tmp_path) not in first.text  # the log is named by its file name only
    assert _hidden(first.text, "entry") == parse_qs(urlsplit(location).query)["entry"][0]


def test_a_second_decision_is_a_second_entry(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        html = _checked(client)
        one, two = _decide(client, html), _decide(client, html)
        assert one != two
        assert "Entry 2 of" in client.get(two).text and "Entry 1 of" in client.get(one).text
    assert [e["seq"] for e in _entries(log)] == [1, 2] and verify(log).ok


def test_the_entry_is_read_where_it_was_appended_whoever_wrote_after_it(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    record, _ = load_case(CASE)
    from transport_policy import decide

    with _app(log) as client:
        _sign_in(client)
        with DecisionLog(log) as other:  # another writer (say `decide --log`) before and after
            other.append(decide(record), record)
            location = _decide(client, _checked(client))
            other.append(decide(record), record)
        ref = parse_qs(urlsplit(location).query)["entry"][0]
        page = client.get(location)
    seq, at = (int(x) for x in ref.split(".")[:2])
    assert (seq, at) == (2, len(log.read_bytes().splitlines(keepends=True)[0]))
    assert page.status_code == 200 and "Entry 2 of" in page.text
    assert str(_entries(log)[1]["hash"]) in page.text and verify(log).ok


def test_downloads_from_the_page_are_made_from_the_entry_and_name_it(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        page = client.get(_decide(client, _checked(client))).text
        form = {"csrf_token": _csrf(page), "state": _hidden(page, "state")}
        form["entry"] = _hidden(page, "entry")
        files = {
            kind: client.post("/assess/download", data={**form, "format": kind})
            for kind in ("decision", "plan-html", "letter-html", "plan-pdf", "letter-docx")
        }
    raw = log.read_bytes()
    entry = _entries(log)[0]
    saved = files["decision"]
    assert saved.status_code == 200
    assert saved.headers["content-disposition"].endswith('-decision-log-entry-1.json"')
    assert saved.content == raw  # the entry exactly as logged, checked against its own hash
    assert check_entry(saved.content.rstrip(b"\n"))[0] == entry
    plan = files["plan-html"].text
    assert "entry 1 of decisions.log" in plan and str(entry["hash"]) in plan
    assert "entry 1 of decisions.log" in files["letter-html"].text
    assert files["plan-pdf"].content.startswith(b"%PDF-")
    assert files["letter-docx"].content.startswith(b"PK")
    assert len(_entries(log)) == 1  # downloading appends nothing


def test_the_record_saved_from_the_page_is_the_entrys_record(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        page = client.get(_decide(client, _checked(client))).text
        state = json.loads(_hidden(page, "state"))
        state["record"]["case_id"] = "EDITED-IN-THE-FORM"  # the hidden field is not signed
        form = {"csrf_token": _csrf(page), "state": json.dumps(state), "format": "json"}
        saved = client.post("/assess/download", data={**form, "entry": _hidden(page, "entry")})
    record = _entries(log)[0]["record"]
    assert isinstance(record, dict)
    assert saved.json() == {k: v for k, v in record.items() if v != {}}
    assert saved.headers["content-disposition"] == 'attachment; filename="G-009.json"'


def test_the_documents_are_those_render_seq_makes(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from transport_policy.cli import main

    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        page = client.get(_decide(client, _checked(client))).text
        form = {"csrf_token": _csrf(page), "state": _hidden(page, "state")}
        form |= {"entry": _hidden(page, "entry"), "format": "plan-html"}
        plan = client.post("/assess/download", data=form).text
    # render names the log as it is given: run it beside the log, as the pages name it
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        rendered = CliRunner().invoke(
            main, ["render", "decisions.log", "--seq", "1", "--format", "html"]
        )
    assert rendered.exit_code == 0
    assert plan == rendered.output.rstrip("\n")


def test_another_assessor_cannot_read_the_entry(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client, _app(log) as other:
        _sign_in(client)
        location = _decide(client, _checked(client))
        _sign_in(other, OTHER)
        ref = parse_qs(urlsplit(location).query)["entry"][0]
        _refused(other.get(location), ref, "G-009")
        page = _checked(other)  # the other assessor's own case, posted with the first's entry
        form = {"csrf_token": _csrf(page), "state": _hidden(page, "state")}
        _refused(other.post("/assess/download", data={**form, "entry": ref, "format": "decision"}))
    assert len(_entries(log)) == 1


def test_a_forged_entry_reference_is_refused_without_a_trace_or_its_value(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        _decide(client, _checked(client))
        ref = parse_qs(urlsplit(_decide(client, _checked(client))).query)["entry"][0]
        seq, at, digest, mac = ref.split(".")
        entry_one = str(_entries(log)[0]["hash"]).removeprefix("sha256:")
        forged = [
            f"1.{at}.{digest}.{mac}",  # another entry under this entry's signature
            f"1.0.{entry_one}.{mac}",
            f"{seq}.0.{digest}.{mac}",
            f"{seq}.{at}.{digest}.{'0' * 64}",
            f"{seq}.{at}.{digest}.{mac[:-1]}",
            f"{seq}.{digest}.{mac}",
            SECRET_VALUE,
            "",
        ]
        for bad in forged:
            _refused(client.get("/assess/decision", params={"entry": bad}), bad or "entry=")
        _refused(client.get("/assess/decision"))
    assert len(_entries(log)) == 2


def test_an_entry_no_longer_in_the_log_as_logged_is_not_shown(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        location = _decide(client, _checked(client))
        record, _ = load_case(CASE)
        log.unlink()  # the log replaced by another whose entry 1 is another decision
        with DecisionLog(log) as fresh:
            from transport_policy import decide

            fresh.append(decide(record.model_copy(update={"notes": SECRET_VALUE})), record)
        response = client.get(location)
    assert response.status_code == 500
    assert "could not be read from the decision log" in response.text
    assert SECRET_VALUE not in response.text and "Traceback" not in response.text


def test_the_page_of_an_entry_needs_sign_in(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        location = _decide(client, _checked(client))
    with _app(log) as stranger:
        response = stranger.get(location, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/assess/login"


def test_without_a_log_the_decision_is_the_answer_and_nothing_is_kept(tmp_path: Path) -> None:
    with _app(None) as client:
        _sign_in(client)
        html = _checked(client)
        data = {"csrf_token": _csrf(html), "state": _hidden(html, "state")}
        response = client.post("/assess/decision", data=data, follow_redirects=False)
        assert response.status_code == 200
        assert "Not logged: this service keeps no record" in response.text
        assert 'name="entry"' not in response.text
        _refused(client.get("/assess/decision", params={"entry": f"1.0.{'a' * 64}.{'b' * 64}"}))
    assert list(tmp_path.iterdir()) == []


def test_change_your_answers_from_the_page_keeps_what_was_answered_dont_know(
    tmp_path: Path,
) -> None:
    log = tmp_path / "decisions.log"
    with _app(log) as client:
        _sign_in(client)
        html = _checked(client)
        state = json.loads(_hidden(html, "state"))
        state["asked"] = ["person.age"]
        form = {"csrf_token": _csrf(html), "state": json.dumps(state)}
        location = client.post("/assess/decision", data=form, follow_redirects=False)
        address = location.headers["location"]
        assert parse_qs(urlsplit(address).query)["asked"] == ["person.age"]
        page = client.get(address + "%2Cnot.a-field").text  # an unknown path is dropped
        assert json.loads(_hidden(page, "state"))["asked"] == ["person.age"]
