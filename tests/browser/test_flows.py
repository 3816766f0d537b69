"""Real-browser tests: Playwright for Python driving Debian's Chromium against the live server.

Screenshots of the dashboard, a question and an analyst page are kept in test-artifacts/screenshots/.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from forecasts.services import checks
from forecasts.models import Question, ResolutionCheck
from forecasts.services.rules import SYSTEM
from tests.conftest import CHROMIUM
from tests.factories import analyst_user, reader_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
PASSWORD = "pass-word-123"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser
    # steps are ordinary blocking calls, which Django would otherwise refuse next to a running loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def seeded_live(live_server, committed_seeds):
    return live_server


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def _shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_analyst_resolves_a_seeded_question_and_sees_the_figures_change(seeded_live, page):
    base = seeded_live.url
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()

    _log_in(page, base, "ann")
    queue = page.locator("#queue tbody tr")
    assert queue.count() == 6
    assert page.locator("#figure-my-checks").inner_text() == "6"
    _shot(page, "dashboard")

    page.get_by_role("link", name="Will Russia use North Korean troops in front-line assaults").first.click()
    assert page.locator("mark").first.inner_text().startswith("The Russians are going to tend to use them as cannon fodder")
    _shot(page, "question")

    page.get_by_label("Yes").check()
    page.get_by_label("Evidence", exact=True).fill("North Korean troops were reported fighting in Kursk in December 2024.")
    page.get_by_label("Evidence URL (optional)").fill("https://example.org/kursk")
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text("Resolved “Will Russia use North Korean troops").wait_for()
    assert page.locator("#question-status").inner_text() == "resolved: yes"
    assert "fighting in Kursk" in page.locator("#history").inner_text()

    page.get_by_role("link", name="Dashboard").click()
    assert page.locator("#queue tbody tr").count() == 5
    assert "front-line assaults" not in page.locator("#queue").inner_text()
    assert "front-line assaults" in page.get_by_role("region", name="Recently resolved").inner_text()

    page.get_by_role("link", name="Analysts").click()
    page.locator("#analysts").get_by_role("link", name="Bruce Bennett").click()
    assert page.locator("#figure-n").inner_text() == "1"
    assert page.locator("#figure-brier").inner_text() == "0.010"
    assert page.locator("svg.calibration-chart circle.point").count() == 1
    _shot(page, "analyst")

    question = Question.objects.get(key="nk-troops-cannon-fodder")
    assert question.outcome == "yes"
    assert ResolutionCheck.objects.get(question=question).status == "done"


def test_api_reader_sees_no_resolve_form(seeded_live, page):
    base = seeded_live.url
    reader_user(username="reader")
    _log_in(page, base, "reader")
    page.get_by_role("link", name="Questions").click()
    page.get_by_role("link", name="Will North Korean elites push back").click()

    assert page.locator("#resolve-form").count() == 0
    assert page.get_by_text("Only analysts resolve questions").is_visible()


def test_pages_fit_a_phone(seeded_live, browser):
    analyst_user(username="ann")
    checks.checks_sweep()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _log_in(page, seeded_live.url, "ann")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the dashboard scrolls sideways on a phone ({width}px)"
        _shot(page, "dashboard-phone")
        page.goto(f"{seeded_live.url}/analysts/bruce-bennett/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_pages_pass_the_content_security_policy(seeded_live, page, monkeypatch):
    from forecasts.services import jobs
    from tests.factories import admin_user

    root = admin_user(username="root")
    # The job pages (they refresh themselves with a meta tag, not a script); no worker here, so they wait.
    monkeypatch.setattr(jobs, "_enqueue", lambda job_id: None)
    article_job = jobs.article_job_create(text="A long read. " * 5_000, user=root)
    csv_job = jobs.csv_job_create(text="analyst,question,probability,made_at,resolve_by,outcome\n", user=root)
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    base = seeded_live.url
    _log_in(page, base, "root")
    question = Question.objects.get(key="nk-troops-cannon-fodder")
    for path in ["/", "/questions/", f"/questions/{question.pk}/", "/analysts/", "/analysts/bruce-bennett/",
                 "/sources/", "/drafts/", "/phrases/", "/admin/", f"/admin/forecasts/question/{question.pk}/change/",
                 "/admin/forecasts/source/ingest/", "/api/v1/docs/", f"/drafts/jobs/{article_job.pk}/",
                 f"/admin/forecasts/prediction/import/jobs/{csv_job.pk}/"]:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    # The interactive docs rendered (their script ran under the policy).
    page.goto(base + "/api/v1/docs/")
    page.locator(".swagger-ui .info").wait_for()
    assert violations == []
    # The browsable API gets 'unsafe-inline' scripts (DRF's own need), and only it.
    response = page.goto(base + "/api/v1/questions/")
    assert "script-src 'self' 'unsafe-inline'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert violations == []


def test_analyst_reads_an_article_reviews_drafts_beside_it_and_sees_the_hedge_words(seeded_live, page):
    """Paste the seeded article into /drafts/: its six curated claims show as tracked, the rest wait; accept one
    beside the highlighted article, reject another, and find the accepted claim on the hedge-word page."""
    base = seeded_live.url
    analyst_user(username="ann")
    _log_in(page, base, "ann")
    raw = (Path(settings.BASE_DIR) / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch.txt").read_text(encoding="utf-8")

    page.get_by_role("link", name="Drafts").click()
    page.get_by_role("button", name="Read it for forecasts").click()
    assert "Paste the article" in page.locator("#ingest-form").inner_text()  # the form error, nothing saved
    page.get_by_label("Publisher").fill("Yonhap News Agency")
    page.get_by_label("Published at").fill("2024-10-22")
    page.get_by_label("Text").fill(raw)
    page.get_by_role("button", name="Read it for forecasts").click()
    page.get_by_text("15 forward-looking statement(s), 9 waiting for review, 6 tracked").wait_for()
    assert page.locator("#article mark").count() == 15
    assert page.locator(".card.draft-accepted").count() == 6  # the curated claims, recognised
    assert page.locator("form.accept-form").count() == 9
    _shot(page, "drafts")

    breakthroughs = page.locator(".card.draft", has_text="They're going to try and achieve breakthroughs")
    breakthroughs.get_by_role("button", name="Reject").click()
    page.get_by_text("Rejected.").wait_for()
    angry = page.locator(".card.draft", has_text="They're going to be very angry at Kim Jong-un")
    angry.get_by_label("Question title").fill("Will North Korean elite families turn against Kim Jong-un by 2026?")
    angry.get_by_role("button", name="Accept").click()
    page.get_by_text("Accepted: Bruce Bennett").wait_for()
    assert page.locator("form.accept-form").count() == 7

    from forecasts.services import questions

    for key, outcome in (("nk-troops-cannon-fodder", "yes"), ("nk-elite-pushback", "no")):
        questions.question_resolve(question_id=Question.objects.get(key=key).pk, outcome=outcome, user=SYSTEM, evidence="Seen in the news.")
    page.get_by_role("link", name="Hedge words").click()
    assert page.locator("svg#phrase-chart circle.point").count() == 2  # "going to" and "likely", one claim each
    assert "going to" in page.locator("#phrase-table").inner_text()
    _shot(page, "hedge-words")
    question = Question.objects.get(title="Will North Korean elite families turn against Kim Jong-un by 2026?")
    assert question.predictions.get().hedge_phrase == "going to"
