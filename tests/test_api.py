"""The HTTP API end to end with FastAPI's TestClient on a temporary data directory: upload a sample,
wait for the embedded pipeline, read documents, forms, runs, reports and findings, review them,
correct a value (re-audit), and the limits: size (413), zip bombs, API keys.

The processed upload is shared by the module (once on SQLite, once on the real PostgreSQL); each
test that changes review state works on findings no other test touches.
"""
from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
from fastapi.testclient import TestClient

from tests.service_support import make_settings, pg_database, pg_schema_url  # noqa: F401
from worker.settings import Settings

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "docs"
SCANS = SAMPLES.parent / "scans"
PROCESSING_DEADLINE_S = 240
BOMB_MB = 200  # a generous bound on a shared 2-core machine, not a speed assertion


def client_for(settings: Settings) -> TestClient:
    from worker.api.app import create_app
    from worker.store.db import open_store

    store = open_store(settings.service)
    store.upgrade()
    store.dispose()
    return TestClient(create_app(settings))


def post_file(client: Any, name: str, data: bytes, key: Optional[str] = None) -> Any:
    headers = {"X-API-Key": key} if key else {}
    return client.post("/api/uploads", files={"file": (name, data)}, headers=headers)


def wait_processed(client: Any, upload_id: int, headers: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """Poll the upload until its run is done; the last state in the failure message otherwise."""
    deadline = time.monotonic() + PROCESSING_DEADLINE_S
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = client.get(f"/api/uploads/{upload_id}", headers=headers or {}).json()
        run = state.get("run") or {}
        if state.get("ready") and run.get("status") in ("done", "failed"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"upload {upload_id} not processed in {PROCESSING_DEADLINE_S} s: {json.dumps(state)[:2000]}")


def upload_zip(settings: Settings, members: dict[str, Path], bomb_mb: int = 0) -> Iterator[dict[str, Any]]:
    """An app over `settings` with a zip of `members` (name in the zip → file) uploaded and processed;
    `bomb_mb`: add "zeros.pdf", that many MB of zeros (a few hundred KB compressed)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, path in members.items():
            zf.write(path, name)
        if bomb_mb:
            with zf.open("zeros.pdf", "w", force_zip64=True) as member:
                block = bytes(1 << 20)
                for _ in range(bomb_mb):
                    member.write(block)
    with client_for(settings) as client:
        response = post_file(client, "ningbo.zip", archive.getvalue())
        assert response.status_code == 202, response.text
        upload = response.json()
        yield {"client": client, "settings": settings, "upload": upload, "state": wait_processed(client, upload["id"])}


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """SQLite: the sample forms and their targets as PDFs (so findings have page crops), the forms
    twice, and a zip bomb member."""
    settings = make_settings(tmp_path_factory.mktemp("api") / "data")
    yield from upload_zip(settings, {"宁波/ningbo-2023.pdf": SAMPLES / "ningbo-2023.pdf",
                                     "宁波/ningbo-targets-2023.pdf": SAMPLES / "ningbo-targets-2023.pdf",
                                     "copy/ningbo-2023.pdf": SAMPLES / "ningbo-2023.pdf"}, bomb_mb=BOMB_MB)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reviewed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The review flow's data: `processed` on SQLite; on the real PostgreSQL, the same forms as text
    exports (quicker to read; the same findings without page positions)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("processed")
        return
    schemas = pg_schema_url(request.getfixturevalue("pg_database"))
    settings = make_settings(tmp_path_factory.mktemp("api-pg") / "data", next(schemas))
    yield from upload_zip(settings, {"ningbo-2023.txt": SAMPLES / "ningbo-2023.txt",
                                     "ningbo-targets-2023.txt": SAMPLES / "ningbo-targets-2023.txt"})
    for _ in schemas:  # drops the schema
        pass


def _findings(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/findings", params=params)
    assert response.status_code == 200, response.text
    return response.json()["findings"]


class TestUploadAndResults:
    def test_upload_names_each_member_and_the_same_bytes_are_one_document(self, processed: dict[str, Any]) -> None:
        items = [i for i in processed["upload"]["items"] if i["name"] != "ningbo.zip!zeros.pdf"]
        assert sorted(i["name"] for i in items) == ["ningbo.zip!copy/ningbo-2023.pdf", "ningbo.zip!宁波/ningbo-2023.pdf",
                                                    "ningbo.zip!宁波/ningbo-targets-2023.pdf"]
        assert all(isinstance(i["document_id"], int) and i["error_code"] is None for i in items)
        by_name = {i["name"]: i["document_id"] for i in items}
        assert by_name["ningbo.zip!copy/ningbo-2023.pdf"] == by_name["ningbo.zip!宁波/ningbo-2023.pdf"]
        state = processed["state"]
        assert state["run"]["status"] == "done" and state["run"]["upload_id"] == processed["upload"]["id"]
        assert len(state["run"]["document_ids"]) == 2
        assert {i["name"]: i["status"] for i in state["items"]}["ningbo.zip!宁波/ningbo-2023.pdf"] == "done"

    def test_zip_bomb_member_refused_without_filling_the_disk(self, processed: dict[str, Any]) -> None:
        refused = [i for i in processed["upload"]["items"] if i["name"] == "ningbo.zip!zeros.pdf"][0]
        assert refused["document_id"] is None and refused["status"] == "refused"
        assert refused["error_code"] and refused["error_message"], refused
        data_dir = Path(processed["settings"].service.data_dir)
        stored = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
        assert stored < BOMB_MB * (1 << 20) // 10  # the other members are stored; the zeros never were

    def test_document_progress_and_forms(self, processed: dict[str, Any]) -> None:
        client = processed["client"]
        doc_id = processed["upload"]["items"][0]["document_id"]
        doc = client.get(f"/api/documents/{doc_id}").json()
        assert (doc["status"], doc["kind"], doc["pages_done"], doc["pages_total"]) == ("done", "pdf-text", 28, 28)
        forms = client.get(f"/api/documents/{doc_id}/forms").json()
        from extractor.pipeline import extract_file

        expected = extract_file(SAMPLES / "ningbo-2023.pdf").to_dict()["forms"]
        assert forms["forms"] == expected  # the FORMS.md JSON, as `formaudit extract` gives it
        assert [r["index"] for r in forms["form_rows"]] == list(range(len(expected)))
        assert client.get("/api/documents/999999").status_code == 404

    def test_runs_and_reports(self, processed: dict[str, Any]) -> None:
        client = processed["client"]
        run_id = processed["state"]["run"]["id"]
        assert run_id in [r["id"] for r in client.get("/api/runs").json()]
        report = client.get(f"/api/runs/{run_id}/report.json")
        assert report.status_code == 200 and report.json()["forms"] == 29  # 28 self-evaluations + the targets table
        html = client.get(f"/api/runs/{run_id}/report.html")
        assert html.headers["content-type"].startswith("text/html") and "项目支出绩效自评表" in html.text
        xlsx = client.get(f"/api/runs/{run_id}/report.xlsx")
        assert xlsx.content[:2] == b"PK"  # a zip container: the workbook
        assert client.get(f"/api/runs/{run_id}/report.exe").status_code == 404

    def test_crop_of_a_pdf_finding(self, processed: dict[str, Any]) -> None:
        client = processed["client"]
        located = [f for f in _findings(client) if f["finding"]["bbox"]]
        png = client.get(f"/api/findings/{located[0]['id']}/crop.png")
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        unlocated = [f for f in _findings(client) if not f["finding"]["bbox"]]
        assert unlocated and client.get(f"/api/findings/{unlocated[0]['id']}/crop.png").status_code == 404
        assert client.get("/api/findings/999999/crop.png").status_code == 404
        card = processed["client"].get("/api/review", params={"rule": located[0]["rule"]}).json()
        assert card["groups"][0]["departments"][0]["findings"][0]["crop_url"].endswith("/crop.png")


class TestReview:
    """Findings and what a reviewer does with them, on SQLite and on PostgreSQL."""

    def test_findings_filters(self, reviewed: dict[str, Any]) -> None:
        client = reviewed["client"]
        everything = _findings(client)
        assert everything and {f["run_id"] for f in everything} == {reviewed["state"]["run"]["id"]}
        warnings = _findings(client, severity="warning")
        assert warnings and all(f["severity"] == "warning" for f in warnings) and len(warnings) < len(everything)
        rule = warnings[0]["rule"]
        assert {f["rule"] for f in _findings(client, rule=rule)} == {rule}
        dept = everything[0]["department"]
        assert {f["department"] for f in _findings(client, department=dept)} == {dept}
        assert _findings(client, department="没有这个部门") == []
        assert client.get("/api/findings", params={"severity": "fatal"}).status_code == 422

    def test_confirm_and_dismiss_persist(self, reviewed: dict[str, Any]) -> None:
        client = reviewed["client"]
        first, second = _findings(client, rule="NON_QUANTIFIED_TARGET")[:2]
        assert client.post(f"/api/findings/{first['id']}/dismiss", json={}).status_code == 422  # no reason
        dismissed = client.post(f"/api/findings/{first['id']}/dismiss", json={"reason": "定性指标，已人工核实"})
        assert dismissed.status_code == 200
        assert client.post(f"/api/findings/{second['id']}/confirm").json()["status"] == "confirmed"
        again = client.get(f"/api/findings/{first['id']}").json()
        assert again["status"] == "dismissed"
        assert [(d["action"], d["who"], d["why"]) for d in again["decisions"]] == [
            ("dismiss", "anonymous", "定性指标，已人工核实")]
        assert first["id"] in [f["id"] for f in _findings(client, status="dismissed")]
        assert client.post(f"/api/findings/{second['id']}/reopen").json()["status"] == "open"

    def test_correction_reaudits_and_keeps_history(self, reviewed: dict[str, Any]) -> None:
        client = reviewed["client"]
        target = _findings(client, rule="FUNDS_UNEXPLAINED")[0]
        kept = _findings(client, rule="INDICATOR_ADDED")[0]
        client.post(f"/api/findings/{kept['id']}/dismiss", json={"reason": "指标经批准调整"})
        field, form_id = target["finding"]["field"], target["form_id"]
        response = client.post(f"/api/forms/{form_id}/corrections",
                               json={"path": field, "value": "项目延期至次年实施，资金结转", "reason": "见附件说明"})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["correction"]["old_value"] is None and body["reaudited"]
        keys = {f["key"] for f in _findings(client)}
        assert target["key"] not in keys  # the explanation is there now: the finding is gone
        survivor = [f for f in _findings(client) if f["key"] == kept["key"]][0]
        assert survivor["status"] == "dismissed"  # a re-audit keeps the review of findings that remain
        history = client.get(f"/api/forms/{form_id}/history").json()
        assert [(h["path"], h["old_value"], h["new_value"]) for h in history] == [
            (field, None, "项目延期至次年实施，资金结转")]
        form = client.get(f"/api/forms/{form_id}").json()["form"]
        assert form["funds"]["explanation"] == "项目延期至次年实施，资金结转"
        bad = client.post(f"/api/forms/{form_id}/corrections", json={"path": "funds.nothing", "value": 1, "reason": "x"})
        assert bad.status_code == 422 and "is not a value" in bad.json()["detail"]

    def test_review_data_groups_by_severity_and_department(self, reviewed: dict[str, Any]) -> None:
        data = reviewed["client"].get("/api/review").json()
        order = ["error", "warning", "info", "review"]
        assert [g["severity"] for g in data["groups"]] == sorted((g["severity"] for g in data["groups"]), key=order.index)
        assert sum(g["count"] for g in data["groups"]) == data["count"] == data["total"]
        card = data["groups"][0]["departments"][0]["findings"][0]
        assert card["detail_html"].startswith('<div class="detail">')
        assert data["labels"]["severity"]["warning"] == "警告 Warning"
        page = reviewed["client"].get("/review")
        assert page.status_code == 200 and "/review/assets/review.js" in page.text
        assert reviewed["client"].get("/review/assets/review.js").status_code == 200


class TestOperations:
    def test_health_metrics_openapi(self, tmp_path: Path) -> None:
        with client_for(make_settings(tmp_path / "data")) as client:
            health = client.get("/healthz")
            assert health.status_code == 200 and health.json()["database"] == "ok"
            assert health.json()["broker"].startswith("not configured")
            client.get("/api/runs")
            metrics = client.get("/metrics").text
            assert 'formaudit_api_request_seconds_count{method="GET",route="/api/runs",status="200"} 1.0' in metrics
            assert "formaudit_uploads 0.0" in metrics
            spec = client.get("/openapi.json").json()
            assert {"/api/uploads", "/api/findings", "/api/findings/{finding_id}/dismiss", "/healthz"} <= set(spec["paths"])
            assert "multipart/form-data" in spec["paths"]["/api/uploads"]["post"]["requestBody"]["content"]
            assert client.get("/docs").status_code == 200

    def test_health_says_when_the_broker_is_down(self, tmp_path: Path) -> None:
        settings = make_settings(tmp_path / "data", redis_url="redis://127.0.0.1:1/0")
        with client_for(settings) as client:
            health = client.get("/healthz")
            assert health.status_code == 503 and health.json()["broker"].startswith("unreachable")

    def test_upload_over_the_limit_is_413_and_stores_nothing(self, tmp_path: Path) -> None:
        with client_for(make_settings(tmp_path / "data", max_upload_mb=1)) as client:
            declared = post_file(client, "big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
            assert declared.status_code == 413 and "max_upload_mb" in declared.json()["detail"]
            assert not (tmp_path / "data" / "tmp").exists()  # refused on its Content-Length, before any byte

            def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it streams
                yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
                for _ in range(32):
                    yield b"0" * 65536
                yield b"\r\n--b--\r\n"

            streamed = client.post("/api/uploads", content=chunked(),
                                   headers={"Content-Type": "multipart/form-data; boundary=b"})
            assert streamed.status_code == 413
            assert list((tmp_path / "data" / "tmp").iterdir()) == []  # the partial file is gone
            assert "formaudit_uploads 0.0" in client.get("/metrics").text


class TestKeys:
    KEYS = {"upload_keys": {"clerk": "upload-secret"}, "review_keys": {"auditor": "review-secret"}}

    def test_upload_and_read_need_a_known_key(self, tmp_path: Path) -> None:
        with client_for(make_settings(tmp_path / "data", max_upload_mb=1, **self.KEYS)) as client:
            data = (SAMPLES / "ningbo-targets-2023.txt").read_bytes()
            missing = post_file(client, "t.txt", data)
            assert missing.status_code == 401 and "X-API-Key" in missing.json()["detail"]
            assert post_file(client, "t.txt", data, key="guess").status_code == 401
            assert client.get("/api/runs").status_code == 401
            assert client.get("/healthz").status_code == 200  # operations stay open
            # Past the key check an upload meets the size limit: 413, not 401, shows each key may upload.
            too_big = data * (2 * (1 << 20) // len(data) + 1)
            for key in ("upload-secret", "review-secret"):
                assert post_file(client, "t.txt", too_big, key=key).status_code == 413

    def test_review_needs_a_review_key_and_records_its_name(self, processed: dict[str, Any]) -> None:
        settings = make_settings(Path(processed["settings"].service.data_dir), **self.KEYS)
        with client_for(settings) as client:
            finding = client.get("/api/findings", params={"rule": "NON_QUANTIFIED_TARGET"},
                                 headers={"X-API-Key": "upload-secret"}).json()["findings"][-1]
            forbidden = client.post(f"/api/findings/{finding['id']}/confirm", headers={"X-API-Key": "upload-secret"})
            assert forbidden.status_code == 403 and "review_keys" in forbidden.json()["detail"]
            assert client.post(f"/api/findings/{finding['id']}/confirm").status_code == 401
            done = client.post(f"/api/findings/{finding['id']}/confirm", headers={"X-API-Key": "review-secret"})
            assert done.status_code == 200 and done.json()["decisions"][-1]["who"] == "auditor"


def test_open_api_says_so_when_it_starts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from worker.api.app import create_app

    with caplog.at_level("WARNING", logger="formaudit.api"):
        create_app(make_settings(tmp_path / "data"))
    assert "the API is open" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="formaudit.api"):
        create_app(make_settings(tmp_path / "data", review_keys={"a": "b"}))
    assert "the API is open" not in caplog.text


def test_serve_says_why_it_cannot_start(tmp_path: Path) -> None:
    from worker.api.serve import serve

    settings = make_settings(tmp_path / "data", "postgresql://postgres@127.0.0.1:1/nowhere")
    out, err = io.StringIO(), io.StringIO()
    assert serve(settings, "127.0.0.1", 0, out, err) == 2
    assert "cannot open the store (DATABASE_URL)" in err.getvalue() and out.getvalue() == ""
