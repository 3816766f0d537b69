"""The real-news corpus is usable as a measure: every development label's span is verbatim in its article, each
article has at least three core forecasts, and the scoring follows shared/reader-labelling.md. (The held-out set
is not read by tests; the benchmark checks its spans before it scores.)"""

from tests.benchmarks.corpus import CORPUS, Article, Item, load, overlaps, problems, same_speaker, score


def test_the_development_set_is_labelled_verbatim():
    articles = load("dev")
    assert len(articles) >= 30
    assert [problem for article in articles for problem in problems(article)] == []
    listed = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(article.name in listed for article in articles)


def test_matching_follows_the_labelling_rules():
    span = "I have no doubt rates will rise again before the summer."
    assert overlaps("rates will rise again before the summer", span)  # a shared run of 25+ characters
    assert overlaps("rates will rise", "rates will rise soon")  # 60% of the shorter
    assert not overlaps("The harvest may fail in the north.", span)
    assert same_speaker("Mr. Ortiz.", "Luis Ortiz") and same_speaker("Ortiz", "Luis Ortiz")
    assert not same_speaker("Fed", "Janet Yellen") and not same_speaker("", "Janet Yellen")

    article = Article(path=CORPUS / "x.txt", text="", items=[
        Item("C1", "C", "Ana Ruiz", span), Item("C2", "C", "Ana Ruiz", "Prices will fall by a tenth next year, she said."),
        Item("B1", "B", "analysts", "Analysts said a long strike could hurt exports badly."),
    ])
    result = score(article, [
        ("rates will rise again before the summer", "Ana Ruiz"),   # matched
        ("rates will rise again before the summer", "Ana Ruiz"),   # one-to-one: the item is taken
        ("Prices will fall by a tenth next year", "Bob Lee"),      # right span, wrong speaker
        ("a long strike could hurt exports badly", "analysts"),     # on a B item: neither way
    ])
    assert (result.matched, result.speaker_errors, result.on_borderline, result.proposals) == (1, 1, 1, 4)
    assert result.recall == 0.5 and result.precision == 1 / 3
