"""Reading articles for forecasts: the seeded article and two more in other quotation styles, drafts, bad input."""

import datetime as dt

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from forecasts import selectors
from forecasts.services.drafts import IngestError, article_ingest, draft_accept, draft_reject
from forecasts.models import Analyst, DraftPrediction, Prediction, ProbabilityPhrase, Source
from forecasts.services import analysts
from forecasts.services.seeds import SeedReport, phrases_load
from forecasts.text import normalize_text
from forecasts.services.rules import SYSTEM
from tests.conftest import SEEDS_DIR
from tests.factories import admin_user, analyst_user, reader_user

SEED = yaml.safe_load((SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.yaml").read_text(encoding="utf-8"))
RAW = (SEEDS_DIR / SEED["source"]["raw_file"]).read_text(encoding="utf-8")
SEED_QUOTES = [claim["quote"] for claim in SEED["claims"]]
SEED_DRAFTS = 15  # what the reader proposes in the seeded article (bench_reader.py: seed_drafts)


def _draft_of(drafts, claim: dict):
    """The draft that proposes a curated claim: its span overlaps the claim's quote (the reader proposes one
    sentence; a curated quote may run over two, or cut one)."""
    from tests.benchmarks.corpus import overlaps

    return next(d for d in drafts if overlaps(d.quote, claim["quote"]))


@pytest.fixture
def phrases_only(db):
    phrases_load(path=SEEDS_DIR / "phrases.yaml", report=SeedReport())


@pytest.fixture
def seed_analysts(phrases_only):
    for row in SEED["analysts"]:
        fields = {k: row[k] for k in ("slug", "name", "kind", "affiliation", "title")}
        analysts.analyst_create(data=fields, aliases=tuple(row["aliases"]), user=SYSTEM)


def _ingest():
    return article_ingest(
        text=RAW, title=SEED["source"]["title"], publisher="Yonhap News Agency", published_at=SEED["source"]["published_at"], user=SYSTEM
    )


def _accept_seed_claims(report, user):
    """Accept the draft of each curated claim; the predictions by the curated claim's quote."""
    accepted = {}
    for claim in SEED["claims"]:
        draft = _draft_of(report.drafts, claim)
        judged = {"probability": claim["probability"], "note": claim["note"]} if claim["basis"] == "judged" else {}
        accepted[claim["quote"]] = draft_accept(draft_id=draft.pk, user=user, **judged)
    return accepted


def test_ingesting_the_seeded_article_and_accepting_its_six_claims_gives_the_curated_predictions(seed_analysts):
    report = _ingest()
    assert report.created == len(report.drafts) == SEED_DRAFTS
    assert not Prediction.objects.exists()  # drafts are not predictions
    user = analyst_user()

    predictions = _accept_seed_claims(report, user)

    assert set(predictions) == set(SEED_QUOTES)
    for claim in SEED["claims"]:
        prediction = predictions[claim["quote"]]
        assert prediction.analyst.slug == claim["analyst"]  # names and aliases found the seeded analysts
        assert prediction.hedge_phrase in claim["hedge_phrase"]  # "are going to" read as "going to"
        assert prediction.basis == claim["basis"]
        assert (prediction.phrase.phrase if prediction.phrase else None) == claim.get("phrase")
        expected_p = claim.get("probability") or ProbabilityPhrase.objects.get(phrase=claim["phrase"]).probability
        assert prediction.probability == expected_p
        assert prediction.made_at == claim["made_at"]
        assert prediction.source.text == normalize_text(RAW)
    # The deadline from the claim's words: "in the near future" is six months, the rest have none (12 months).
    assert {p.question.resolve_by.date().isoformat() for p in predictions.values()} == {"2025-04-22", "2025-10-22"}
    assert predictions[SEED_QUOTES[0]].question.title == "Will the Russians tend to use them as cannon fodder by 22 October 2025?"
    assert Analyst.objects.count() == len(SEED["analysts"])  # nobody new


def test_from_scratch_the_speakers_are_proposed_as_new_analysts(phrases_only):
    report = _ingest()
    flagged = {d.speaker for d in report.drafts if any(f.startswith("new analyst proposed") for f in d.flag_list)}
    assert {"Bruce Bennet", "Andrew Yeo", "South Korea's National Intelligence Service"} <= flagged

    predictions = _accept_seed_claims(report, analyst_user())

    bennett = predictions[SEED_QUOTES[0]].analyst
    assert (bennett.name, bennett.affiliation) == ("Bruce Bennet", "RAND Corp.")
    assert predictions[SEED_QUOTES[1]].analyst == bennett  # "Bennett noted" and "he said" found the same person
    group = predictions[SEED_QUOTES[2]].analyst
    assert (group.name, group.kind) == ("Analysts cited by Yonhap News Agency", "group")


def test_ingesting_twice_proposes_nothing_new_and_drafts_are_never_scored(seed_analysts):
    first = _ingest()
    again = _ingest()
    assert again.source == first.source and again.created == 0
    assert DraftPrediction.objects.count() == SEED_DRAFTS
    assert list(selectors.leaderboard()) == []


def test_rejecting_and_accepting_twice(seed_analysts):
    report = _ingest()
    user = analyst_user()
    draft_reject(draft_id=report.drafts[0].pk, user=user)
    with pytest.raises(Exception, match="rejected already"):
        draft_accept(draft_id=report.drafts[0].pk, user=user)
    judged_without_a_number = next(d for d in report.drafts if d.phrase is None)
    with pytest.raises(ValueError, match="give a probability"):
        draft_accept(draft_id=judged_without_a_number.pk, user=user)
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   \n ", "empty"), ("x" * 1_000_001, "limit is 1,000,000"), ("a\x00b", "NUL")],
)
def test_bad_articles_are_refused_and_nothing_is_saved(phrases_only, text, message):
    with pytest.raises(IngestError, match=message):
        article_ingest(text=text, user=SYSTEM)
    assert not Source.objects.exists() and not DraftPrediction.objects.exists()


def test_a_quote_with_no_speaker_is_a_flagged_draft(phrases_only):
    report = article_ingest(text='Storm season\n\n"The levees will fail if the river rises another metre."\n', user=SYSTEM)
    (draft,) = report.drafts
    assert draft.speaker == "" and "no speaker found for this quotation" in draft.flag_list
    with pytest.raises(ValueError, match="no speaker"):
        draft_accept(draft_id=draft.pk, user=analyst_user())
    draft_accept(draft_id=draft.pk, user=analyst_user(), new_analyst_name="Unnamed levee engineer")
    assert Prediction.objects.get().analyst.name == "Unnamed levee engineer"


def test_ingest_article_command(phrases_only, tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text(RAW, encoding="utf-8")
    call_command("ingest_article", str(path), "--publisher", "Yonhap News Agency", "--published-at", "2024-10-22")
    assert (f"{SEED_DRAFTS} forward-looking statement(s), {SEED_DRAFTS} waiting for review, 0 tracked ({SEED_DRAFTS} new)"
            in capsys.readouterr().out)
    assert Source.objects.get().published_at.isoformat() == "2024-10-22T00:00:00+00:00"

    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9 owners will close.".encode("latin-1"))
    with pytest.raises(CommandError, match=r"not UTF-8 text \(byte 0xe9 at position 3\)"):
        call_command("ingest_article", str(bad))
    with pytest.raises(CommandError, match="is not a date"):
        call_command("ingest_article", str(path), "--published-at", "yesterday")
    assert Source.objects.count() == 1


API = "/api/v1/"


def test_post_sources_ingests_through_the_api(api, phrases_only):
    client = api("analyst")
    response = client.post(
        f"{API}sources/",
        {"title": "Yonhap", "publisher": "Yonhap News Agency", "published_at": "2024-10-22T00:00:00Z", "text": RAW},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"]["title"] == "Yonhap"
    from tests.benchmarks.corpus import overlaps

    assert all(any(overlaps(d["quote"], quote) for d in body["drafts"]) for quote in SEED_QUOTES)
    nis = next(d for d in body["drafts"] if d["hedge_phrase"] == "decided to")
    assert nis["phrase"] is None and nis["probability"] is None
    assert any("no phrase-table row" in flag for flag in nis["flags"])

    assert client.post(f"{API}sources/", {"text": " "}, format="json").json() == {"text": ["The article is empty: paste or upload its text."]}
    assert client.post(f"{API}sources/", {"text": "x" * 1_000_001}, format="json").status_code == 400
    assert client.post(f"{API}sources/", {"title": "no text"}, format="json").status_code == 400
    assert api("reader").post(f"{API}sources/", {"text": RAW}, format="json").status_code == 403
    assert api().post(f"{API}sources/", {"text": RAW}, format="json").status_code == 401
    assert Source.objects.count() == 1


def test_review_page_accept_with_errors_then_accept_and_reject(client, seed_analysts):
    report = _ingest()
    client.force_login(analyst_user())
    page = client.get(reverse("source-drafts", args=[report.source.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<mark id="quote-') == SEED_DRAFTS  # every draft highlighted in the article beside it
    assert html.count("accept-form") == SEED_DRAFTS

    nis = next(d for d in report.drafts if d.hedge_phrase == "decided to")
    prefix = f"draft-{nis.pk}"
    body = {
        f"{prefix}-analyst": nis.analyst_id,
        f"{prefix}-question_title": "Will North Korea have sent at least 10,000 troops to Russia by 22 October 2025?",
        f"{prefix}-resolution_criteria": "YES if officials estimate so.",
        f"{prefix}-resolve_by": "2025-10-22 00:00",
        f"{prefix}-check_every_days": "90",
        f"{prefix}-probability": "0.9",
        f"{prefix}-note": "",
    }
    refused = client.post(reverse("draft-accept", args=[nis.pk]), body)
    assert refused.status_code == 400
    assert "needs a note" in refused.content.decode()
    assert not Prediction.objects.exists()

    body[f"{prefix}-note"] = "A decision reported as fact by an intelligence service."
    accepted = client.post(reverse("draft-accept", args=[nis.pk]), body)
    assert accepted.status_code == 302
    prediction = Prediction.objects.get()
    assert (prediction.basis, prediction.probability, prediction.analyst.slug) == ("judged", 0.9, "south-korea-nis")
    assert prediction.question.check_every.days == 90

    other = next(d for d in report.drafts if d.pk != nis.pk)
    assert client.post(reverse("draft-reject", args=[other.pk])).status_code == 302
    other.refresh_from_db()
    assert other.status == "rejected"


def test_readers_see_drafts_but_cannot_accept_or_ingest(client, seed_analysts):
    report = _ingest()
    client.force_login(reader_user(is_staff=True))
    page = client.get(reverse("source-drafts", args=[report.source.pk]))
    assert page.status_code == 200 and "accept-form" not in page.content.decode()
    assert client.post(reverse("draft-accept", args=[report.drafts[0].pk]), {}).status_code == 403
    assert client.post(reverse("draft-reject", args=[report.drafts[0].pk])).status_code == 403
    assert client.post(reverse("draft-sources"), {"text": RAW}).status_code == 403
    assert DraftPrediction.objects.filter(status="pending").count() == SEED_DRAFTS


def test_ingest_page_and_admin_page(client, phrases_only):
    client.force_login(analyst_user())
    empty = client.post(reverse("draft-sources"), {"text": ""})
    assert empty.status_code == 400 and "Paste the article" in empty.content.decode()
    response = client.post(reverse("draft-sources"), {"text": RAW, "publisher": "Yonhap News Agency"})
    assert response.status_code == 302
    assert DraftPrediction.objects.count() == SEED_DRAFTS

    from tests.factories import admin_user

    client.force_login(admin_user())
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("a.txt", b"\xff\xfe not text", content_type="text/plain")
    refused = client.post(reverse("admin:forecasts_source_ingest"), {"file": bad})
    assert refused.status_code == 200 and "not UTF-8 text" in refused.content.decode()
    good = SimpleUploadedFile("b.txt", '"Prices will double by winter," Jane Roe said.'.encode(), content_type="text/plain")
    assert client.post(reverse("admin:forecasts_source_ingest"), {"file": good}).status_code == 302
    assert Source.objects.count() == 2


def test_reading_a_seeded_article_again_recognises_its_tracked_claims(seeded):
    report = article_ingest(text=RAW, publisher="Yonhap News Agency", published_at=SEED["source"]["published_at"], user=SYSTEM)

    assert report.source == Source.objects.get()  # the same text is the same document
    tracked = [d for d in report.drafts if d.status == "accepted"]
    assert sorted(d.prediction.quote for d in tracked) == sorted(SEED_QUOTES)
    assert all(d.prediction == _draft_of(tracked, {"quote": d.prediction.quote}).prediction for d in tracked)
    assert all("already tracked" in " ".join(d.flag_list) for d in tracked)
    assert DraftPrediction.objects.filter(status="pending").count() == SEED_DRAFTS - 6
    assert Prediction.objects.count() == 6  # nothing new until someone accepts a pending draft


def test_a_known_text_is_read_once_as_its_source_says(phrases_only, monkeypatch):
    from forecasts.services import drafts as service

    first = article_ingest(text='"Prices will double by winter," Jane Roe said.', publisher="Daily Ledger",
                           published_at=dt.datetime(2024, 10, 22, tzinfo=dt.timezone.utc), user=SYSTEM)
    reads = []
    real = service.read_article
    monkeypatch.setattr(service, "read_article", lambda *a, **k: reads.append(k) or real(*a, **k))
    again = article_ingest(text='"Prices will double by winter," Jane Roe said.', publisher="Other Paper", user=SYSTEM)
    assert again.source == first.source and again.created == 0
    assert [(k["publisher"], k["published"]) for k in reads] == [("Daily Ledger", dt.date(2024, 10, 22))]


def test_the_reviewer_can_map_the_hedge_words_to_another_row(seed_analysts):
    report = _ingest()
    elite = _draft_of(report.drafts, SEED["claims"][1])  # "he's also likely going to have major pushback"
    assert (elite.hedge_phrase, elite.phrase.phrase) == ("likely", "likely")
    probably = ProbabilityPhrase.objects.get(phrase="going to")
    prediction = draft_accept(draft_id=elite.pk, user=analyst_user(), phrase=probably)
    assert (prediction.basis, prediction.phrase, prediction.probability) == ("phrase", probably, probably.probability)
    assert prediction.hedge_phrase == "likely"  # the words as read stay as read


def test_an_article_that_is_not_utf8_json_is_a_400_through_the_api(api, phrases_only):
    response = api("analyst").post(
        f"{API}sources/", data=b'{"text": "caf\xe9 owners will close"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not Source.objects.exists()


def test_a_url_is_one_document(phrases_only):
    known = Source.objects.create(title="From a CSV", url="https://example.org/a")  # no text yet
    report = article_ingest(text='"Prices will double by winter," Jane Roe said.', url="https://example.org/a", user=SYSTEM)
    assert report.source == known
    known.refresh_from_db()
    assert known.text.startswith('"Prices will double') and len(report.drafts) == 1

    with pytest.raises(IngestError, match="has this URL with another text"):
        article_ingest(text='"Rents will fall," Jane Roe said.', url="https://example.org/a", user=SYSTEM)
    assert DraftPrediction.objects.count() == 1


def test_commands_given_a_folder_say_so_in_one_line(db, tmp_path):
    for command in ("ingest_article", "import_forecasts"):
        with pytest.raises(CommandError, match=r"cannot read it \(Is a directory\)"):
            call_command(command, str(tmp_path))


def test_a_file_without_an_end_is_read_only_to_the_limit(db):
    # /dev/zero reports no size and never ends: the command reads one byte past the limit and stops there.
    with pytest.raises(CommandError, match=r"^/dev/zero: The article is more than 1,000,000 bytes, the limit \(1 MB\)\.$"):
        call_command("ingest_article", "/dev/zero")
    assert Source.objects.count() == 0


def test_a_quote_said_twice_is_marked_where_it_was_read(client, phrases_only):
    text = ('Headline\n\n"Prices will rise in the autumn," the clerk said at the market.\n\n'
            '"Prices will rise in the autumn," said Jane Roe, an economist at Delmar Bank.\n')
    report = article_ingest(text=text, user=SYSTEM)
    (draft,) = [d for d in report.drafts if d.speaker == "Jane Roe"]
    assert draft.quote_start > report.source.text.index("Prices will rise")  # the second time it stands
    client.force_login(analyst_user())
    page = client.get(reverse("source-drafts", args=[report.source.pk])).content.decode()
    first, marked = page.index("Prices will rise"), page.index(f'<mark id="quote-{draft.pk}"')
    assert marked > first  # the first "Prices will rise" is left unmarked
    assert page.count(f'<mark id="quote-{draft.pk}"') == 1


def test_the_review_page_reads_analysts_and_phrases_once_however_many_drafts(client, seed_analysts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = article_ingest(text='"Prices will double by winter," Jane Roe said.', user=SYSTEM)
    client.force_login(analyst_user())
    url_one = reverse("source-drafts", args=[one.source.pk])
    client.get(url_one)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url_one).status_code == 200
    many = _ingest()
    with CaptureQueriesContext(connection) as lots:
        assert client.get(reverse("source-drafts", args=[many.source.pk])).content.decode().count("accept-form") == SEED_DRAFTS
    assert len(lots) == len(few)


def test_a_draft_with_a_stated_probability_is_accepted_as_stated_on_the_page(client, phrases_only):
    report = article_ingest(
        text="Poll\n\nThe pollster Ivan Petrov said the ruling party has a 95 per cent chance of keeping its majority.\n",
        published_at=SEED["source"]["published_at"], user=SYSTEM,
    )
    (draft,) = report.drafts
    assert (draft.basis, draft.probability, draft.phrase) == ("stated", 0.95, None)
    assert report.source.text[draft.quote_start : draft.quote_start + len(draft.quote)] == draft.quote
    client.force_login(analyst_user())
    page = client.get(reverse("source-drafts", args=[report.source.pk])).content.decode()
    assert "stated by the speaker: 0.95" in page
    prefix = f"draft-{draft.pk}"
    accepted = client.post(reverse("draft-accept", args=[draft.pk]), {
        f"{prefix}-new_analyst_name": "Ivan Petrov", f"{prefix}-question_title": draft.question_title,
        f"{prefix}-resolution_criteria": draft.resolution_criteria,
        f"{prefix}-resolve_by": draft.resolve_by.strftime("%Y-%m-%d %H:%M"), f"{prefix}-check_every_days": "90",
    })
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    prediction = Prediction.objects.get()
    assert (prediction.basis, prediction.probability, prediction.phrase) == ("stated", 0.95, None)


def test_a_publisher_or_url_that_does_not_fit_is_one_clear_refusal(phrases_only, tmp_path):
    with pytest.raises(IngestError, match="publisher is longer than 200"):
        article_ingest(text='"Prices will double by winter," Jane Roe said.', publisher="p" * 500, user=SYSTEM)
    with pytest.raises(IngestError, match="must be a web address starting with http"):
        article_ingest(text='"Prices will double by winter," Jane Roe said.', url="javascript:alert(1)", user=SYSTEM)
    path = tmp_path / "a.txt"
    path.write_text('"Prices will double by winter," Jane Roe said.', encoding="utf-8")
    with pytest.raises(CommandError, match="publisher is longer than 200"):
        call_command("ingest_article", str(path), "--publisher", "p" * 500)
    assert not Source.objects.exists()


ARTICLE = '"Prices will double by winter," Jane Roe said.'


def test_every_door_refuses_what_the_article_check_refuses(phrases_only, tmp_path, api, client):
    """One home for the article's rules (drafts.article_check): the command, the API and the page refuse alike,
    whatever their own forms check first (an outside tester found the command taking what the API refused)."""
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    for args, message in [
        (["--title", "t" * 5_000], "the title longer than 300"),
        (["--url", "http://"], "The URL must be a web address"),
        (["--url", "http://exa mple.com/ä"], "The URL must be a web address"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("ingest_article", str(path), *args)
    invisible = tmp_path / "zero-width.txt"
    invisible.write_text("\u200b\u200b\ufeff \u2060", encoding="utf-8")
    with pytest.raises(CommandError, match="The article is empty"):
        call_command("ingest_article", str(invisible))
    reader = api("admin")
    refused = reader.post(f"{API}sources/", {"text": "\u200b\u200b"}, format="json")
    assert refused.status_code == 400, refused.content
    client.force_login(admin_user())
    both = client.post(reverse("draft-sources"), {"text": ARTICLE, "file": SimpleUploadedFile("a.txt", ARTICLE.encode())})
    assert "Paste the article or upload it, not both" in both.content.decode()
    assert not Source.objects.exists()


def test_a_url_names_one_document_whatever_the_case_of_its_scheme_and_host(phrases_only):
    first = article_ingest(text=ARTICLE, url="http://example.com/a", user=SYSTEM)
    assert first.source.url == "http://example.com/a"
    with pytest.raises(IngestError, match="has this URL with another text"):
        article_ingest(text='"Rents will fall by spring," Jane Roe said.', url="HTTP://EXAMPLE.com/a", user=SYSTEM)
    again = article_ingest(text=ARTICLE, url="HTTP://Example.COM/a", user=SYSTEM)
    assert again.source == first.source and again.created == 0
    other_path = article_ingest(text='"Rents will fall by spring," Jane Roe said.', url="http://example.com/A", user=SYSTEM)
    assert other_path.source != first.source  # a path's case is its own

