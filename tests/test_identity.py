"""One person, one analyst: the name key on every door, and merging analysts (README: "CSV import and export")."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from forecasts import selectors
from forecasts.models import Analyst, AnalystAlias, AnalystName, DraftPrediction, Prediction, Question, Source, name_key
from forecasts.services import analysts, questions, rules
from forecasts.services.imports import forecasts_import
from forecasts.services.rules import SYSTEM
from tests.factories import AnalystFactory, PredictionFactory, QuestionFactory, admin_user, analyst_user
from tests.test_scores import assert_stored_scores_are_current

pytestmark = pytest.mark.django_db

SPELLINGS_CSV = (
    "analyst,question,probability,made_at,resolve_by,outcome\n"
    "Ann Lee,Will it rain?,0.9,2024-01-01,2024-06-01,yes\n"
    "ANN LEE,Will it snow?,0.2,2024-01-02,2024-06-01,no\n"
    "ann  lee,Will it hail?,0.4,2024-01-03,2024-06-01,\n"
)


def test_name_keys_fold_case_width_and_spacing():
    assert name_key("  ANN\u3000Lee ") == name_key("ａｎｎ lee") == name_key("Ann Lee") == "ann lee"
    assert name_key("Straße") == name_key("STRASSE")


def test_one_csv_with_several_spellings_makes_one_analyst_and_reimporting_adds_nothing():
    first = forecasts_import(lines=io.StringIO(SPELLINGS_CSV), user=SYSTEM)
    again = forecasts_import(lines=io.StringIO(SPELLINGS_CSV), user=SYSTEM)

    assert Analyst.objects.count() == 1
    ann = Analyst.objects.get()
    assert ann.name == "Ann Lee"  # the first spelling in the file
    assert ann.predictions.count() == 3
    assert first.created["analysts"] == 1 and first.created["predictions"] == 3
    assert again.created["analysts"] == 0 and again.created["predictions"] == 0
    # An existing analyst is found by any spelling, by an alias's spelling, and by the slug an export writes.
    analysts.alias_create(analyst=ann, name="A. Lee", user=SYSTEM)
    text = "analyst,question,probability,made_at,resolve_by,outcome\na. LEE,Will it fog?,0.5,2024-01-01,2024-06-01,\n"
    text += f"{ann.slug},Will it fog?,0.6,2024-01-01,2024-06-01,\n"
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    assert Analyst.objects.count() == 1 and ann.predictions.count() == 5


def test_every_door_refuses_a_second_analyst_for_the_same_person(client):
    AnalystFactory(name="Ann Lee", slug="ann-lee")
    with pytest.raises(ValidationError, match="already names Ann Lee"):
        analysts.analyst_create(data={"name": "ANN  LEE"}, user=SYSTEM)
    bob = AnalystFactory(name="Bob Roe")
    with pytest.raises(ValidationError, match="already names Ann Lee"):
        analysts.alias_create(analyst=bob, name="ann lee", user=SYSTEM)
    with pytest.raises(ValidationError, match="already names Ann Lee"):
        analysts.analyst_update(analyst_id=bob.pk, data={"name": "Ann Lee"}, user=SYSTEM)

    client.force_login(admin_user())
    response = client.post(reverse("admin:forecasts_analyst_add"), {
        "name": "ann lee", "slug": "ann-lee-2", "kind": "person",
        "aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200 and "already names Ann Lee" in response.content.decode()
    response = client.post(reverse("admin:forecasts_analystalias_add"), {"analyst": bob.pk, "name": "ANN LEE"})
    assert response.status_code == 200 and "already names Ann Lee" in response.content.decode()
    assert Analyst.objects.count() == 2 and not AnalystAlias.objects.exists()


def test_the_reader_and_the_draft_review_match_speakers_by_key():
    ann = AnalystFactory(name="Ann Lee", slug="ann-lee")
    assert selectors.analyst_by_name(name="ANN   LEE") == ann
    source = Source.objects.create(title="T", text="“It will rain,” ANN LEE said.")
    draft = DraftPrediction.objects.create(
        source=source, speaker="ANN LEE", quote="It will rain,", quote_start=1, probability=0.9,
        question_title="Will it rain?", resolution_criteria="Rain.", made_at=source.created_at,
        resolve_by=source.created_at,
    )
    from forecasts.services.drafts import draft_accept

    prediction = draft_accept(draft_id=draft.pk, user=SYSTEM, probability=0.9, note="Said plainly.")
    assert prediction.analyst == ann and Analyst.objects.count() == 1


@pytest.fixture
def twins():
    """Ann Lee twice: once from a CSV spelled "Lee, Ann", once typed in; forecasts on judged and open questions."""
    ann, other = AnalystFactory(name="Ann Lee", slug="ann-lee"), AnalystFactory(name="Lee, Ann", slug="lee-ann")
    analysts.alias_create(analyst=other, name="A. Lee", user=SYSTEM)
    judged, open_q = QuestionFactory(), QuestionFactory()
    PredictionFactory(analyst=ann, question=judged, probability=0.8)
    moved = PredictionFactory(analyst=other, question=judged, probability=0.3)
    PredictionFactory(analyst=other, question=open_q, probability=0.6)
    questions.question_resolve(question_id=judged.pk, outcome="yes", evidence="It did.", user=SYSTEM)
    source = Source.objects.create(title="T", text="x")
    DraftPrediction.objects.create(
        source=source, analyst=other, speaker="Lee, Ann", quote="x", quote_start=0, question_title="Q",
        resolution_criteria="c", made_at=source.created_at, resolve_by=source.created_at,
    )
    return ann, other, moved


def test_merging_moves_everything_and_keeps_the_record(twins, client):
    ann, other, moved = twins
    admin = admin_user()
    analysts.analyst_merge(survivor_id=ann.pk, merged_id=other.pk, user=admin)

    assert not Analyst.objects.filter(pk=other.pk).exists()
    assert ann.predictions.count() == 3 and DraftPrediction.objects.get().analyst == ann
    assert set(ann.aliases.values_list("name", flat=True)) == {"A. Lee", "Lee, Ann"}
    assert selectors.analyst_by_name(name="lee, ann") == ann and selectors.analyst_by_name(name="a. lee") == ann
    assert_stored_scores_are_current()
    assert selectors.leaderboard().get(analyst_slug="ann-lee")["n_resolved"] == 2
    # The audit trail: the moved forecast and the merged analyst say why, and who.
    record = moved.history.first()
    assert record.analyst_id == ann.pk and record.history_user == admin
    assert record.history_change_reason.startswith("merged Lee, Ann")
    gone = Analyst.history.filter(id=other.pk).first()
    assert gone.history_type == "-" and gone.history_change_reason.startswith("merged Lee, Ann")
    # The old slug redirects, on the pages and in the API.
    client.force_login(analyst_user())
    page = client.get(reverse("analyst-detail", args=["lee-ann"]))
    assert page.status_code == 301 and page["Location"] == reverse("analyst-detail", args=["ann-lee"])
    api = APIClient()
    api.force_authenticate(analyst_user())
    moved_api = api.get("/api/v1/analysts/lee-ann/calibration/?bins=5")
    assert moved_api.status_code == 301 and moved_api["Location"] == "/api/v1/analysts/ann-lee/calibration/?bins=5"
    assert api.get("/api/v1/analysts/nobody/").status_code == 404


def test_merging_is_refused_when_it_would_lose_a_person_or_a_forecast(twins):
    ann, other, _ = twins
    with pytest.raises(rules.NotAllowed):
        analysts.analyst_merge(survivor_id=ann.pk, merged_id=other.pk, user=analyst_user())
    analysts.analyst_link(analyst_id=ann.pk, linked_user=analyst_user(username="ann"), user=SYSTEM)
    analysts.analyst_link(analyst_id=other.pk, linked_user=analyst_user(username="lee"), user=SYSTEM)
    with pytest.raises(rules.Conflict, match="both linked to users"):
        analysts.analyst_merge(survivor_id=ann.pk, merged_id=other.pk, user=SYSTEM)
    analysts.analyst_link(analyst_id=other.pk, linked_user=None, user=SYSTEM)
    twin = Prediction.objects.filter(analyst=other).first()
    PredictionFactory(analyst=ann, question=twin.question, probability=twin.probability, made_at=twin.made_at)
    with pytest.raises(rules.Conflict, match="twice"):
        analysts.analyst_merge(survivor_id=ann.pk, merged_id=other.pk, user=SYSTEM)
    assert Analyst.objects.filter(pk=other.pk).exists()


def test_the_admin_action_merges_into_the_chosen_survivor(twins, client):
    ann, other, _ = twins
    client.force_login(admin_user())
    url = reverse("admin:forecasts_analyst_changelist")
    chooser = client.post(url, {"action": "merge_analysts", "_selected_action": [ann.pk, other.pk]})
    assert chooser.status_code == 200 and b'name="survivor"' in chooser.content
    done = client.post(url, {"action": "merge_analysts", "_selected_action": [ann.pk, other.pk], "survivor": other.pk})
    assert done.status_code == 302
    assert list(Analyst.objects.values_list("slug", flat=True)) == ["lee-ann"]


def test_the_migration_reports_colliding_names_instead_of_failing(capsys):
    AnalystName.objects.all().delete()
    Analyst.objects.create(name="Ann Lee", slug="ann-lee")
    Analyst.objects.create(name="ANN LEE", slug="ann-lee-2")
    migration = importlib.import_module("forecasts.migrations.0010_analyst_identity")

    migration.build_keys(apps, None)

    assert "'ann lee': Ann Lee" in capsys.readouterr().out
    assert AnalystName.objects.get(key="ann lee").analyst.slug == "ann-lee"


def test_re_importing_an_export_adds_nothing():
    forecasts_import(lines=io.StringIO(SPELLINGS_CSV), user=SYSTEM)
    from forecasts.exports import predictions_export

    exported = "".join(predictions_export(predictions=Prediction.objects.all()))
    report = forecasts_import(lines=io.StringIO(exported), user=SYSTEM)
    assert report.created["predictions"] == 0 and report.created["analysts"] == 0
    assert Question.objects.count() == 3
