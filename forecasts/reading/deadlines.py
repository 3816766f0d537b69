"""A forecast's deadline from the time expressions attached to its claim (pure; no database).

The caller passes the DATE entities of the claim's own clause, each with the preposition the parse attached ("by
March 2026", "within six months"). Each is read relative to the publication date as the *end* of the period it
names, for a claim made "for 2026" can come true until 31 December 2026; a claim's deadline is the latest of them.
Our own rules come first and dateparser reads what they do not cover (single days: "15/12/2026", "the 15th"), its
answer widened to the end of the period it says it found.

Conventions (publication on Monday 2 June 2025):
- a year → 31 December; a month → its last day; a quarter or half → its last day; a week → its Sunday;
  a decade ("the 2020s", "this decade") → 31 December of its last year; "this century" → 2099-12-31,
  "mid-century" → 2050-12-31. Seasons are northern: spring → 31 May, summer → 31 August, autumn/fall → 30 November,
  winter → the end of February after it ("winter 2026" runs December 2026 – February 2027).
- A bare month, season, quarter, half or day ("February", "the spring", "Q3", "December 15"), or one with "this",
  is the next one that has not ended: the current one counts ("June" → 30 June 2025, "February" → 2026-02-28).
  With "next" it is the next one that has not begun ("next summer" → 2026-08-31). A weekday is the next one after
  the publication day, with or without "this"/"next".
- "early/mid/late X" are X's thirds, cut in years for a decade, in months for a year or season, in days for a
  month or week; the deadline is the end of the third ("early next year" → 30 April 2026, "mid-2026" →
  31 August 2026, "the late 2020s" → 2029). "the beginning/start of X" reads as early X; "the end of X",
  "later (in) X" and "the last weeks of X" as X's last day; "the first/second half of X", "the Nth quarter of X"
  likewise cut X.
- "in/within/over N units", "N units from now", "the next N units" → publication + N units, months and years by
  forecasts.dates.months_after (same day number, clamped to the month's end); "a couple of" = 2, "a few" = 3,
  "several" = 5, "a dozen" = 12, "half a year" = 6 months, "12-18 months" = the larger.
  With "the" and no number, "next/coming" names a stretch from publication, not a calendar period: "the next year",
  "the coming year", "the year ahead" → 12 months, "the next decade" → 10 years, and a plural ("the coming months",
  "the weeks ahead", and a bare "within weeks/months") → six units. "next year" without "the" is the calendar year.
- "soon", "shortly", "before long", "in the near future/term", "in the short term" → 6 months.
- "before/prior to X" → the day before X begins ("before 2030" → 2029-12-31); "by/until/in/from X" → X's end.
  Open-ended ones ("after 2030", "2030 or later", "not before 2027", "at the earliest") name no deadline: None.
- Ranges ("2025-26", "between 2027 and 2030", "this year or next", "a decade or two") → the end of the later.
  "before June" on 2 June 2025 means before next June: 2026-05-31.
- Past references ("last year", "in 2019", "two years ago", "since 2010", "earlier this year", "so far") → None;
  so is any period that ended before publication, a year outside 1900–2200, and what names no period
  ("eventually", "one day", "the long term").
"""

import datetime as dt
import re
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from dateparser.date import DateDataParser

from forecasts.dates import FIRST_YEAR, LAST_YEAR, months_after

# A DATE entity is a few words; anything longer is not one, and dateparser's time grows with the text.
_LONGEST = 100
SOON_MONTHS = 6
DEFAULT_MONTHS = 12
# Built once: dateparser turns a settings dict into its Settings on every parser; RELATIVE_BASE is added per call.
_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
_DATEPARSER_LANGUAGES = ["en"]


@dataclass(frozen=True)
class Deadline:
    date: dt.date  # the last day the claim can come true
    expression: str  # the words it was read from ("" for the default)
    default: bool = False  # True when no expression in the claim gave one: publication + 12 months
    note: str = ""  # why the claim's own time words were not the deadline, for the reviewer (past or too far)


class _Period(NamedTuple):
    first: dt.date
    last: dt.date


_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # the first month of each
_HOLIDAYS = {"christmas eve": (12, 24), "christmas": (12, 25), "christmas day": (12, 25), "new year's eve": (12, 31)}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_VAGUE_COUNTS = {"a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 5, "a dozen": 12, "dozen": 12}
# (grain, size) of each unit a duration can be counted in.
_UNIT_SPANS = {
    "hour": ("hours", 1), "day": ("days", 1), "week": ("days", 7), "fortnight": ("days", 14),
    "month": ("months", 1), "quarter": ("months", 3), "year": ("months", 12), "decade": ("months", 120),
    "century": ("months", 1200),
}  # fmt: skip

_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(_WEEKDAYS)
_UNITS = r"hours?|days?|weeks?|fortnights?|months?|quarters?|years?|decades?|century|centuries"
# Said without a number: "one day" is some day, not tomorrow.
_NO_PERIOD = frozenset({"one day", "some day", "someday", "one of these days"})

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u00a0": " "})
_SPACES = re.compile(r"\s+")
_HYPHENATED_PART = re.compile(r"\b(early|mid|late|end|start)\s*-\s*")  # "mid-2026", "end-March"
_YEAR_END_OF = re.compile(r"\byear[- ]end\s+(?=\d{4}\b)")  # "year-end 2026"
_PERIOD_END = re.compile(r"\b(year|month|quarter|week)(?:[- ]end|'s\s+end)\b")  # "year-end", "the year's end"
# "last" as the final part of a period, not the past: "the last quarter of 2026", "the final weeks of the year".
_LAST_QUARTER_OF = re.compile(r"\b(?:last|final)\s+quarter\s+of\b")
_LAST_HALF_OF = re.compile(r"\b(?:last|final)\s+half\s+of\b")
_LAST_STRETCH_OF = re.compile(r"\b(?:last|final|closing)\s+(?:\w+\s+)?(?:days?|weeks?|months?)\s+of\b")

_OPEN_ENDED = re.compile(
    r"^(?:after|beyond|later\s+than|no\s+(?:earlier|sooner)\s+than|not\s+(?:before|earlier\s+than|sooner\s+than))\b"
    r"|(?:\s|,)(?:or\s+(?:later|after|beyond)|and\s+(?:beyond|after|later)|onwards?|thereafter|at\s+the\s+earliest)$"
)
_BEFORE = re.compile(r"^(?:before|prior\s+to|ahead\s+of|earlier\s+than|sooner\s+than)\s+(?!(?:the\s+)?end\b)")
_LEAD = re.compile(
    r"^(?:until\s+at\s+least|by|until|till|til|through|throughout|thru|in|within|inside(?:\s+of)?|during|over|for|at|on|around|about"
    r"|approximately|roughly|circa|sometime|some\s+time|as\s+(?:early|soon|late)\s+as|(?:no|not)\s+later\s+than"
    r"|not\s+until|at\s+least\s+until|up\s+(?:un)?to|from|starting(?!\s+of)|beginning(?!\s+of)|between|either"
    r"|(?:before|prior\s+to)(?=\s+(?:the\s+)?end\b))\s+"
)
_TRAIL = re.compile(r"(?:,?\s+at\s+the\s+(?:very\s+)?latest|\s+or\s+(?:so|sooner|earlier|thereabouts))$")
_PAST = re.compile(
    r"\b(?:ago|since|last|previous|previously|prior|preceding|past|earlier|recent|recently|already|so\s+far"
    r"|to\s+date|until\s+now|up\s+to\s+now|till\s+now|yesterday|hitherto)\b"
)
_SOON = re.compile(
    r"(?:(?:very|quite|fairly|sometime|any\s*time)\s+)?soon|shortly|before\s+long|imminently|any\s+day\s+now"
    r"|the\s+(?:near|not[\s-]+too[\s-]+distant)\s+future|the\s+(?:near|short)[\s-]+term"
)
# The same words inside a claim's text, for when the parse gave them no DATE entity ("as soon as" is a condition).
_SOON_IN_TEXT = re.compile(
    r"\b(?:in\s+the\s+(?:near|not[\s-]+too[\s-]+distant)\s+future|in\s+the\s+(?:near|short)[\s-]+term"
    r"|in\s+the\s+(?:coming|next\s+few)\s+months|in\s+the\s+months\s+ahead|before\s+long|shortly"
    r"|(?<!\bas\s)(?<!\btoo\s)soon(?!\s+as\b))\b",
    re.IGNORECASE,
)

_DURATION = re.compile(
    r"^(?:the\s+)?(?:(?:next|coming|following|upcoming|first|another|a\s+further)\s+)?(?P<amount>.+?)\s+"
    rf"(?P<unit>{_UNITS})(?P<half>\s+and\s+a\s+half)?(?:'s?)?"
    r"(?:\s+(?:from\s+now|ahead|hence|to\s+come|later|out|time))?$"
)
_HORIZON = re.compile(
    rf"^(?P<the>the\s+)?(?P<lead>next|coming|upcoming)\s+(?P<unit>{_UNITS})$"
    rf"|^the\s+(?P<unit_ahead>{_UNITS})\s+(?:ahead|to\s+come)$"
)
_YEAR_RANGE = re.compile(r"^(?P<a>\d{4})\s*[-/]\s*(?P<b>\d{2}|\d{4})$")
# Split only on words, or on a dash or slash beside a letter: "15/12/2026" is one date, "march-april" two months.
_RANGE_SPLIT = re.compile(
    r"\s+(?:to|and|or|through|thru|until|till|into)\s+|\s+-\s+|(?<=[a-z])\s*[-/]\s*|\s*[-/]\s*(?=[a-z])"
)
# "within weeks", "(take) months": a plural without a number, six of them like "the coming months".
_BARE_PLURAL = re.compile(r"^(days|weeks|months)$")
_ELLIPTIC_NEXT = re.compile(r"\b(?:next|following|this)$")
_UNIT_AT_END = re.compile(r"\b(week|weekend|month|quarter|year|decade)$")

_YEAR_TAIL = (
    r"(?P<tail>(?:the\s+year\s+)?\d{4}(?:\s*[-/]\s*(?P<tail_to>\d{2}|\d{4}))?|the\s+year\s+after\s+next"
    r"|(?:this|next|the|the\s+current|the\s+following|the\s+coming|current|coming)\s+year)"
)
_SUB_PERIOD = re.compile(
    r"^(?:(?P<which>this|next|coming|the\s+coming|this\s+coming)\s+)?(?:the\s+)?(?:"
    rf"(?P<dmonth>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dmonth2>{_MONTH})\.?"
    r"|q(?P<q>[1-4])|(?P<qn>[1-4])q|(?P<qo>first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter"
    r"|h(?P<h>[12])|(?P<ho>first|second|latter|1st|2nd)[\s-]+half"
    r"|(?P<season>spring|summer|autumn|fall|winter)(?:\s+months)?"
    rf"|(?:month\s+of\s+)?(?P<month>{_MONTH})\.?"
    r"|(?P<holiday>christmas\s+eve|christmas(?:\s+day)?|new\s+year's\s+eve)"
    rf")(?:,?\s+(?:of\s+|in\s+)?{_YEAR_TAIL})?$"
)
_UNIT_PERIOD = re.compile(
    r"^(?:(?P<which>this|the|current|the\s+current|the\s+present|this\s+calendar|the\s+calendar|next|following"
    r"|the\s+following|coming|the\s+coming|the\s+next)\s+)?(?P<unit>week|month|quarter|year|decade|century)"
    r"(?P<after_next>\s+after\s+next)?$"
)
_YEAR = re.compile(r"^(?:the\s+)?(?:year\s+)?(?P<year>\d{4})$")
_FOUR_DIGITS = re.compile(r"\d{4}")
_NUMBER = re.compile(r"\d{1,6}(?:\.\d+)?")
_BIG_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+|\d{7,40}")
_NUMBER_RANGE = re.compile(r"(\d{1,6}(?:\.\d+)?)\s*-\s*(\d{1,6}(?:\.\d+)?)")
_DECADE = re.compile(r"^(?:the\s+)?(?P<decade>\d{3}0)'?s$")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_RELATIVE_DAYS = {
    "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0, "tomorrow": 1,
    "the day after tomorrow": 2,
}  # fmt: skip
_WEEKDAY_NAME = re.compile(rf"^(?:(?:this|next|coming|this\s+coming|the\s+coming)\s+)?(?P<weekday>{_WEEKDAY})$")
_WEEKEND = re.compile(r"^(?:(?P<which>this|the|next|coming|the\s+coming)\s+)?weekend$")
_MID_CENTURY = re.compile(r"^(?:the\s+)?(?:mid\s+century|middle\s+of\s+the\s+century)$")
_PART = re.compile(
    r"^(?:the\s+)?(?:(?P<third>early|beginning|start|mid|middle|late|end|close)(?:\s+(?:of|in))?|(?P<later>later)"
    r"(?:\s+in)?|(?P<nth>first|second|third|fourth|1st|2nd|3rd|4th|latter)[\s-]+(?P<piece>half|quarter)\s+of)"
    r"\s+(?P<rest>.+)$"
)
_THIRDS = {"early": 1, "beginning": 1, "start": 1, "mid": 2, "middle": 2, "late": 3}
# What only dateparser will read: a numeric date, an ordinal day, or a month or weekday in an unusual order.
_DATEISH = re.compile(
    rf"\b\d{{1,4}}([/.-])\d{{1,2}}\1\d{{1,4}}\b|\b\d{{1,2}}/\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)\b"
    rf"|\b(?:{_MONTH}|{_WEEKDAY})\b"
)


def deadline_from(expression: str, published: dt.date) -> dt.date | None:
    """One time expression (with its preposition, if any) read relative to the publication date: the end of the
    period it names; None when it names no period, or only the past, or a date outside the supported years."""
    date = _end_named(expression, published)
    return date if date is not None and published <= date and date.year <= LAST_YEAR else None


def _end_named(expression: str, published: dt.date) -> dt.date | None:
    """The end of the period an expression names, wherever it falls (before publication, after LAST_YEAR)."""
    if isinstance(published, dt.datetime):
        published = published.date()
    if not isinstance(expression, str) or not FIRST_YEAR <= published.year <= LAST_YEAR:
        return None
    text = _normalized(expression)
    if text is None:
        return None
    try:
        return _read(text, published)
    except (ValueError, OverflowError):  # a date past year 9999 on the way: "in 90000 years"
        return None


def names_past(expression: str, published: dt.date) -> bool:
    """Whether a time expression names only the past ("in 2019", "last year", "two years ago"): said of when a
    forecast was made, it means the forecast is an old one."""
    text = _normalized(expression) if isinstance(expression, str) else None
    if text is None:
        return False
    if _PAST.search(text):
        return True
    end = _end_named(expression, published)
    return end is not None and end < published


def deadline_for(expressions: Iterable[str], published: dt.date, *, text: str = "") -> Deadline:
    """The claim's deadline: the latest future period its expressions name; "soon", "in the near future",
    "shortly", "in the coming months" (found in `text`, the claim, when the parse gives no DATE entity for them)
    → 6 months; else publication + 12 months with default=True.

    A horizon past the last year the ledger stores ("by 2300") is held at its last day, and one that names only
    the past ("by 2020" in 2025) gives the default: each says so in `note`, for the reviewer."""
    if isinstance(published, dt.datetime):
        published = published.date()
    best, past, beyond = None, "", ""
    for expression in expressions:
        date = _end_named(expression, published)
        if date is None:
            continue
        if date < published:
            past = past or expression
        elif date.year > LAST_YEAR:
            beyond = beyond or expression
        elif best is None or date > best.date:
            best = Deadline(date, expression)
    if beyond:
        last = dt.date(LAST_YEAR, 12, 31)
        return Deadline(last, beyond, note=f"the claim's horizon ('{beyond}') is past the last year the ledger "
                                         f"keeps: the deadline is held at {last.day} December {LAST_YEAR}")
    if best is not None:
        return best
    soon = _SOON_IN_TEXT.search(text) if isinstance(text, str) else None
    if soon is not None:
        return Deadline(_months_later(published, SOON_MONTHS), soon.group())
    if past:
        return Deadline(_months_later(published, DEFAULT_MONTHS), "", default=True,
                        note=f"the claim's time words ('{past}') name a time already past: publication + 12 months; "
                             "check the claim and its deadline")
    return Deadline(_months_later(published, DEFAULT_MONTHS), "", default=True)


def _months_later(published: dt.date, months: int) -> dt.date:
    """months_after, held to the last supported day (a claim published in 2200 still gets a deadline)."""
    last_supported = dt.date(LAST_YEAR, 12, 31)
    if published.year >= LAST_YEAR:
        return last_supported
    return min(months_after(published, months), last_supported)


def _normalized(expression: str) -> str | None:
    text = expression.strip()
    if not text or len(text) > _LONGEST:
        return None
    text = _SPACES.sub(" ", text.translate(_DASHES).lower()).strip(" .,;:!?\"'()[]")
    text = re.sub(r"'s?$", "", text)  # "next year's fuel bill": the year
    text = _HYPHENATED_PART.sub(r"\1 ", text)
    text = _YEAR_END_OF.sub("end of ", text)
    text = _PERIOD_END.sub(r"end of the \1", text)
    text = _LAST_QUARTER_OF.sub("fourth quarter of", text)
    text = _LAST_HALF_OF.sub("second half of", text)
    text = _LAST_STRETCH_OF.sub("end of", text)
    return text or None


def _read(text: str, published: dt.date) -> dt.date | None:
    if text in _NO_PERIOD:
        return None
    text, before = _unqualified(text)
    if text is None or _PAST.search(text):
        return None
    period = _whole(text, published, before) or _range(text, published, before) or _dateparsed(text, published)
    if period is None:
        return None
    return period.first - dt.timedelta(days=1) if before else period.last


def _unqualified(text: str) -> tuple[str | None, bool]:
    """The expression without its preposition and hedges, and whether it said "before"; None when open-ended."""
    before = False
    for _ in range(4):  # "by no later than", "sometime before": a few words at most
        if _OPEN_ENDED.search(text):
            return None, False
        if match := _BEFORE.match(text):
            before = True
        elif not (match := _LEAD.match(text)):
            break
        text = text[match.end() :]
    return _TRAIL.sub("", text), before


def _whole(text: str, published: dt.date, before: bool) -> _Period | None:
    if period := _stretch(text, published):
        return period
    if match := _YEAR_RANGE.match(text):
        first = int(match["a"])
        if (later := _later_year(first, match["b"])) >= first:
            return _Period(dt.date(first, 1, 1), dt.date(later, 12, 31))
    if match := _BARE_PLURAL.match(text):
        return _from_publication(published, SOON_MONTHS, match[1])
    return _calendar(text, published, before)


def _later_year(first: int, later: str) -> int:
    """The second year of a range, "26" of "2025-26" read in the first one's century."""
    if len(later) == 4:
        return int(later)
    return first // 100 * 100 + int(later) + (100 if int(later) < first % 100 else 0)


def _stretch(text: str, published: dt.date) -> _Period | None:
    """A stretch of time from the publication date: "soon", "within six months", "the coming months"."""
    if _SOON.fullmatch(text):
        return _Period(published, months_after(published, SOON_MONTHS))
    if text == "this time next year":
        return _Period(published, months_after(published, 12))
    if match := _DURATION.match(text):
        amount = _amount(match["amount"])
        if amount is not None:
            return _from_publication(published, amount + (0.5 if match["half"] else 0), match["unit"])
    if match := _HORIZON.match(text):
        unit = match["unit"] or match["unit_ahead"]
        # "next year" is the calendar year; "the next year", "the coming year", "next decade" a stretch.
        if match["lead"] == "next" and not match["the"] and not unit.startswith(("decade", "centur")):
            return None
        return _from_publication(published, SOON_MONTHS if unit.endswith("s") else 1, unit)
    return None


def _range(text: str, published: dt.date, before: bool) -> _Period | None:
    parts = [part for part in _RANGE_SPLIT.split(text) if part]
    if len(parts) < 2:
        return None
    periods = []
    for previous, part in zip([""] + parts, parts):
        # "this year or next", "late this year or early next", "a decade or two": the unit is said once.
        if (_ELLIPTIC_NEXT.search(part) or _amount(part)) and (unit := _UNIT_AT_END.search(previous)):
            part = f"{part} {unit[1]}"
        part, _ = _unqualified(part)
        if part is not None and not _PAST.search(part):
            period = _whole(part, published, before) or _dateparsed(part, published)
            if period is not None:
                periods.append(period)
    if not periods:
        return None
    return _Period(min(period.first for period in periods), max(period.last for period in periods))


def _amount(words: str) -> float | None:
    if _BIG_NUMBER.fullmatch(words):
        return float(words.replace(",", ""))  # "10,000", "99999999999999999999": past the ledger, held at its end
    if match := _NUMBER_RANGE.fullmatch(words):  # "12-18 months"
        return max(float(match[1]), float(match[2]))
    words = words.replace("-", " ")
    half = words.endswith(" and a half")
    words = words.removesuffix(" and a half")
    if words in ("half a", "half an"):
        return 0.5
    if words in _VAGUE_COUNTS:
        count = _VAGUE_COUNTS[words]
    elif _NUMBER.fullmatch(words):
        count = float(words)
    else:
        tokens = words.split()
        if not 1 <= len(tokens) <= 2 or any(token not in _NUMBERS for token in tokens):
            return None
        values = [_NUMBERS[token] for token in tokens]
        if len(values) == 2 and not (values[0] >= 20 and values[1] < 10 or values[1] == 100 and values[0] < 10):
            return None  # "twenty five", "a hundred"; not "five twenty"
        count = values[0] * values[1] if len(values) == 2 and values[1] == 100 else sum(values)
    return count + (0.5 if half else 0)


def _from_publication(published: dt.date, amount: float, unit: str) -> _Period | None:
    """From publication to publication + `amount` units (a part day counts as a day, a part month as 30 days);
    past LAST_YEAR, a period that ends the year after it (beyond what the ledger keeps, whatever the number)."""
    grain, size = _UNIT_SPANS["century" if unit.startswith("centur") else unit.rstrip("s")]
    total = amount * size
    days = {"hours": total / 24, "days": total, "months": total * 30.5}[grain]
    if days > (dt.date(LAST_YEAR, 12, 31) - published).days + 31:
        # months_after and timedelta overflow long before a number runs out: "in 90000 years"
        return _Period(published, dt.date(LAST_YEAR + 1, 12, 31))
    if grain != "months":
        return _Period(published, published + dt.timedelta(days=-(-days // 1)))
    whole = int(total)
    return _Period(published, months_after(published, whole) + dt.timedelta(days=round((total - whole) * 30)))


def _calendar(text: str, published: dt.date, upcoming: bool) -> _Period | None:
    """The calendar period `text` names; a bare month, season or day is the next one not ended (not begun, when
    `upcoming`: "before June" on 2 June means next June)."""
    if match := _UNIT_PERIOD.match(text):
        which = (match["which"] or "this").split()[-1]
        offset = 2 if match["after_next"] else int(which in ("next", "following", "coming"))
        return _unit_period(match["unit"], published, offset)
    if match := _YEAR.match(text):
        return _year(int(match["year"]))
    if match := _DECADE.match(text):
        return _Period(dt.date(int(match["decade"]), 1, 1), dt.date(int(match["decade"]) + 9, 12, 31))
    if match := _SUB_PERIOD.match(text):
        return _sub_period(match, published, upcoming)
    if match := _ISO_DATE.match(text):
        day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        return _Period(day, day)
    if text in _RELATIVE_DAYS:
        day = published + dt.timedelta(days=_RELATIVE_DAYS[text])
        return _Period(day, day)
    if match := _WEEKDAY_NAME.match(text):
        day = published + dt.timedelta(days=(_WEEKDAYS.index(match["weekday"]) - published.weekday() - 1) % 7 + 1)
        return _Period(day, day)
    if match := _WEEKEND.match(text):
        saturday = published + dt.timedelta(days=5 - published.weekday() + 7 * (match["which"] in ("next",)))
        return _Period(saturday, saturday + dt.timedelta(days=1))
    if _MID_CENTURY.match(text):
        return _year(published.year // 100 * 100 + 50)
    if match := _PART.match(text):
        return _part(match, published, upcoming)
    return None


def _unit_period(unit: str, published: dt.date, offset: int) -> _Period:
    if unit == "week":
        monday = published - dt.timedelta(days=published.weekday()) + dt.timedelta(weeks=offset)
        return _Period(monday, monday + dt.timedelta(days=6))
    if unit in ("month", "quarter"):
        months = 1 if unit == "month" else 3
        first = published.year * 12 + (published.month - 1) // months * months + offset * months
        return _months(first // 12, first % 12 + 1, months)
    span = {"year": 1, "decade": 10, "century": 100}[unit]
    first_year = published.year // span * span + offset * span
    return _Period(dt.date(first_year, 1, 1), dt.date(first_year + span - 1, 12, 31))


def _sub_period(match: re.Match, published: dt.date, upcoming: bool) -> _Period | None:
    """A month, season, quarter, half or day of a year: the year named in the tail, or the next one that fits."""
    day = first_month = count = None
    if match["dmonth"] or match["dmonth2"]:
        day = _MONTHS[match["dmonth"] or match["dmonth2"]], int(match["day"] or match["day2"])
    elif match["holiday"]:
        day = _HOLIDAYS[_SPACES.sub(" ", match["holiday"])]
    elif match["q"] or match["qn"] or match["qo"]:
        quarter = int(match["q"] or match["qn"] or _ORDINALS[match["qo"]])
        first_month, count = quarter * 3 - 2, 3
    elif match["h"] or match["ho"]:
        first_month, count = (1 if (match["h"] or match["ho"]) in ("1", "first", "1st") else 7), 6
    elif match["season"]:
        first_month, count = _SEASONS[match["season"]], 3
    else:
        first_month, count = _MONTHS[match["month"]], 1

    def in_year(year: int) -> _Period | None:
        return _day(year, *day) if day else _months(year, first_month, count)

    if match["tail"]:
        year = _tail_year(match["tail"], published)
        if match["tail_to"] and match["season"] != "winter":  # "winter 2025/26" begins in 2025
            year = _later_year(year, match["tail_to"])
        return in_year(year)
    not_begun = upcoming or match["which"] == "next"
    for year in range(published.year - 1, published.year + 6):  # six years: a 29 February comes round
        period = in_year(year)
        if period is not None and (period.first > published if not_begun else period.last >= published):
            return period
    return None


def _tail_year(tail: str, published: dt.date) -> int:
    if digits := _FOUR_DIGITS.search(tail):
        return int(digits[0])
    if tail.endswith("after next"):
        return published.year + 2
    return published.year + any(word in ("next", "following", "coming") for word in tail.split())


def _part(match: re.Match, published: dt.date, upcoming: bool) -> _Period | None:
    # A calendar period first: "the end of the next decade" is 2039, though "the next decade" alone is ten years.
    whole = _calendar(match["rest"], published, upcoming) or _stretch(match["rest"], published)
    if whole is None:
        return None
    if match["later"]:
        return whole
    if match["third"] in ("end", "close"):
        return _Period(whole.last, whole.last)
    if match["third"]:
        return _split(whole, _THIRDS[match["third"]], 3)
    count = 2 if match["piece"] == "half" else 4
    index = count if match["nth"] == "latter" else _ORDINALS[match["nth"]]
    return _split(whole, index, count) if index <= count else None


def _split(period: _Period, index: int, count: int) -> _Period:
    """The index-th (from 1) of `count` parts of a period, cut in years, whole months or days as it allows; a part
    boundary falling inside a unit goes to the earlier part (a decade's thirds: 4, 3 and 3 years)."""
    first, last = period
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and last.year > first.year:
        years = last.year - first.year + 1
        start, end = -(-years * (index - 1) // count), -(-years * index // count) - 1
        return _year(first.year + start)._replace(last=dt.date(first.year + end, 12, 31))
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if first.day == 1 and (last + dt.timedelta(days=1)).day == 1 and months > 1:
        start, end = -(-months * (index - 1) // count), -(-months * index // count) - 1
        final = months_after(first, end)
        return _Period(months_after(first, start), _months(final.year, final.month, 1).last)
    days = (last - first).days + 1
    start, end = -(-days * (index - 1) // count), -(-days * index // count) - 1
    return _Period(first + dt.timedelta(days=start), first + dt.timedelta(days=end))


def _year(year: int) -> _Period:
    return _Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


def _months(year: int, month: int, count: int) -> _Period:
    """`count` months from the first of year-month; winter's run into the next year."""
    last_year, last_month = divmod(year * 12 + month - 1 + count - 1, 12)
    last_month += 1
    # Built, not added with months_after: that one fails with an AssertionError past year 9999 ("December 9999").
    return _Period(dt.date(year, month, 1), dt.date(last_year, last_month, monthrange(last_year, last_month)[1]))


def _day(year: int, month: int, day: int) -> _Period | None:
    try:
        date = dt.date(year, month, day)
    except ValueError:  # 29 February in a common year, "June 31"
        return None
    return _Period(date, date)


def _dateparsed(text: str, published: dt.date) -> _Period | None:
    """What dateparser reads in `text`, widened to the end of the period it reports (a day, week, month or year)."""
    if not _DATEISH.search(text):
        return None  # dateparser reads "a" as next January and "12" as December; ask it only about dates
    settings = {**_DATEPARSER_SETTINGS, "RELATIVE_BASE": dt.datetime.combine(published, dt.time())}
    try:
        data = DateDataParser(languages=_DATEPARSER_LANGUAGES, settings=settings).get_date_data(text)
    except Exception:  # dateparser's own parsing errors are not ours to raise; an unreadable expression is None
        return None
    if data is None or data.date_obj is None:
        return None
    day = data.date_obj.date()
    if data.period == "year":
        return _year(day.year)
    if data.period == "month":
        return _months(day.year, day.month, 1)
    if data.period == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return _Period(monday, monday + dt.timedelta(days=6))
    return _Period(day, day)
