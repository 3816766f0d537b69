"""The analysts' pages through Django's test client, for every role."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasts.services import checks, questions
from forecasts.models import Analyst, Question, Resolution, Source
from forecasts.services.rules import SYSTEM
from tests.factories import UserFactory, admin_user, analyst_user, reader_user

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def urls(seeded):
    question = Question.objects.get(key="nk-troops-cannon-fodder")
    return {
        "dashboard": reverse("dashboard"),
        "questions": reverse("question-list"),
        "question": reverse("question-detail", args=[question.pk]),
        "analysts": reverse("analyst-list"),
        "analyst": reverse("analyst-detail", args=["bruce-bennett"]),
        "chart": reverse("analyst-chart", args=["bruce-bennett"]),
        "sources": reverse("source-list"),
        "source": reverse("source-detail", args=[Source.objects.get().pk]),
        "password": reverse("password_change"),
    }


def _resolve_body(question, **overrides):
    body = {"outcome": "yes", "evidence": "North Korean troops fought in Kursk.", "evidence_url": "", "version": question.version}
    body.update(overrides)
    return body


def test_anonymous_is_sent_to_the_login_page_everywhere(client, urls):
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("make_user", [reader_user, analyst_user, admin_user], ids=["reader", "analyst", "admin"])
def test_every_page_answers_for_every_role(client, urls, make_user):
    client.force_login(make_user())
    for name, url in urls.items():
        assert client.get(url).status_code == 200, name


def test_a_user_without_a_role_gets_a_helpful_403(client, urls):
    client.force_login(UserFactory())
    response = client.get(urls["questions"])
    assert response.status_code == 403
    assert "ask an admin to add you to the" in response.content.decode()


def test_unknown_question_is_a_helpful_404(client, seeded):
    client.force_login(analyst_user())
    response = client.get(reverse("question-detail", args=[99999]))
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_api_reader_sees_no_resolve_form_and_cannot_resolve(client, urls):
    client.force_login(reader_user())
    page = client.get(urls["question"]).content.decode()
    assert 'id="resolve-form"' not in page
    assert "Only analysts resolve questions" in page

    question = Question.objects.get(key="nk-troops-cannon-fodder")
    response = client.post(reverse("question-resolve", args=[question.pk]), _resolve_body(question))
    assert response.status_code == 403
    assert not Resolution.objects.exists()
    checks.checks_sweep()
    check = question.checks.get()
    assert client.post(reverse("check-snooze", args=[check.pk]), {"until": "2030-01-01"}).status_code == 403


def test_dashboard_lists_my_pending_checks_overdue_first(client, seeded):
    me = analyst_user(username="ann")
    checks.checks_sweep()
    client.force_login(me)

    page = client.get(reverse("dashboard")).content.decode()

    assert page.count("<tr data-question=") == 6
    # European troops (due April 2025) is the most overdue, so it comes first.
    assert page.index("European governments") < page.index("elites push back")
    days = (timezone.now() - Question.objects.get(key="european-troops-debate").resolve_by).days
    assert f'<span class="badge overdue">{days}</span>' in page
    assert 'id="figure-my-checks">6<' in page


def test_dashboard_empty_state(client, seeded):
    client.force_login(analyst_user())
    page = client.get(reverse("dashboard")).content.decode()
    assert "Nothing waiting for you" in page
    assert "No question has been resolved yet" in page


def test_question_page_shows_quote_in_context_hedge_history(client, urls):
    client.force_login(analyst_user())
    page = client.get(urls["question"]).content.decode()
    assert "<mark>The Russians are going to tend to use them as cannon fodder," in page
    assert "Bruce Bennett" in page and "RAND Corp." in page
    assert "“are going to”" in page and "phrase table “going to”" in page
    assert "<strong>90%</strong>" in page
    assert "Not judged yet." in page
    assert 'id="resolve-form"' in page


def test_analyst_resolves_with_evidence_and_the_check_leaves_the_queue(client, seeded):
    me = analyst_user(username="ann")
    checks.checks_sweep()
    client.force_login(me)
    question = Question.objects.get(key="nk-troops-cannon-fodder")

    response = client.post(
        reverse("question-resolve", args=[question.pk]),
        _resolve_body(question, evidence_url="https://example.org/kursk"),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == question.get_absolute_url()
    page = response.content.decode()
    assert "Resolved “Will Russia use North Korean troops" in page
    assert "North Korean troops fought in Kursk." in page
    question.refresh_from_db()
    assert question.outcome == "yes" and question.resolutions.get().resolved_by == me
    assert question.checks.get().status == "done"
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert dashboard.count("<tr data-question=") == 5


def test_stale_version_gives_the_friendly_page(client, seeded):
    client.force_login(analyst_user())
    question = Question.objects.get(key="nk-elite-pushback")
    stale = _resolve_body(question, outcome="no")
    questions.question_resolve(question_id=question.pk, outcome="yes", evidence="someone else", user=SYSTEM)

    response = client.post(reverse("question-resolve", args=[question.pk]), stale)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone resolved or edited this question meanwhile" in page
    assert "someone else" in page  # the page shows what it says now
    assert list(question.resolutions.values_list("outcome", flat=True)) == ["yes"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"evidence": ""}, "This field is required."),
        ({"outcome": "maybe"}, "Select a valid choice."),
        ({"evidence_url": "not a url"}, "Enter a valid URL."),
        ({"version": "x"}, "Enter a whole number."),
    ],
)
def test_bad_resolve_form_is_a_form_error(client, seeded, overrides, message):
    client.force_login(analyst_user())
    question = Question.objects.get(key="nk-elite-pushback")
    response = client.post(reverse("question-resolve", args=[question.pk]), _resolve_body(question, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Resolution.objects.exists()


def test_unresolve_with_a_reason(client, seeded):
    client.force_login(analyst_user())
    question = Question.objects.get(key="nk-elite-pushback")
    questions.question_resolve(question_id=question.pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
    question.refresh_from_db()
    url = reverse("question-unresolve", args=[question.pk])

    assert client.post(url, {"reason": "", "version": question.version}).status_code == 400
    response = client.post(url, {"reason": "New reports of purges.", "version": question.version}, follow=True)

    assert "Reopened." in response.content.decode()
    assert list(question.resolutions.order_by("id").values_list("outcome", flat=True)) == ["no", "reopened"]


def test_snooze_from_the_question_page(client, seeded):
    client.force_login(analyst_user())
    checks.checks_sweep()
    question = Question.objects.get(key="nk-troop-numbers")
    check = question.checks.get()
    url = reverse("check-snooze", args=[check.pk])

    assert "Choose a date after today" in client.post(url, {"until": "2020-01-01"}).content.decode()
    until = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(url, {"until": until.isoformat()}, follow=True)

    assert "Snoozed until" in response.content.decode()
    check.refresh_from_db()
    assert check.status == "snoozed" and check.snoozed_until.date() == until


def test_leaderboard_sorts_and_filters(client, seeded):
    client.force_login(reader_user())
    for key, outcome in [("nk-troops-cannon-fodder", "yes"), ("nk-elite-pushback", "no"), ("south-korea-lethal-arms-condition", "no")]:
        questions.question_resolve(question_id=Question.objects.get(key=key).pk, outcome=outcome, user=SYSTEM, evidence="Seen in the news.")

    page = client.get(reverse("analyst-list")).content.decode()
    board = page[page.index('id="leaderboard"') : page.index("</table>")]
    # Andrew Yeo: 0.4 on a no → Brier 0.16; Bennett: 0.9 yes, 0.7 no → (0.01 + 0.49) / 2 = 0.25.
    assert board.index("Andrew Yeo") < board.index("Bruce Bennett")
    assert "0.160" in board and "0.250" in board
    worst_first = client.get(reverse("analyst-list"), {"ordering": "-brier"}).content.decode()
    board = worst_first[worst_first.index('id="leaderboard"') :]
    assert board.index("Bruce Bennett") < board.index("Andrew Yeo")
    two = client.get(reverse("analyst-list"), {"min_resolved": 2}).content.decode()
    board = two[two.index('id="leaderboard"') : two.index("</table>")]
    assert "Bruce Bennett" in board and "Andrew Yeo" not in board
    bad = client.get(reverse("analyst-list"), {"min_resolved": "x", "ordering": "drop"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_analyst_page_figures_and_chart_change_when_a_question_is_resolved(client, seeded):
    client.force_login(analyst_user())
    url = reverse("analyst-detail", args=["bruce-bennett"])
    before = client.get(url).content.decode()
    assert 'id="figure-n">0<' in before
    assert "No resolved predictions yet</text>" in before

    questions.question_resolve(question_id=Question.objects.get(key="nk-troops-cannon-fodder").pk, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    after = client.get(url).content.decode()

    assert 'id="figure-n">1<' in after
    assert 'id="figure-brier">0.010<' in after
    assert "n=1</text>" in after
    assert "No resolved predictions yet" not in after


def test_chart_image_at_a_stable_url(client, seeded):
    client.force_login(reader_user())
    for key, outcome in [("nk-troops-cannon-fodder", "yes"), ("nk-elite-pushback", "no"), ("european-troops-debate", "yes")]:
        questions.question_resolve(question_id=Question.objects.get(key=key).pk, outcome=outcome, user=SYSTEM, evidence="Seen in the news.")

    response = client.get(reverse("analyst-chart", args=["bruce-bennett"]))

    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    points = root.findall(f".//{SVG}circle")
    assert len(points) == 2  # bins 70–80% (n=1) and 90–100% (n=2)
    labels = sorted(t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("n="))
    assert labels == ["n=1", "n=2"]
    assert root.find(f".//{SVG}line[@class='diagonal']") is not None
    assert len(root.findall(f".//{SVG}line[@class='interval']")) == 2


def test_chart_empty_state(client, db):
    Analyst.objects.create(name="Newcomer", slug="newcomer")
    client.force_login(reader_user())
    root = ET.fromstring(client.get(reverse("analyst-chart", args=["newcomer"])).content)
    assert root.findall(f".//{SVG}circle") == []
    assert any(t.text == "No resolved predictions yet" for t in root.iter(f"{SVG}text"))


def test_source_page_highlights_every_tracked_quote(client, urls):
    client.force_login(reader_user())
    page = client.get(urls["source"]).content.decode()
    assert page.count("<mark id=\"quote-") == 6
    assert "6 tracked quotes highlighted" in page
    question = Question.objects.get(key="nk-elite-pushback")
    prediction = question.predictions.get()
    assert f'href="/questions/{question.pk}/#prediction-{prediction.pk}"' in page


def test_question_list_filters_and_search(client, seeded):
    client.force_login(reader_user())
    questions.question_resolve(question_id=Question.objects.get(key="nk-elite-pushback").pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
    url = reverse("question-list")

    def rows(**query):
        return client.get(url, query).content.decode().count("<tr>\n      <td><a href=")

    assert rows() == 6
    assert rows(status="resolved") == 1
    assert rows(status="open") == 5
    assert rows(due="overdue") == 5
    assert rows(due="upcoming") == 0
    assert rows(topic="european-security") == 1
    assert rows(q="cannon fodder") == 1
    assert rows(q="Andrew Yeo") == 1
    assert "No question matches" in client.get(url, {"q": "zebra"}).content.decode()
    assert client.get(url, {"status": "maybe", "topic": "nope"}).status_code == 200


def test_login_logout_and_password_change(client, db):
    user = analyst_user(username="ann")
    login = client.post(reverse("login"), {"username": "ann", "password": "pass-word-123"})
    assert login.status_code == 302 and login["Location"] == reverse("dashboard")

    response = client.post(
        reverse("password_change"),
        {"old_password": "pass-word-123", "new_password1": "a-much-longer-secret-42", "new_password2": "a-much-longer-secret-42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-longer-secret-42")

    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_repeated_failed_logins_lock_the_account(client, db, settings):
    analyst_user(username="ann")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "ann", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    locked = client.post(reverse("login"), {"username": "ann", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused while locked.
    assert client.post(reverse("login"), {"username": "ann", "password": "pass-word-123"}).status_code == 429


def test_pages_need_csrf_for_posts(seeded):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst_user())
    question = Question.objects.get(key="nk-elite-pushback")
    response = client.post(reverse("question-resolve", args=[question.pk]), _resolve_body(question))
    assert response.status_code == 403
    assert "That form had expired" in response.content.decode()
    assert not Resolution.objects.exists()


def test_page_query_counts_do_not_grow(client, seeded, django_assert_max_num_queries):
    client.force_login(analyst_user())
    checks.checks_sweep()
    pages = [reverse("dashboard"), reverse("question-list"), reverse("analyst-list"), reverse("analyst-detail", args=["bruce-bennett"])]
    pages.append(reverse("question-detail", args=[Question.objects.get(key="nk-troops-cannon-fodder").pk]))
    pages.append(reverse("source-detail", args=[Source.objects.get().pk]))
    for url in pages:
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


def test_get_on_a_post_only_page_is_405(client, seeded):
    client.force_login(analyst_user())
    question = Question.objects.first()
    assert client.get(reverse("question-resolve", args=[question.pk])).status_code == 405


def test_admin_sees_an_admin_link_and_readers_do_not(client, seeded):
    client.force_login(admin_user())
    assert 'href="/admin/"' in client.get(reverse("dashboard")).content.decode()
    client.force_login(reader_user())
    assert 'href="/admin/"' not in client.get(reverse("dashboard")).content.decode()


