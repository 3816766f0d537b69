import random
import string
import textwrap

import pytest
import wordfreq

from forecasts.text import _zipf, normalize_text
from tests.conftest import SEEDS_DIR

SEED_NORMALIZED = (SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.normalized.txt").read_text(encoding="utf-8")


def _rewrap(text: str, width: int, variant: str) -> str:
    """`text` with each paragraph wrapped by textwrap, the way a mail client or a terminal copy would give it."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = textwrap.wrap(paragraph, width, drop_whitespace=variant != "kept whitespace")
        if variant == "trailing spaces":
            lines = [line + "  " for line in lines]
        paragraphs.append("\n".join(lines))
    wrapped = "\n\n".join(paragraphs) + "\n"
    return wrapped.replace("\n", "\r\n") if variant == "CRLF" else wrapped


def test_breaks_inside_words_are_joined_and_breaks_between_words_become_spaces():
    raw = (
        "If we really want peace, the Peninsula matters. We go to Ukraine. He is known to have been there. "
        "The Russians buy food.\n\n"
        "\u201cA reall\ny troubling move on the Peninsul\na,\u201d he said. Sent t\no Ukraine. Known to hav\ne been.\n\n"
        "He needs money from the Russians\nto buy food."
    )
    text = normalize_text(raw)

    assert '"A really troubling move on the Peninsula," he said. Sent to Ukraine. Known to have been.' in text
    assert "He needs money from the Russians to buy food." in text


def test_words_cut_by_a_break_are_mended_by_word_frequencies_not_by_the_articles_own_words():
    # None of these words occurs anywhere else in the text, so only English word frequencies can tell.
    raw = "It was a reall\ny troubling move on the Peninsul\na. Officials aren\n't sure and hav\ne doubts. Sent t\no Kyiv."
    assert normalize_text(raw) == (
        "It was a really troubling move on the Peninsula. Officials aren't sure and have doubts. Sent to Kyiv.\n"
    )


def test_curly_quotes_and_white_space_are_normalized_and_paragraphs_kept():
    text = normalize_text("  \u2018One\u2019   said  \u201ctwo\u201d.\r\n\r\n\r\nNext\u00a0para. ")
    assert text == "'One' said \"two\".\n\nNext para.\n"


def test_tabs_and_trailing_white_space_are_spaces():
    assert normalize_text("One\ttwo \t\nthree.\t\r\n\t\r\nFour.  ") == "One two three.\n\nFour.\n"


def test_normalizing_twice_changes_nothing():
    raw = "A reall\ny long text that is really long.\n\nSecond."
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_a_byline_and_a_date_on_two_lines_are_not_glued():
    text = normalize_text("By Staff Reporter\nMarch 3, 2025\n\nThe central bank held rates on Tuesday.")

    assert "ReporterMarch" not in text
    assert text == "By Staff Reporter\n\nMarch 3, 2025\n\nThe central bank held rates on Tuesday.\n"


def test_single_breaks_in_unwrapped_text_start_paragraphs_unless_the_sentence_runs_on():
    raw = "The bank held rates.\nThe currency fell, and\nanalysts expect more of the same,\nTraders said."
    assert normalize_text(raw) == (
        "The bank held rates.\n\nThe currency fell, and analysts expect more of the same, Traders said.\n"
    )


def test_wrapped_lines_with_trailing_spaces_are_joined_with_a_space():
    lines = [
        "The central bank signalled on Tuesday that its long cycle of",
        "easing is over for now, and the bank's chief spokesperson",
        "said the board expects inflation to stay above its target",
        "well into next year.",
    ]
    assert textwrap.wrap(" ".join(lines), 60) == lines  # the lines are what a wrapper at 60 columns gives

    text = normalize_text("\n".join(line + "  " for line in lines) + "\n")

    assert "ofeasing" not in text and "spokespersonsaid" not in text and "targetwell" not in text
    assert text == " ".join(lines) + "\n"


def test_wrapped_pairs_that_would_make_words_stay_apart():
    lines = [
        "Officials said the ministry had been looking very hard for a",
        "way out of the dispute, and that the talks with unions may",
        "be over within days if the finance minister at last gives in",
        "to pressure from the rail workers.",
    ]
    assert textwrap.wrap(" ".join(lines), 60) == lines

    assert normalize_text("\n".join(lines)) == " ".join(lines) + "\n"
    # Unwrapped, both pieces are words, so the break is between words too.
    assert normalize_text("He looked for a\nway out. It may\nbe over. He gave in\nto pressure.") == (
        "He looked for a way out. It may be over. He gave in to pressure.\n"
    )


def test_a_hyphen_at_the_end_of_a_line_stays_inside_its_word():
    paragraph = (
        "Defense ministers met this week, said Patrick Cronin, the Asia-Pacific security chair at the Hudson "
        "Institute, and the muscle-flexing of the two countries would worry like-minded democracies for years."
    )
    wrapped = textwrap.fill(paragraph, 64)
    assert "Asia-\nPacific" in wrapped and "muscle-\nflexing" in wrapped  # textwrap breaks after a hyphen

    assert normalize_text(wrapped) == paragraph + "\n"
    assert normalize_text("Cronin, Asia-\nPacific security chair, said so.") == (
        "Cronin, Asia-Pacific security chair, said so.\n"
    )


@pytest.mark.parametrize("width", [60, 72, 80])
@pytest.mark.parametrize("variant", ["plain", "trailing spaces", "kept whitespace", "CRLF"])
def test_the_seed_rewrapped_at_a_width_keeps_every_word(width, variant):
    text = normalize_text(_rewrap(SEED_NORMALIZED, width, variant))

    assert text.split() == SEED_NORMALIZED.split()
    assert text == SEED_NORMALIZED
    assert "will go at any lengths to support" in text
    assert "he's also likely going to have major pushback" in text


def test_the_seeds_normalized_copy_is_what_the_raw_seed_normalizes_to():
    raw = (SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.txt").read_text(encoding="utf-8")
    assert normalize_text(raw) == SEED_NORMALIZED


def test_word_frequencies_are_wordfreqs_zipf_frequencies():
    for word in ("really", "peninsula", "reall", "peninsul", "conscripts", "isn't", "qzxv"):
        assert _zipf(word) == pytest.approx(wordfreq.zipf_frequency(word, "en"), abs=0.011), word


def test_pathological_inputs_of_200_kb_are_read_in_one_pass():
    # The former line-break pattern backtracked over long runs of letters: 100,000 characters took minutes.
    assert normalize_text("a" * 200_000 + ".") == "a" * 200_000 + ".\n"
    assert normalize_text("a" * 200_000 + " \n" + "b" * 200_000) == "a" * 200_000 + " " + "b" * 200_000 + "\n"
    rng = random.Random(7)
    fragments = "".join(rng.choice(string.ascii_lowercase) + rng.choice(" \n\n\n\t") for _ in range(100_000))
    text = normalize_text(fragments)
    assert "".join(text.split()) == "".join(fragments.split())
