"""A forecast's deadline from the time expressions of its claim (forecasts/reading/deadlines.py): the end of the
period each names, relative to the publication date; the latest of them; 6 months for "soon"; else 12 months,
flagged. Pure: no database."""

import datetime as dt

import pytest

from forecasts.reading.deadlines import Deadline, deadline_for, deadline_from

PUBLISHED = dt.date(2025, 6, 2)  # a Monday


# The issue's table, publication on 2 June 2025.
@pytest.mark.parametrize(
    "expression, deadline",
    [
        ("this year", "2025-12-31"),
        ("next month", "2025-07-31"),
        ("in February", "2026-02-28"),
        ("by March 2026", "2026-03-31"),
        ("within six months", "2025-12-02"),
        ("next year", "2026-12-31"),
        ("by the end of 2026", "2026-12-31"),
        ("in the spring", "2026-05-31"),
        ("by 2030", "2030-12-31"),
        ("in five years", "2030-06-02"),
        ("soon", "2025-12-02"),
        ("in the near future", "2025-12-02"),
    ],
)
def test_the_issue_table(expression, deadline):
    assert deadline_from(expression, PUBLISHED) == dt.date.fromisoformat(deadline)


@pytest.mark.parametrize(
    "expression, deadline",
    [
        # the current month or season has not passed; "next" means one not yet begun
        ("in June", "2025-06-30"),
        ("this summer", "2025-08-31"),
        ("next summer", "2026-08-31"),
        ("winter", "2026-02-28"),
        ("winter 2026", "2027-02-28"),
        # quarters and halves, bare (the next one not ended) or of a named year
        ("Q3", "2025-09-30"),
        ("the fourth quarter", "2025-12-31"),
        ("the second half of the year", "2025-12-31"),
        ("the last quarter of 2026", "2026-12-31"),
        # early / mid / late: the end of the first, middle or last third
        ("early next year", "2026-04-30"),
        ("by mid-2026", "2026-08-31"),
        ("later this year", "2025-12-31"),
        ("in the late 2020s", "2029-12-31"),
        ("early June", "2025-06-10"),
        # decades and the century
        ("the 2020s", "2029-12-31"),
        ("by mid-century", "2050-12-31"),
        # stretches from publication
        ("over the next two years", "2027-06-02"),
        ("in the next 12 months", "2026-06-02"),
        ("the next decade", "2035-06-02"),
        ("the coming months", "2025-12-02"),
        # days and weeks (published on a Monday)
        ("this week", "2025-06-08"),
        ("tomorrow", "2025-06-03"),
        ("on Tuesday", "2025-06-03"),
        ("December 15", "2025-12-15"),
        ("June 1", "2026-06-01"),
        ("15/12/2026", "2026-12-15"),
        # ranges end with their later end; "before" ends the day before
        ("2025-26", "2026-12-31"),
        ("between 2027 and 2030", "2030-12-31"),
        ("this year or next", "2026-12-31"),
        ("12 to 18 months", "2026-12-02"),
        ("before 2030", "2029-12-31"),
    ],
)
def test_conventions(expression, deadline):
    assert deadline_from(expression, PUBLISHED) == dt.date.fromisoformat(deadline)


@pytest.mark.parametrize(
    "expression",
    [
        "last year",
        "in 2019",
        "two years ago",
        "since 2010",
        "earlier this year",
        "in May 2025",  # a bare "May" would be next May
        "after 2030",
        "by 2300",
        "in 300 years",
    ],
)
def test_past_open_ended_or_unsupported_references_give_no_deadline(expression):
    assert deadline_from(expression, PUBLISHED) is None


@pytest.mark.parametrize(
    "expression",
    ["", "banana", "12", "eventually", "one day", "\x00\ud800", "by " + "x" * 5000, "in 90000 years"],
)
def test_what_names_no_period_gives_none_and_never_raises(expression):
    assert deadline_from(expression, PUBLISHED) is None


def test_the_claims_deadline_is_the_latest_future_period_it_names():
    deadline = deadline_for(["last year", "by March 2026", "by the end of 2026", "next month"], PUBLISHED)

    assert deadline == Deadline(dt.date(2026, 12, 31), "by the end of 2026")


def test_soon_in_the_claims_text_gives_six_months_when_no_expression_does():
    claim = "Talks between the two Koreas will resume soon, the minister said."

    assert deadline_for([], PUBLISHED, text=claim) == Deadline(dt.date(2025, 12, 2), "soon")
    assert deadline_for(["in 2019"], PUBLISHED, text="Shortly, prices will fall.").date == dt.date(2025, 12, 2)
    # an expression that names a period wins over the vaguer word
    assert deadline_for(["by 2030"], PUBLISHED, text="soon").date == dt.date(2030, 12, 31)


def test_as_soon_as_is_a_condition_not_a_deadline():
    deadline = deadline_for([], PUBLISHED, text="Sanctions will be lifted as soon as the troops withdraw.")

    assert deadline == Deadline(dt.date(2026, 6, 2), "", default=True)


def test_without_any_deadline_the_claim_gets_twelve_months_flagged():
    assert deadline_for([], PUBLISHED) == Deadline(dt.date(2026, 6, 2), "", default=True)
    assert deadline_for(["two years ago", "banana"], PUBLISHED).default is True
    assert deadline_for(["next year"], PUBLISHED).default is False
    # months_after's rule: the same day number, clamped to the month's end
    assert deadline_for([], dt.date(2024, 2, 29)).date == dt.date(2025, 2, 28)
    # never past the last supported year
    assert deadline_for([], dt.date(2200, 6, 1)).date == dt.date(2200, 12, 31)
