from forecasts.text import normalize_text


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


def test_curly_quotes_and_white_space_are_normalized_and_paragraphs_kept():
    text = normalize_text("  \u2018One\u2019   said  \u201ctwo\u201d.\r\n\r\n\r\nNext\u00a0para. ")
    assert text == "'One' said \"two\".\n\nNext para.\n"


def test_normalizing_twice_changes_nothing():
    raw = "A reall\ny long text that is really long.\n\nSecond."
    once = normalize_text(raw)
    assert normalize_text(once) == once
