"""End to end in a real browser: Playwright drives Debian's Chromium against a real `viva serve` process.

`playwright install` cannot download browsers here, so the tests launch /usr/bin/chromium (Debian's `chromium`,
which `.ci/run` installs). Without it, or without the playwright package, they skip locally and fail in CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.net import free_port, wait_for_http

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCORE = re.compile(r"Question \d+: \d+/100")


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must install it (see .ci/run)")
    pytest.skip(reason)


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    if not wait_for_http(f"{url}/healthz", server):
        raise AssertionError(f"viva serve did not answer /healthz (exit {server.poll()}):\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `viva serve` on a free loopback port, with its own empty user dir and the offline grader."""
    root = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIVA_")}
    env["VIVA_HOME"] = str(root / "home")
    port, log = free_port(), root / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "viva", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed (Debian packages chromium and chromium-driver)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def _current_question(server: str, page: Any) -> dict[str, Any]:
    """The bank entry of the question on screen (through the JSON API), for its rubric."""
    session_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    state = httpx.get(f"{server}/api/sessions/{session_id}").json()
    question = httpx.get(f"{server}/api/bank/{state['current']['question']['id']}").json()
    assert isinstance(question, dict)
    return question


def _strong_answer(question: dict[str, Any]) -> str:
    """Every key point of the rubric, in the rubric's words: the offline grader finds each one."""
    return " ".join(p["text"] for p in question["key_points"])


def _submit(page: Any, text: str) -> None:
    page.locator("#answer").fill(text)
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state()


def _start(page: Any, server: str, area: str, questions: int) -> None:
    page.goto(server)
    for box in page.locator("input[name=areas]").all():
        box.uncheck()
    page.locator(f"#area-{area}").check()
    page.get_by_label("Number of questions").fill(str(questions))
    page.get_by_label("Follow-ups per question (at most)").fill("1")
    page.get_by_role("button", name="Start the interview").click()
    page.wait_for_url(re.compile(r"/interview/\w+$"))


def test_a_full_interview_with_a_follow_up_then_progress(server, page, tmp_path):
    _start(page, server, "safety", 2)
    assert page.get_by_text("Question 1 of 2").is_visible()
    assert page.get_by_role("timer").is_visible()
    question = _current_question(server, page)

    _submit(page, "I am not sure.")  # weak: the engine probes a missed key point
    assert page.get_by_role("heading", name="Follow-up").is_visible()
    assert page.get_by_role("button", name="Next (leave follow-up)").is_visible()
    assert page.get_by_label("Your answer to the follow-up").is_visible()

    _submit(page, _strong_answer(question))
    page.wait_for_url(re.compile(r"/sessions/\w+/questions/1$"))
    assert SCORE.search(page.locator("main").inner_text()), page.locator("main").inner_text()[:500]
    assert page.locator(".said mark.hl-covered").count() >= 1  # the candidate's own words, highlighted
    page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)

    page.get_by_role("link", name=re.compile(r"Next question \(2 of 2\)")).click()
    page.wait_for_url(re.compile(r"/interview/\w+$"))
    assert page.get_by_text("Question 2 of 2").is_visible()
    _submit(page, _strong_answer(_current_question(server, page)))
    if "/interview/" in page.url:  # a follow-up after a good answer: leave it
        page.get_by_role("button", name="Next (leave follow-up)").click()
    page.wait_for_url(re.compile(r"/sessions/\w+/questions/2$"))
    assert SCORE.search(page.locator("main").inner_text())

    page.get_by_role("link", name="See the summary").click()
    page.wait_for_url(re.compile(r"/sessions/\w+$"))
    assert page.get_by_text("Summary per area").is_visible()
    assert page.get_by_text(re.compile(r"Mean score \d+/100")).is_visible()

    page.goto(f"{server}/progress")
    radar = page.locator("figure.radar svg")
    assert radar.count() == 1 and radar.is_visible()
    assert radar.bounding_box()["width"] > 100
    page.screenshot(path=str(tmp_path / "progress.png"), full_page=True)
    assert (tmp_path / "feedback.png").stat().st_size > 0 and (tmp_path / "progress.png").stat().st_size > 0


def test_the_start_page_works_on_a_phone_sized_screen(server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.goto(server)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the start page scrolls sideways on a phone ({width}px wide)"
        assert page.get_by_role("button", name="Start the interview").is_visible()
    finally:
        context.close()
