from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from forecasts.models import Analyst, AnalystAlias, Prediction, ProbabilityPhrase, Question, Source, Topic
from forecasts.selectors import analyst_by_name
from forecasts.dates import months_after
from forecasts.services import phrases
from forecasts.services.rules import SYSTEM
from forecasts.text import normalize_text
from tests.conftest import SEEDS_DIR

ARTICLE = SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.yaml"
SHARED_ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch.txt"
MODELS = [Source, Analyst, AnalystAlias, Topic, Question, Prediction, ProbabilityPhrase]


def _curated() -> dict:
    return yaml.safe_load(ARTICLE.read_text(encoding="utf-8"))


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_article_is_kept_as_given_and_its_normalized_copy_is_current():
    raw = (SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.txt").read_text(encoding="utf-8")
    if SHARED_ARTICLE.exists():
        assert raw == SHARED_ARTICLE.read_text(encoding="utf-8")
    normalized = (SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.normalized.txt").read_text(encoding="utf-8")
    assert normalized == normalize_text(raw)
    # The breaks SPEC.md names are mended.
    for mended in ("a really troubling", "Korean Peninsula, Moscow", "lethal weapons to Ukraine", "Russians to buy"):
        assert mended in normalized


def test_every_seeded_quote_occurs_verbatim_in_the_normalized_text(seeded):
    source = Source.objects.get()
    predictions = Prediction.objects.filter(source=source)
    assert predictions.count() >= 6
    for prediction in predictions:
        assert prediction.quote
        assert prediction.quote in source.text, prediction.quote


@pytest.mark.parametrize(
    "key, analyst_slug, words, hedge, probability",
    [
        ("nk-troops-cannon-fodder", "bruce-bennett", "The Russians are going to tend to use them as cannon fodder", "are going to", 0.9),
        ("nk-troops-cannon-fodder", "bruce-bennett", "They're going to put them at the front.", "are going to", 0.9),
        ("nk-elite-pushback", "bruce-bennett", "he's also likely going to have major pushback from his elites.", "likely going to", 0.7),
        (
            "nk-russian-military-technology",
            "analysts-cited-by-yonhap",
            "the North could get military technology aid from Russia to advance its nuclear and missile programs",
            "could",
            0.4,
        ),
        ("european-troops-debate", "bruce-bennett", "That subject is going to come up big time in the near future", "is going to", 0.9),
        ("nk-troop-numbers", "south-korea-nis", "decided to send around 12,000 troops", "has decided to", 0.9),
        (
            "south-korea-lethal-arms-condition",
            "andrew-yeo",
            "South Korea may want to know if additional countries would also provide lethal weapons",
            "may",
            0.4,
        ),
    ],
)
def test_spec_claims_are_present_and_attributed(seeded, key, analyst_slug, words, hedge, probability):
    prediction = Prediction.objects.select_related("analyst", "question").get(question__key=key)

    assert prediction.analyst.slug == analyst_slug
    assert words in prediction.quote
    assert prediction.hedge_phrase == hedge
    assert prediction.probability == pytest.approx(probability)
    assert prediction.question.resolution_criteria.startswith("YES if")
    assert prediction.question.topics.exists()


def test_the_nis_claim_is_a_judged_reading_with_a_note(seeded):
    prediction = Prediction.objects.get(question__key="nk-troop-numbers")
    assert prediction.basis == Prediction.Basis.JUDGED
    assert prediction.phrase is None
    assert "very likely" in prediction.note


def test_alias_bruce_bennet_resolves_to_bruce_bennett(seeded):
    bennett = Analyst.objects.get(slug="bruce-bennett")
    assert bennett.name == "Bruce Bennett"
    assert analyst_by_name(name="Bruce Bennet") == bennett
    assert analyst_by_name(name="bruce bennett") == bennett
    assert analyst_by_name(name="Bruce Bennetts") is None
    assert analyst_by_name(name="NIS").slug == "south-korea-nis"


def test_deadlines_follow_the_rule(seeded):
    claims = {claim["key"]: claim for claim in _curated()["claims"]}
    for question in Question.objects.all():
        made_at = claims[question.key]["made_at"]
        months = 6 if "near future" in claims[question.key]["quote"] else 12
        assert question.resolve_by == months_after(made_at, months), question.key
        assert question.check_every.days == 90


def test_statements_left_out_are_listed_with_reasons():
    curated = _curated()
    text = (SEEDS_DIR / curated["source"]["normalized_file"]).read_text(encoding="utf-8")
    left_out = curated["left_out"]

    assert len(left_out) >= 10
    for entry in left_out:
        assert entry["words"] in text
        assert len(entry["reason"]) > 10
    assert any("Kim Jong-un thinks Putin will win" in entry["words"] for entry in left_out)
    assert any(entry["reason"] == "A recommendation." for entry in left_out)


def test_load_seeds_twice_gives_the_same_row_counts(db, capsys):
    call_command("load_seeds")
    first = _counts()
    call_command("load_seeds")

    assert _counts() == first
    assert first["Prediction"] == 6 and first["Question"] == 6 and first["Source"] == 1
    assert first["ProbabilityPhrase"] == 14
    assert capsys.readouterr().out.strip().endswith("nothing new.")


def test_load_seeds_keeps_an_edited_phrase(seeded):
    ProbabilityPhrase.objects.filter(phrase="could").update(probability=0.35)
    call_command("load_seeds")
    assert ProbabilityPhrase.objects.get(phrase="could").probability == 0.35


def test_editing_a_phrase_rederives_its_predictions(seeded):
    likely = ProbabilityPhrase.objects.get(phrase="likely")
    elite = Prediction.objects.get(question__key="nk-elite-pushback")
    judged = Prediction.objects.get(question__key="nk-troop-numbers")
    assert elite.probability == 0.7

    phrases.phrase_update(phrase_id=likely.pk, data={"probability": 0.75}, user=SYSTEM)

    elite.refresh_from_db()
    judged.refresh_from_db()
    assert elite.probability == 0.75
    assert judged.probability == 0.9  # not phrase-based: untouched


def test_every_default_phrase_cites_a_source(seeded):
    for phrase in ProbabilityPhrase.objects.all():
        assert phrase.low <= phrase.probability <= phrase.high
        assert "ICD 203" in phrase.reference or "SPEC" in phrase.reference
    expected = {"almost certainly": 0.95, "very likely": 0.9, "will": 0.9, "likely": 0.7, "could": 0.4, "unlikely": 0.2}
    for phrase, probability in expected.items():
        assert ProbabilityPhrase.objects.get(phrase=phrase).probability == probability


def test_load_seeds_with_a_wrong_folder_says_so_in_one_line(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="has no phrases.yaml"):
        call_command("load_seeds", dir=str(tmp_path))
    assert Prediction.objects.count() == 0


def test_load_seeds_refuses_a_quote_not_in_the_text_and_saves_nothing(db, tmp_path):
    from django.core.management.base import CommandError

    for path in SEEDS_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    curated = _curated()
    curated["claims"][-1]["quote"] = "words nobody said"
    (tmp_path / ARTICLE.name).write_text(yaml.safe_dump(curated), encoding="utf-8")

    with pytest.raises(CommandError, match="south-korea-lethal-arms-condition: the quote is not in the normalized text"):
        call_command("load_seeds", dir=str(tmp_path))
    assert Prediction.objects.count() == 0 and ProbabilityPhrase.objects.count() == 0
