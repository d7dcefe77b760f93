"""`formaudit serve` as a real uvicorn process on a free port with a scanned page uploaded over HTTP:
the server process never loads OpenCV or ONNX Runtime (the scan is read by the embedded pipeline's
child), and in headless Chromium (Selenium) a finding dismissed with the keyboard (d, reason,
Enter) is still dismissed after a reload."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.test_api import SCANS, wait_processed

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_DEADLINE_S = 60
SCAN = SCANS / "ningbo-2023.p2.clean.png"
HEAVY = ("cv2", "onnxruntime")  # their shared objects live under these package folders
SCREENSHOT_ENV = "FORMAUDIT_REVIEW_SCREENSHOT"  # set it to a path to keep a screenshot of the page

needs_chromium = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                    reason="headless Chromium needs Debian's chromium and chromium-driver "
                                           "(/usr/bin/chromium, /usr/bin/chromedriver)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`formaudit serve` on a temporary data directory, with the scan uploaded and processed."""
    tmp = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL") and not k.startswith("FORMAUDIT_")}
    env["FORMAUDIT_SERVICE__DATA_DIR"] = str(tmp / "data")
    log_path = tmp / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("formaudit")), "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base, log_path)
        with httpx.Client(base_url=base, timeout=60) as client:
            response = client.post("/api/uploads", files={"file": (SCAN.name, SCAN.read_bytes())})
            assert response.status_code == 202, response.text
            state = wait_processed(client, response.json()["id"])
            yield {"base": base, "pid": proc.pid, "client": client, "state": state}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server, and an embedded pipeline child if one still runs
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_healthy(proc: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"formaudit serve exited {proc.returncode}: {log_path.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"formaudit serve did not answer in {START_DEADLINE_S} s: {log_path.read_text()}")
        time.sleep(0.2)


def test_the_server_never_loads_opencv_or_onnx(served: dict[str, Any]) -> None:
    """The scan was read (by OCR, in the pipeline's child); the server answered findings, a crop of the
    scan and a correction's re-audit, and still has neither library mapped."""
    client = served["client"]
    findings = client.get("/api/findings").json()["findings"]
    located = [f for f in findings if f["finding"]["bbox"]]
    assert served["state"]["run"]["status"] == "done" and located
    crop = client.get(f"/api/findings/{located[0]['id']}/crop.png")
    assert crop.status_code == 200 and crop.content[:4] == b"\x89PNG"
    corrected = client.post(f"/api/forms/{located[0]['form_id']}/corrections",
                            json={"path": "project", "value": "杰出人才奖励经费", "reason": "as printed on the page"})
    assert corrected.status_code == 201, corrected.text
    maps = Path(f"/proc/{served['pid']}/maps").read_text()
    assert [name for name in HEAVY if f"/{name}/" in maps] == []


@pytest.fixture()
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@needs_chromium
def test_dismiss_with_the_keyboard_persists_after_reload(served: dict[str, Any], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served['base']}/review")
    # the page redraws its list when a decision lands: an element found just before is stale then
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "article.finding.current"))
    cards = browser.find_elements(By.CSS_SELECTOR, "article.finding")
    assert len(cards) >= 2
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    current = browser.find_element(By.CSS_SELECTOR, "article.finding.current")
    assert current.get_attribute("data-id") == cards[1].get_attribute("data-id")  # j moved on
    browser.switch_to.active_element.send_keys("k")
    current = browser.find_element(By.CSS_SELECTOR, "article.finding.current")
    finding_id = current.get_attribute("data-id")
    assert finding_id == cards[0].get_attribute("data-id") and current.get_attribute("data-status") == "open"

    browser.switch_to.active_element.send_keys("d")
    reason = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "article.finding.current .ask input[name=reason]"))
    assert browser.switch_to.active_element == reason
    reason.send_keys("已与部门核实：指标为定性描述", Keys.ENTER)
    selector = f'article.finding[data-id="{finding_id}"]'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, selector).get_attribute("data-status") == "dismissed")

    browser.refresh()

    def shown(d: Any) -> Any:
        card = d.find_element(By.CSS_SELECTOR, selector)
        texts = (card.get_attribute("data-status"), card.find_element(By.CSS_SELECTOR, ".status").text,
                 card.find_element(By.CSS_SELECTOR, ".trail").text)
        return (card, texts) if texts[1] else None

    _, (status, label, trail) = wait.until(shown)
    assert status == "dismissed" and "已驳回" in label
    assert "已与部门核实：指标为定性描述" in trail
    decisions = served["client"].get(f"/api/findings/{finding_id}").json()["decisions"]
    assert [(d["action"], d["why"]) for d in decisions] == [("dismiss", "已与部门核实：指标为定性描述")]
    wait.until(lambda d: d.execute_script(  # the crop of the scan around the cell, loaded
        "return arguments[0].complete && arguments[0].naturalWidth",
        d.find_element(By.CSS_SELECTOR, f"{selector} .crop img")))
    if os.environ.get(SCREENSHOT_ENV):
        browser.save_screenshot(os.environ[SCREENSHOT_ENV])
