"""Every door against every rule (README: "Guarantees").

Each row of DOORS is one door (the API, the pages, the admin's add and change pages, its inlines, list edits and
imports, the CSV command, the draft review) trying to break one rule as a user who may not. Each must be refused
with a message that says why, and write nothing: no row, no audit-trail row. Later issues add their doors here.
"""

import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from forecasts.db import write_pass
from forecasts.models import (
    Analyst,
    DraftPrediction,
    Prediction,
    ProbabilityPhrase,
    Question,
    Resolution,
    ResolutionCheck,
    Source,
)
from forecasts.services import analysts, phrases, questions
from forecasts.services.rules import SYSTEM, NotAllowed
from tests.conftest import restore_migration_data
from tests.factories import PredictionFactory, QuestionFactory, admin_user, analyst_user, reader_user

pytestmark = pytest.mark.django_db
API = "/api/v1/"

# What the refusal says, per rule: a user reads why.
SAYS = {
    "object rule": "logs their own forecasts",
    "linking": "Only an admin can link",
    "frozen": "judged",
    "evidence": "evidence",
    "reopen": "open already",
    "assignee": "not an active analyst",
    "judged check": "needs no resolution check",
    "revert": "switched off",
}


class World:
    """ann and bob are in-house analysts; bob tries to break the rules on ann's forecasts and on judged ones."""

    def __init__(self):
        self.ann, self.bob = analyst_user(username="ann"), analyst_user(username="bob")
        self.reader, self.admin = reader_user(username="reader"), admin_user(username="root")
        self.ann_analyst = analysts.analyst_create(data={"name": "Ann Lee", "slug": "ann-lee", "user": self.ann}, user=SYSTEM)
        self.expert = analysts.analyst_create(data={"name": "Outside Expert", "slug": "outside-expert"}, user=SYSTEM)
        self.open_q, self.judged_q = QuestionFactory(title="Open?"), QuestionFactory(title="Judged?")
        self.anns = PredictionFactory(analyst=self.ann_analyst, question=self.open_q, probability=0.3)
        self.experts_open = PredictionFactory(analyst=self.expert, question=self.open_q, probability=0.4)
        self.frozen = PredictionFactory(analyst=self.expert, question=self.judged_q, probability=0.7)
        questions.question_resolve(question_id=self.judged_q.pk, outcome="yes", evidence="It happened.", user=SYSTEM)
        self.check = ResolutionCheck.objects.create(question=self.open_q, due_at=timezone.now(), assigned_to=self.bob)
        source = Source.objects.create(title="T", text="Ann Lee said: “It will rain.”")
        self.draft = DraftPrediction.objects.create(
            source=source, speaker="Ann Lee", analyst=self.ann_analyst, quote="It will rain.", quote_start=14,
            probability=0.9, question_title="Will it rain?", resolution_criteria="Rain.", made_at=timezone.now(),
            resolve_by=timezone.now() + dt.timedelta(days=90),
        )

    def api(self, user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    def client(self, user, django_client):
        django_client.force_login(user)
        return django_client


@pytest.fixture
def world(db):
    return World()


def snapshot() -> dict[str, int]:
    """Rows in every table of the app, audit trail included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_app_config("forecasts").get_models()}


class _Fields(HTMLParser):
    """The values a browser would post from a page's forms."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea, self._multiple, self._first = {}, None, None, False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._multiple, self._first = name, "multiple" in a, None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                value = a.get("value", "")
                if self._multiple:
                    self.data.setdefault(self._select, []).append(value)
                else:
                    self.data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            if not self._multiple and self._select not in self.data:
                self.data[self._select] = self._first or ""  # a browser sends the first option
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def page_form(client, url: str) -> dict:
    page = client.get(url)
    assert page.status_code == 200, url
    parser = _Fields()
    parser.feed(page.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def admin_post(client, url: str, changes: dict) -> str:
    """Post an admin page as shown, with these changes; the page that comes back must show the refusal."""
    response = client.post(url, {**page_form(client, url), **changes})
    assert response.status_code in (200, 403), response.status_code
    return response.content.decode()


def inline_index(data: dict, prefix: str, pk: int) -> int:
    return next(int(key.split("-")[1]) for key, value in data.items() if key.startswith(f"{prefix}-") and key.endswith("-id") and value == str(pk))


def csv_text(analyst: str, question: Question) -> str:
    return (
        "analyst,question,question_key,probability,made_at,resolve_by,outcome\n"
        f"{analyst},{question.title},{question.key},0.9,2024-01-01,2030-01-01,{question.outcome}\n"
    )


# --- the doors -------------------------------------------------------------------------------------------------


def api_create(w, client, analyst, question):
    body = {"analyst": analyst.slug, "question": question.pk, "probability": 0.5, "basis": "stated",
            "made_at": "2026-01-01T00:00:00Z"}
    return w.api(w.bob).post(f"{API}predictions/", body, format="json").content.decode()


def admin_add(w, client, analyst, question):
    url = reverse("admin:forecasts_prediction_add")
    c = w.client(w.bob, client)
    return admin_post(c, url, {"analyst": analyst.pk, "question": question.pk, "probability": "0.5", "basis": "stated",
                               "made_at_0": "2026-01-01", "made_at_1": "00:00:00"})


def admin_inline(w, client, prediction, changes):
    c = w.client(w.bob, client)
    url = reverse("admin:forecasts_question_change", args=[prediction.question_id])
    data = page_form(c, url)
    i = inline_index(data, "predictions", prediction.pk)
    response = c.post(url, {**data, **{f"predictions-{i}-{name}": value for name, value in changes.items()}})
    return response.content.decode()


def admin_inline_add(w, client, analyst, question):
    c = w.client(w.bob, client)
    url = reverse("admin:forecasts_question_change", args=[question.pk])
    data = page_form(c, url)
    i = int(data["predictions-TOTAL_FORMS"])
    new = {f"predictions-{i}-{k}": v for k, v in {"analyst": analyst.pk, "probability": "0.5", "basis": "stated",
                                                     "made_at_0": "2026-01-01", "made_at_1": "00:00:00"}.items()}
    data["predictions-TOTAL_FORMS"] = str(i + 1)
    return c.post(url, {**data, **new}).content.decode()


def admin_import(w, client, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = w.client(w.bob, client)
    upload = SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")
    return c.post(reverse("admin:forecasts_prediction_import"), {"file": upload}).content.decode()


def command_import(w, client, text, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(text)
    with pytest.raises(CommandError) as refused:
        call_command("import_forecasts", str(path), "--as", "bob")
    return str(refused.value)


def history_revert(w, client, obj):
    """Django-simple-history's "revert to this version" form: a door past the services, switched off."""
    c = w.client(w.bob, client)
    record = obj.history.earliest()
    url = reverse(f"admin:forecasts_{obj._meta.model_name}_simple_history", args=[obj.pk, record.history_id])
    response = c.post(url, {"probability": "0.01", "outcome": "no", "evidence": "revert"})
    assert response.status_code == 403
    return "switched off" if "Not allowed" in response.content.decode() else response.content.decode()


def draft_accept(w, client, analyst):
    draft = w.draft
    c = w.client(w.bob, client)
    prefix = f"draft-{draft.pk}"
    data = {f"{prefix}-{k}": v for k, v in {"analyst": analyst.pk, "question_title": "Will it rain?",
                                               "resolution_criteria": "Rain.", "resolve_by": "2030-01-01 00:00",
                                               "probability": "0.9", "note": "Said plainly."}.items()}
    return c.post(reverse("draft-accept", args=[draft.pk]), data).content.decode()


DOORS = {
    # object rule: bob writes in-house analyst ann's forecasts
    ("object rule", "API create"): lambda w, c, t: api_create(w, c, w.ann_analyst, w.open_q),
    ("object rule", "API patch"): lambda w, c, t: w.api(w.bob).patch(
        f"{API}predictions/{w.anns.pk}/", {"probability": 0.9}, format="json").content.decode(),
    ("object rule", "API move"): lambda w, c, t: w.api(w.bob).patch(
        f"{API}predictions/{w.experts_open.pk}/", {"analyst": "ann-lee"}, format="json").content.decode(),
    ("object rule", "admin add"): lambda w, c, t: admin_add(w, c, w.ann_analyst, w.open_q),
    ("object rule", "admin inline"): lambda w, c, t: admin_inline(w, c, w.anns, {"probability": "0.9"}),
    ("object rule", "admin inline add"): lambda w, c, t: admin_inline_add(w, c, w.ann_analyst, w.open_q),
    ("object rule", "admin CSV upload"): lambda w, c, t: admin_import(w, c, csv_text("Ann Lee", w.open_q)),
    ("object rule", "CSV command --as"): lambda w, c, t: command_import(w, c, csv_text("ann lee", w.open_q), t),
    ("object rule", "draft accept"): lambda w, c, t: draft_accept(w, c, w.ann_analyst),
    # linking a user to an analyst: admins only
    ("linking", "admin change"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_analyst_change", args=[w.expert.pk]), {"user": w.bob.pk}),
    ("linking", "admin unlink"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_analyst_change", args=[w.ann_analyst.pk]), {"user": ""}),
    ("linking", "admin add"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_analyst_add"),
        {"name": "Bob Again", "slug": "bob-again", "kind": "person", "user": w.bob.pk}),
    # frozen: a judged question's forecasts
    ("frozen", "API patch"): lambda w, c, t: w.api(w.bob).patch(
        f"{API}predictions/{w.frozen.pk}/", {"probability": 0.99}, format="json").content.decode(),
    ("frozen", "API move onto"): lambda w, c, t: w.api(w.bob).patch(
        f"{API}predictions/{w.experts_open.pk}/", {"question": w.judged_q.pk}, format="json").content.decode(),
    ("frozen", "API create on"): lambda w, c, t: api_create(w, c, w.expert, w.judged_q),
    ("frozen", "admin change"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_prediction_change", args=[w.frozen.pk]), {"probability": "0.99"}),
    ("frozen", "admin inline"): lambda w, c, t: admin_inline(w, c, w.frozen, {"probability": "0.99"}),
    ("frozen", "admin inline add"): lambda w, c, t: admin_inline_add(w, c, w.expert, w.judged_q),
    ("frozen", "admin CSV upload"): lambda w, c, t: admin_import(w, c, csv_text("Outside Expert", Question.objects.get(pk=w.judged_q.pk))),
    ("frozen", "CSV command --as"): lambda w, c, t: command_import(w, c, csv_text("outside-expert", Question.objects.get(pk=w.judged_q.pk)), t),
    ("object rule", "admin rename in-house analyst"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_analyst_change", args=[w.ann_analyst.pk]), {"name": "Ann Other"}),
    ("object rule", "admin alias of in-house analyst"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_analystalias_add"), {"analyst": w.ann_analyst.pk, "name": "A. L."}),
    ("revert", "admin history of a judged forecast"): lambda w, c, t: history_revert(w, c, w.frozen),
    ("revert", "admin history of a resolution"): lambda w, c, t: history_revert(
        w, c, Resolution.objects.get(question=w.judged_q)),
    # resolution: evidence on every door; reopening only what is judged
    ("evidence", "API resolve"): lambda w, c, t: w.api(w.bob).post(
        f"{API}questions/{w.open_q.pk}/resolve/", {"outcome": "yes", "evidence": " ", "version": 1}, format="json"
    ).content.decode(),
    ("evidence", "API resolve, invisible characters"): lambda w, c, t: w.api(w.bob).post(
        f"{API}questions/{w.open_q.pk}/resolve/", {"outcome": "yes", "evidence": "\u200b\ufeff\u2060", "version": 1},
        format="json").content.decode(),
    ("evidence", "admin add"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_resolution_add"), {"question": w.open_q.pk, "outcome": "yes"}),
    ("evidence", "page"): lambda w, c, t: w.client(w.bob, c).post(
        reverse("question-resolve", args=[w.open_q.pk]), {"outcome": "yes", "evidence": "", "version": 1}
    ).content.decode(),
    ("reopen", "API unresolve"): lambda w, c, t: w.api(w.bob).post(
        f"{API}questions/{w.open_q.pk}/unresolve/", {"reason": "Again."}, format="json").content.decode(),
    ("reopen", "admin add"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_resolution_add"),
        {"question": w.open_q.pk, "outcome": "reopened", "evidence": "Again."}),
    ("reopen", "page"): lambda w, c, t: w.client(w.bob, c).post(
        reverse("question-unresolve", args=[w.open_q.pk]), {"reason": "Again.", "version": 1}, follow=True
    ).content.decode(),
    # resolution checks: to active analysts only, never on a judged question; owners are analysts
    ("assignee", "API create check"): lambda w, c, t: w.api(w.bob).post(
        f"{API}checks/", {"question": w.open_q.pk, "due_at": "2030-01-01T00:00:00Z", "assigned_to": "reader"},
        format="json").content.decode(),
    ("assignee", "admin reassign check"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_resolutioncheck_change", args=[w.check.pk]),
        {"assigned_to": w.reader.pk}),
    # Admins too: a check goes to an active analyst, and never to a judged question.
    ("assignee", "admin add check"): lambda w, c, t: admin_post(
        w.client(w.admin, c), reverse("admin:forecasts_resolutioncheck_add"),
        {"question": w.open_q.pk, "due_at_0": "2030-01-01", "due_at_1": "00:00:00", "assigned_to": w.reader.pk}),
    ("assignee", "API question owner"): lambda w, c, t: w.api(w.bob).patch(
        f"{API}questions/{w.open_q.pk}/", {"owner": "reader"}, format="json").content.decode(),
    ("assignee", "admin question owner"): lambda w, c, t: admin_post(
        w.client(w.bob, c), reverse("admin:forecasts_question_change", args=[w.open_q.pk]), {"owner": w.reader.pk}),
    ("judged check", "API create check"): lambda w, c, t: w.api(w.bob).post(
        f"{API}checks/", {"question": w.judged_q.pk, "due_at": "2030-01-01T00:00:00Z"}, format="json").content.decode(),
    ("judged check", "admin add check"): lambda w, c, t: admin_post(
        w.client(w.admin, c), reverse("admin:forecasts_resolutioncheck_add"),
        {"question": w.judged_q.pk, "due_at_0": "2030-01-01", "due_at_1": "00:00:00"}),
}


@pytest.mark.parametrize("rule, door", list(DOORS), ids=[f"{rule}: {door}" for rule, door in DOORS])
def test_every_door_refuses_a_user_who_may_not(world, client, tmp_path, rule, door):
    before = snapshot()
    frozen_before = (world.frozen.probability, world.frozen.question_id)

    said = DOORS[rule, door](world, client, tmp_path)

    assert SAYS[rule] in said.replace("&#x27;", "'"), said[:3000]
    assert snapshot() == before
    world.frozen.refresh_from_db()
    assert (world.frozen.probability, world.frozen.question_id) == frozen_before
    assert Analyst.objects.get(pk=world.expert.pk).user_id is None
    assert Analyst.objects.get(pk=world.ann_analyst.pk).user_id == world.ann.pk


def test_the_rules_let_the_right_user_through_the_same_doors(world, client):
    # ann edits her own forecast; an admin links, corrects a judged forecast (recorded) and resolves.
    assert world.api(world.ann).patch(f"{API}predictions/{world.anns.pk}/", {"probability": 0.35}, format="json").status_code == 200
    root = world.client(world.admin, client)
    url = reverse("admin:forecasts_analyst_change", args=[world.expert.pk])
    assert root.post(url, {**page_form(root, url), "user": world.bob.pk}).status_code == 302
    assert Analyst.objects.get(pk=world.expert.pk).user_id == world.bob.pk
    assert Analyst.history.filter(id=world.expert.pk).first().history_change_reason == "linked to user bob"

    url = reverse("admin:forecasts_prediction_change", args=[world.frozen.pk])
    assert root.post(url, {**page_form(root, url), "probability": "0.65"}).status_code == 302
    world.frozen.refresh_from_db()
    assert world.frozen.probability == 0.65
    assert world.frozen.history.first().history_change_reason.startswith("admin correction on a judged question")


def test_the_admin_saves_a_question_with_its_read_only_inlines(world, client):
    root = world.client(world.admin, client)
    url = reverse("admin:forecasts_question_change", args=[world.judged_q.pk])
    assert root.post(url, {**page_form(root, url), "title": "Judged, renamed?"}).status_code == 302
    assert Question.objects.get(pk=world.judged_q.pk).title == "Judged, renamed?"


def test_the_api_refuses_nonsense_intervals_and_past_snoozes(world):
    bob = world.api(world.bob)
    for interval in ("-5 00:00:00", "00:00:00", "999999 00:00:00"):
        response = bob.patch(f"{API}questions/{world.open_q.pk}/", {"check_every": interval}, format="json")
        assert response.status_code == 400 and "check_every" in response.json(), interval
    response = bob.post(f"{API}checks/{world.check.pk}/snooze/", {"until": "1900-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400 and "until" in response.json()


def test_phrase_edits_on_both_admin_doors_leave_judged_forecasts_alone(world, client):
    likely = ProbabilityPhrase.objects.create(phrase="likely-test", probability=0.7, low=0.6, high=0.8, reference="t")
    judged = PredictionFactory(analyst=world.expert, question=QuestionFactory(), basis="phrase", phrase=likely)
    open_one = PredictionFactory(analyst=world.expert, question=world.open_q, basis="phrase", phrase=likely)
    questions.question_resolve(question_id=judged.question_id, outcome="no", evidence="No.", user=SYSTEM)
    root = world.client(world.admin, client)

    url = reverse("admin:forecasts_probabilityphrase_change", args=[likely.pk])
    assert root.post(url, {**page_form(root, url), "probability": "0.75"}).status_code == 302
    judged.refresh_from_db()
    open_one.refresh_from_db()
    assert (judged.probability, open_one.probability) == (0.7, 0.75)
    changelist = reverse("admin:forecasts_probabilityphrase_changelist")
    data = page_form(root, changelist)
    i = inline_index(data, "form", likely.pk)
    root.post(changelist, {**data, f"form-{i}-probability": "0.78", "_save": "Save"})

    judged.refresh_from_db()
    open_one.refresh_from_db()
    assert (judged.probability, open_one.probability) == (0.7, 0.78)
    # An analyst cannot edit the table at all, through the service either.
    with pytest.raises(NotAllowed):
        phrases.phrase_update(phrase_id=likely.pk, data={"probability": 0.1}, user=world.bob)


def test_linking_through_the_service_is_refused_to_analysts(world):
    with pytest.raises(NotAllowed):
        analysts.analyst_link(analyst_id=world.expert.pk, linked_user=world.bob, user=world.bob)


# --- the database's last line -------------------------------------------------------------------------------------


def test_the_database_refuses_to_update_or_delete_a_resolution(world):
    resolution = Resolution.objects.get(question=world.judged_q)
    for statement in ("UPDATE forecasts_resolution SET outcome = 'no' WHERE id = %s",
                      "DELETE FROM forecasts_resolution WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [resolution.pk])
    assert Resolution.objects.filter(pk=resolution.pk, outcome="yes").exists()


def test_the_database_refuses_a_scored_change_on_a_judged_question_without_a_pass(world):
    with pytest.raises(DatabaseError), transaction.atomic():
        Prediction.objects.filter(pk=world.frozen.pk).update(probability=0.01)
    with pytest.raises(DatabaseError), transaction.atomic():
        Prediction.objects.filter(pk=world.experts_open.pk).update(question=world.judged_q)
    # What is not scored may change; and a sanctioned exception passes, only inside its transaction.
    Prediction.objects.filter(pk=world.frozen.pk).update(note="typo fixed")
    with transaction.atomic(), write_pass(reason="test: admin correction"):
        Prediction.objects.filter(pk=world.frozen.pk).update(probability=0.01)
    with pytest.raises(DatabaseError), transaction.atomic():
        Prediction.objects.filter(pk=world.frozen.pk).update(probability=0.02)
    world.frozen.refresh_from_db()
    assert world.frozen.probability == 0.01


def test_the_csv_import_of_a_whole_judged_question_is_the_sanctioned_exception(world):
    from forecasts.services.imports import forecasts_import

    text = "analyst,question,probability,made_at,resolve_by,outcome\nOutside Expert,Brand new?,0.8,2024-01-01,2024-06-01,yes\n"
    forecasts_import(lines=io.StringIO(text), user=world.bob)
    assert Question.objects.get(title="Brand new?").outcome == "yes"


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_ledger_on_every_database():
    # The test suite's own flush (SQLite: DELETE) passes the triggers; nothing else does.
    restore_migration_data()  # an earlier transactional test's flush took the groups
    world = World()
    assert Resolution.objects.filter(question=world.judged_q).exists()
    call_command("flush", "--no-input", verbosity=0)
    assert not Resolution.objects.exists() and not Prediction.objects.exists()
