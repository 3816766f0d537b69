import csv
import hashlib
import io
import math
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forecasts.exports import predictions_export
from forecasts.services.imports import ImportRejected, forecasts_import
from forecasts.models import Analyst, Import, Prediction, Question, Resolution, Source
from forecasts.services.rules import SYSTEM
from tests.factories import admin_user, analyst_user

pytestmark = pytest.mark.django_db
HEADER = "analyst,question,probability,made_at,resolve_by,outcome,question_key,quote,source_url,hedge_phrase\n"
GOOD = HEADER + (
    "Bruce Bennet,Will NK troops fight in Kursk?,0.9,2024-10-22,2025-10-22,yes,kursk,,https://example.org/a,going to\n"
    "Jane Analyst,Will NK troops fight in Kursk?,0.3,2024-10-23T10:00:00Z,2025-10-22,yes,kursk,,,\n"
    "Jane Analyst,Will the war end in 2025?,0.2,2024-10-23,2025-12-31,no,,,,\n"
    "Jane Analyst,Will Kim visit Moscow?,0.6,2024-11-01,2025-11-01,,,,,\n"
)


def _counts():
    return {m.__name__: m.objects.count() for m in (Analyst, Question, Prediction, Resolution, Source)}


def _write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_creates_questions_predictions_and_outcomes(seeded, tmp_path, capsys):
    before = _counts()
    call_command("import_forecasts", _write(tmp_path, GOOD))

    out = capsys.readouterr().out
    assert "4 rows read; created 1 analysts, 1 sources, 3 questions, 4 predictions, 2 resolutions" in out
    after = _counts()
    assert after["Prediction"] - before["Prediction"] == 4
    kursk = Question.objects.get(key="kursk")
    assert kursk.outcome == "yes" and kursk.version == 2
    assert kursk.predictions.count() == 2
    # The alias of a seeded analyst finds him rather than making a new one.
    assert kursk.predictions.get(probability=0.9).analyst.slug == "bruce-bennett"
    assert Question.objects.get(title="Will Kim visit Moscow?").status == "open"
    assert Question.objects.get(title="Will the war end in 2025?").outcome == "no"


def test_reimporting_the_same_file_adds_nothing(db, tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    call_command("import_forecasts", path)
    first = _counts()
    call_command("import_forecasts", path)

    assert _counts() == first
    assert capsys.readouterr().out.strip().endswith("nothing new.")


@pytest.mark.parametrize(
    "row, message",
    [
        ("A,Q?,1.5,2024-01-01,2025-01-01,,,,,", "line 3: probability '1.5' is not between 0 and 1"),
        ("A,Q?,abc,2024-01-01,2025-01-01,,,,,", "line 3: probability 'abc' is not a number"),
        ("A,Q?,0.5,22/10/2024,2025-01-01,,,,,", "line 3: made_at '22/10/2024' is not a date"),
        ("A,Q?,0.5,2024-01-01,soon,,,,,", "line 3: resolve_by 'soon' is not a date"),
        ("A,Q?,0.5,2024-01-01,2025-01-01,maybe,,,,", "line 3: outcome 'maybe' is not one of"),
        (",Q?,0.5,2024-01-01,2025-01-01,,,,,", "line 3: analyst is empty"),
        ("A,Q?,0.5,2024-01-01,2025-01-01,,,,ftp:/x,", "line 3: source_url 'ftp:/x' is not a URL"),
        ("A,Q?,0.5,2024-01-01,2025-01-01,,,,,,extra", "line 3: more fields than columns"),
    ],
)
def test_a_bad_row_rejects_the_file_with_its_line_and_reason(db, tmp_path, row, message):
    text = HEADER + "Good Analyst,Fine question?,0.5,2024-01-01,2025-01-01,,,,,\n" + row + "\n"

    with pytest.raises(CommandError) as excinfo:
        call_command("import_forecasts", _write(tmp_path, text))

    assert message in str(excinfo.value)
    assert "nothing imported" in str(excinfo.value)
    assert _counts() == {"Analyst": 0, "Question": 0, "Prediction": 0, "Resolution": 0, "Source": 0}


def test_rows_of_one_question_that_disagree_on_the_outcome_are_an_error(db):
    text = HEADER + "A,Q?,0.5,2024-01-01,2025-01-01,yes,k,,,\nB,Q?,0.4,2024-01-01,2025-01-01,no,k,,,\n"
    with pytest.raises(ImportRejected) as excinfo:
        forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    assert excinfo.value.errors == ["line 3: outcome 'no' disagrees with line 2 ('yes') for the same question"]
    assert not Question.objects.exists()


def test_a_source_url_names_one_document_whatever_the_case_of_its_scheme_and_host(db):
    # The same rule as an article's ingest (text.canonical_url): the import finds the source an ingest made.
    Source.objects.create(title="Known", url="http://example.com/a", text="x")
    text = HEADER + "A,Q?,0.5,2024-01-01,2025-01-01,,,,HTTP://EXAMPLE.com/a,\nB,Q?,0.4,2024-01-01,2025-01-01,,,,HTTPS://Example.org/B,\n"
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    assert sorted(Source.objects.values_list("url", flat=True)) == ["http://example.com/a", "https://example.org/B"]
    assert Prediction.objects.get(analyst__name="A").source.title == "Known"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("analyst,question,probability\n", "line 1: missing column(s) made_at, resolve_by, outcome"),
        (HEADER.strip() + ",colour\n", "line 1: unknown column(s) colour"),
    ],
)
def test_bad_headers_are_reported(db, text, message):
    with pytest.raises(ImportRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        forecasts_import(lines=io.StringIO(text), user=SYSTEM)


def test_command_errors_are_one_plain_line(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_forecasts", str(tmp_path / "missing.csv"))
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "Jos\xe9,Q?,0.5,2024-01-01,2025-01-01,,,,,\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_forecasts", str(path))


def test_export_reimports_as_nothing_new(seeded, tmp_path):
    forecasts_import(lines=io.StringIO(GOOD), user=SYSTEM)
    exported = "".join(predictions_export(predictions=Prediction.objects.all()))
    before = _counts()

    report = forecasts_import(lines=io.StringIO(exported), user=SYSTEM)

    assert report.rows == Prediction.objects.count() == 10
    assert _counts() == before
    assert str(report).endswith("nothing new")


def test_imported_numbers_equal_an_independent_computation(api, db):
    """Scores of imported data against SPEC.md's formulas written out here, not scoring.py."""
    rng = random.Random(3)
    rows = []
    for i in range(300):
        analyst = f"Expert {i % 4}"
        p = round(rng.random(), 3)
        outcome = rng.choice(["yes", "no", "no", "ambiguous", ""])
        rows.append([analyst, f"Question {i}?", p, "2024-01-01", "2025-01-01", outcome])
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["analyst", "question", "probability", "made_at", "resolve_by", "outcome"], *rows])
    forecasts_import(lines=io.StringIO(buffer.getvalue()), user=SYSTEM)
    client = api("reader")

    for expert in range(4):
        scored = [(r[2], 1 if r[5] == "yes" else 0) for r in rows if r[0] == f"Expert {expert}" and r[5] in ("yes", "no")]
        n = len(scored)
        brier = sum((p - o) ** 2 for p, o in scored) / n
        log_loss = -sum(math.log(min(max(p, 0.001), 0.999) if o else 1 - min(max(p, 0.001), 0.999)) for p, o in scored) / n
        rate = sum(o for _, o in scored) / n
        body = client.get(f"/api/v1/analysts/expert-{expert}/calibration/").json()
        assert body["n_resolved"] == n
        assert body["brier"] == pytest.approx(brier, abs=1e-12)
        assert body["log_loss"] == pytest.approx(log_loss, abs=1e-12)
        assert body["brier_skill"] == pytest.approx(1 - brier / (rate * (1 - rate)), abs=1e-12)


def test_import_query_count_does_not_grow_with_rows(db):
    def file(n, offset):
        lines = [HEADER.strip()]
        lines += [f"Expert {offset + i % 7},Q {offset + i}?,0.{i % 9 + 1},2024-01-01,2025-01-01,{'yes' if i % 2 else 'no'},,,," for i in range(n)]
        return io.StringIO("\n".join(lines) + "\n")

    with CaptureQueriesContext(connection) as small:
        forecasts_import(lines=file(50, 0), user=SYSTEM)
    with CaptureQueriesContext(connection) as large:
        forecasts_import(lines=file(1500, 10_000), user=SYSTEM)
    assert Prediction.objects.count() == 1550

    def reads_and_updates(queries):
        return [q["sql"].split()[0] for q in queries.captured_queries if not q["sql"].startswith("INSERT")]

    # Lookups and updates are the same few whatever the size; inserts (rows and their audit trail) are bulk,
    # in batches (Django caps a SQLite statement at 999 parameters: some 80 rows a batch).
    assert len(reads_and_updates(large)) == len(reads_and_updates(small))
    assert len(large) < 1500 / 5


def test_an_import_is_recorded_once_and_is_the_audit_record_of_its_forecasts(tmp_path):
    importer = analyst_user(username="importer")
    call_command("import_forecasts", _write(tmp_path, GOOD, name="kursk.csv"), "--as", "importer")

    record = Import.objects.get()
    assert (record.imported_by, record.file_name, record.rows, record.text) == (importer, "kursk.csv", 4, GOOD)
    assert record.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert set(Prediction.objects.values_list("csv_import", flat=True)) == {record.pk}
    # One record for the file instead of a history row per forecast; questions and judgements keep theirs.
    assert not Prediction.history.exists()
    assert set(Question.history.values_list("history_change_reason", flat=True)) == {f"CSV import #{record.pk}"}

    call_command("import_forecasts", _write(tmp_path, GOOD, name="kursk.csv"), "--as", "importer")
    assert Import.objects.count() == 1  # nothing new, nothing to record


def test_import_records_refuse_update_and_delete_in_the_database(db):
    forecasts_import(lines=io.StringIO(GOOD), user=SYSTEM, file_name="f.csv")
    record = Import.objects.get()
    for statement in ("UPDATE forecasts_import SET file_name = 'other.csv' WHERE id = %s",
                      "DELETE FROM forecasts_import WHERE id = %s"):
        with pytest.raises(DatabaseError, match="audit record of an import"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [record.pk])
    assert Import.objects.get().file_name == "f.csv"


def test_the_history_page_of_an_imported_forecast_shows_its_import(client, db):
    admin = admin_user(username="boss")
    forecasts_import(lines=io.StringIO(GOOD), user=admin, file_name="kursk.csv")
    record, forecast = Import.objects.get(), Prediction.objects.get(probability=0.3)
    client.force_login(admin)

    page = client.get(reverse("admin:forecasts_prediction_history", args=[forecast.pk])).content.decode()
    assert f"Created by CSV import #{record.pk} of" in page
    assert "kursk.csv" in page and record.sha256 in page and "by boss on" in page
    assert reverse("admin:forecasts_import_change", args=[record.pk]) in page

    assert client.get(reverse("admin:forecasts_import_change", args=[record.pk])).status_code == 200
    download = client.get(reverse("admin:forecasts_import_file", args=[record.pk]))
    assert download.content.decode() == GOOD
    assert download["Content-Disposition"] == 'attachment; filename="kursk.csv"'


def test_admin_upload_page(client, seeded):
    client.force_login(admin_user())
    url = reverse("admin:forecasts_prediction_import")
    assert client.get(url).status_code == 200
    assert 'href="/admin/forecasts/prediction/import/"' in client.get(reverse("admin:forecasts_prediction_changelist")).content.decode()

    bad = SimpleUploadedFile("bad.csv", (HEADER + "A,Q?,1.5,2024-01-01,2025-01-01,,,,,\n").encode())
    page = client.post(url, {"file": bad})
    assert page.status_code == 200
    assert "line 2: probability &#x27;1.5&#x27; is not between 0 and 1" in page.content.decode()
    assert Prediction.objects.count() == 6

    good = SimpleUploadedFile("good.csv", GOOD.encode())
    response = client.post(url, {"file": good}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:forecasts_prediction_changelist")
    assert "Imported good.csv: 4 rows read" in response.content.decode()
    assert Prediction.objects.count() == 10


def test_admin_upload_is_refused_to_readers(client, seeded):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, groups=["api-readers"]))
    assert client.get(reverse("admin:forecasts_prediction_import")).status_code == 403


# --- faithful intake: every bad value is a line error; formulas are neutralised ----------------------------------

FINE_ROW = "Good Analyst,Fine question?,0.5,2024-01-01,2025-01-01,,,,,\n"
EMPTY = {"Analyst": 0, "Question": 0, "Prediction": 0, "Resolution": 0, "Source": 0}


def _csv_row(*cells) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _row(analyst="A", question="Q?", made_at="2024-01-01", resolve_by="2025-01-01", quote="", source_url="", hedge="") -> str:
    return _csv_row(analyst, question, "0.5", made_at, resolve_by, "", "", quote, source_url, hedge)


BAD_VALUES = [
    (_row(made_at="2024-02-30"), "line 3: made_at '2024-02-30' is not a date (day is out of range for month)"),
    (_row(resolve_by="2025-13-01T00:00:00Z"), "line 3: resolve_by '2025-13-01T00:00:00Z' is not a date (month must be in 1..12)"),
    (_row(quote="before\x00after"), "line 3: quote contains a NUL character"),
    (_row(quote="x" * 131_073), "line 3: a field is longer than 131,072 characters; the file was not read further"),
    (_row(analyst="A" * 500), "line 3: analyst is 500 characters; at most 200"),
    (_row(question="Q" * 301 + "?"), "line 3: question is 302 characters; at most 300"),
    (_row(hedge="h" * 101), "line 3: hedge_phrase is 101 characters; at most 100"),
    (_row(source_url="https://example.org/" + "a" * 481), "line 3: source_url is 501 characters; at most 500"),
    (_row(made_at="9999-12-31T23:59:59-05:00"), "line 3: made_at '9999-12-31T23:59:59-05:00' is outside 1900–2200 (years, in UTC)"),
    (_row(made_at="0001-01-01T00:00:00+01:00"), "line 3: made_at '0001-01-01T00:00:00+01:00' is outside 1900–2200 (years, in UTC)"),
    (_row(made_at="1899-12-31"), "line 3: made_at '1899-12-31' is outside 1900–2200 (years, in UTC)"),
    (_row(resolve_by="2200-12-31T23:00:00-05:00"), "line 3: resolve_by '2200-12-31T23:00:00-05:00' is outside 1900–2200 (years, in UTC)"),
]


@pytest.mark.parametrize("row, message", BAD_VALUES, ids=[message[8:40] for _, message in BAD_VALUES])
def test_every_bad_value_is_its_line_and_reason_and_nothing_is_saved(db, row, message):
    with pytest.raises(ImportRejected) as excinfo:
        forecasts_import(lines=io.StringIO(HEADER + FINE_ROW + row + FINE_ROW.replace("Fine", "Other")), user=SYSTEM)

    assert excinfo.value.errors == [message]
    assert _counts() == EMPTY


def test_values_at_their_limits_are_kept_whole(db):
    """At the limit is fine, and nothing is cut: the name, question and hedge words are stored as given."""
    row = _row(analyst="A" * 200, question="Q" * 299 + "?", made_at="1900-01-01", resolve_by="2200-12-31T23:59:59Z",
               hedge="h" * 100, source_url="https://example.org/" + "a" * 480)
    forecasts_import(lines=io.StringIO(HEADER + row), user=SYSTEM)

    prediction = Prediction.objects.select_related("analyst", "question", "source").get()
    assert len(prediction.analyst.name) == 200 and len(prediction.question.title) == 300
    assert len(prediction.hedge_phrase) == 100 and len(prediction.source.url) == 500
    assert prediction.question.resolve_by.isoformat() == "2200-12-31T23:59:59+00:00"


def test_a_far_offset_is_stored_in_utc(db):
    """PostgreSQL refuses an offset beyond ±15:59 that Python parses (and SQLite stores): the import converts."""
    forecasts_import(lines=io.StringIO(HEADER + _row(made_at="2024-01-01T00:00:00-18:41")), user=SYSTEM)
    assert Prediction.objects.get().made_at.isoformat() == "2024-01-01T18:41:00+00:00"


def test_every_bad_row_is_reported_at_once(db):
    text = HEADER + FINE_ROW + _row(made_at="2024-02-30") + FINE_ROW + _row(analyst="A" * 201, hedge="h" * 101)
    with pytest.raises(ImportRejected) as excinfo:
        forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    assert excinfo.value.errors == [
        "line 3: made_at '2024-02-30' is not a date (day is out of range for month)",
        "line 5: analyst is 201 characters; at most 200; hedge_phrase is 101 characters; at most 100",
    ]


@pytest.mark.parametrize(
    "row, message",
    [
        (_row(made_at="2024-02-30"), "line 3: made_at '2024-02-30' is not a date"),
        (_row(quote="x" * 200_000), "line 3: a field is longer than 131,072 characters"),
        (_row(analyst="A" * 500), "line 3: analyst is 500 characters; at most 200"),
        (_row(made_at="9999-12-31T23:59:59-05:00"), "line 3: made_at '9999-12-31T23:59:59-05:00' is outside 1900–2200"),
    ],
)
def test_the_command_reports_bad_values_with_their_line(db, tmp_path, row, message):
    with pytest.raises(CommandError) as excinfo:
        call_command("import_forecasts", _write(tmp_path, HEADER + FINE_ROW + row))

    assert message in str(excinfo.value)
    assert "Traceback" not in str(excinfo.value)
    assert _counts() == EMPTY


def test_the_admin_upload_reports_bad_values_with_their_line(client, db):
    client.force_login(admin_user())
    text = HEADER + FINE_ROW + _row(analyst="A" * 500) + _row(quote="x" * 200_000)
    page = client.post(reverse("admin:forecasts_prediction_import"), {"file": SimpleUploadedFile("bad.csv", text.encode())})

    assert page.status_code == 200
    html = page.content.decode()
    assert "line 3: analyst is 500 characters; at most 200" in html
    assert "line 4: a field is longer than 131,072 characters" in html
    assert _counts() == EMPTY


def test_the_export_neutralises_formulas_and_reimports_as_nothing_new(db):
    hyperlink = '=HYPERLINK("http://x","y")'
    rows = [
        _row(analyst="Ann Formula", question="Will it?", quote=hyperlink),
        _row(analyst="Ann Formula", question="Will it?", quote="'=quoted already", made_at="2024-01-02"),
        _row(analyst="Ann Formula", question="-1 or less?", quote="@cmd", hedge="+likely"),
        _row(analyst="Ann Formula", question="Plain?", quote="plain 'text' = fine", made_at="2024-01-03"),
    ]
    forecasts_import(lines=io.StringIO(HEADER + "".join(rows)), user=SYSTEM)
    stored = set(Prediction.objects.values_list("quote", "hedge_phrase", "question__title"))
    assert (hyperlink, "", "Will it?") in stored and ("@cmd", "+likely", "-1 or less?") in stored
    assert ("=quoted already", "", "Will it?") in stored  # a hand-written "'=" prefix is taken off as well

    exported = "".join(predictions_export(predictions=Prediction.objects.all()))
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert "'" + hyperlink in cells and hyperlink not in cells
    assert {"'=quoted already", "'@cmd", "'+likely", "'-1 or less?", "plain 'text' = fine"} <= set(cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    before = _counts()

    report = forecasts_import(lines=io.StringIO(exported), user=SYSTEM)

    assert str(report).endswith("nothing new")
    assert _counts() == before
    assert set(Prediction.objects.values_list("quote", "hedge_phrase", "question__title")) == stored


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@a", "\tx", "\rx", "'", "'=x", "''+x", "'plain", "plain", ""])
def test_formula_neutralising_is_undone_exactly(text):
    from forecasts.services.imports import _formula_restored, formula_neutralised

    written = formula_neutralised(text)
    assert _formula_restored(written) == text
    assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))
