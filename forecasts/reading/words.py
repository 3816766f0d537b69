"""The words the reader goes by: verbs that attribute, titles and nouns that describe people and bodies, the
bodies news quotes most by their acronyms. Data, one list each; attribution.py and registry.py read them."""

_STEMS = {
    "say": "says said saying", "tell": "tells told telling", "add": "adds added adding",
    "warn": "warns warned warning", "predict": "predicts predicted predicting", "expect": "expects expected expecting",
    "forecast": "forecasts forecasted forecasting", "argue": "argues argued arguing", "believe": "believes believed",
    "doubt": "doubts doubted", "estimate": "estimates estimated estimating", "note": "notes noted noting",
    "think": "thinks thought", "suggest": "suggests suggested", "insist": "insists insisted",
    "claim": "claims claimed", "foresee": "foresees foresaw foreseen foreseeing", "anticipate": "anticipates anticipated",
    "project": "projects projected projecting", "caution": "cautions cautioned", "concede": "concedes conceded",
    "acknowledge": "acknowledges acknowledged", "assert": "asserts asserted", "declare": "declares declared",
    "state": "states stated", "announce": "announces announced", "report": "reports reported",
    "indicate": "indicates indicated", "explain": "explains explained", "stress": "stresses stressed",
    "write": "writes wrote written", "reckon": "reckons reckoned", "suspect": "suspects suspected",
    "fear": "fears feared", "comment": "comments commented", "admit": "admits admitted",
    "maintain": "maintains maintained", "contend": "contends contended", "observe": "observes observed",
    "remark": "remarks remarked", "reply": "replies replied", "respond": "responds responded",
    "conclude": "concludes concluded", "calculate": "calculates calculated", "see": "sees", "find": "finds found",
    "show": "shows showed", "call": "calls", "promise": "promises promised", "vow": "vows vowed",
    "hint": "hints hinted", "signal": "signals signaled signalled", "confirm": "confirms confirmed",
    "emphasize": "emphasizes emphasized emphasises emphasised", "point": "points pointed", "hope": "hopes",
    "worry": "worries worried", "feel": "feels felt", "agree": "agrees agreed", "envisage": "envisages envisaged", "envision": "envisions envisioned",
    "guess": "guesses guessed", "bet": "bets", "wager": "wagers", "reiterate": "reiterates reiterated",
    "disagree": "disagrees disagreed", "counter": "counters countered",
}

SPEECH_VERBS = frozenset(w for stem, forms in _STEMS.items() for w in (stem, *forms.split()))

# Verbs whose object alone is a forecast ("predicts growth of 0.1 percent", "foresees a one in three chance").
PREDICTIVE = frozenset(w for stem in ("predict", "forecast", "foresee", "expect", "anticipate", "project", "estimate",
                                      "see", "envisage", "envision") for w in (stem, *_STEMS[stem].split()))

# Said of a subject, not a speaker: "sees" and "shows" need a report or a person, "call" needs "for".
WEAK = frozenset({"see", "sees", "find", "finds", "found", "show", "shows", "showed", "call", "calls", "point",
                  "points", "pointed", "hope", "hopes", "worry", "worries", "worried", "report", "reports",
                  "reported", "state", "states", "stated", "signal", "signals", "feel", "feels", "felt", "agree", "agrees",
                  "agreed"})

TITLES = frozenset("""mr mrs ms miss mister dr prof professor sir dame lord lady gen general col colonel lt maj major adm admiral
president vice minister prime premier secretary senator sen rep representative governor gov chairman chairwoman chair
chief executive director spokesman spokeswoman spokesperson ambassador king queen prince princess pope rev reverend
judge justice mayor chancellor commissioner deputy former then head leader ceo cfo economist analyst strategist
professor""".split())

# "X raised / lowered / cut its forecast for …": the forecast is X's.
REVISING = frozenset("""raise raises raised lower lowers lowered cut cuts revise revises revised lift lifts lifted trim
trims trimmed boost boosts boosted reduce reduces reduced upgrade upgrades upgraded downgrade downgrades downgraded
issue issues issued release releases released publish publishes published maintain maintains maintained keep keeps
kept reaffirm reaffirms reaffirmed increase increases increased repeat repeats repeated reiterate reiterates reiterated
dampen dampens dampened temper tempers tempered""".split())

FORECAST_NOUNS = frozenset("""forecast forecasts outlook outlooks projection projections estimate estimates prediction
predictions expectations guidance""".split())

PERSON_NOUNS = frozenset("""official spokesman spokeswoman spokesperson expert analyst economist strategist director
chairman chairwoman chair president minister secretary governor ambassador adviser advisor professor scientist
researcher pollster forecaster chief executive head leader officer diplomat commander general lawyer author
candidate senator representative deputy negotiator envoy aide commissioner prosecutor lawmaker legislator politician
activist campaigner scholar academic historian lecturer physician doctor""".split())

BELIEF_ADJECTIVES = frozenset({"confident", "convinced", "certain", "sure", "optimistic", "pessimistic", "adamant"})

GENERIC = frozenset("""analysts analyst experts expert observers observer economists economist diplomats diplomat
sources source researchers researcher scientists scientist forecasters forecaster officials official people critics
commentators investors traders strategists insiders some many others most few""".split())

BODY_HEADS = frozenset("""report study survey poll outlook forecast panel commission committee company firm group
agency organization organisation bank fund government ministry department administration office council union
institute association authority board service party team center centre programme program index figures data
model lender institution body bureau watchdog regulator agency organisation research findings""".split())

# Documents a body issues: "the report says" means whoever issued the last one the article introduced.
REPORT_NOUNS = frozenset("""report reports study survey research findings outlook analysis assessment review paper
projections estimates update predictions forecasts""".split())

QUANTIFIERS = frozenset("most many some half all several majority both each".split())

# Who answered a survey: "the 45 business economists questioned", "economists surveyed by …".
SURVEYED = frozenset("questioned surveyed polled interviewed asked".split())

ISSUING = frozenset("""release releases released issue issues issued publish publishes published present presents
presented unveil unveils unveiled produce produces produced launch launches launched prepare prepared compile compiled
commission commissioned""".split())

# Bodies news quotes most, by acronym: a label or an analyst may use either form.
KNOWN_BODIES = {
    "IMF": "International Monetary Fund", "WHO": "World Health Organization", "UN": "United Nations",
    "EU": "European Union", "NATO": "North Atlantic Treaty Organization", "OPEC": "Organization of the Petroleum "
    "Exporting Countries", "OECD": "Organisation for Economic Co-operation and Development",
    "ILO": "International Labour Organization", "IAEA": "International Atomic Energy Agency",
    "IEA": "International Energy Agency", "FAO": "Food and Agriculture Organization", "WTO": "World Trade Organization",
    "UNICEF": "United Nations Children's Fund", "UNHCR": "United Nations High Commissioner for Refugees",
    "IPCC": "Intergovernmental Panel on Climate Change", "WMO": "World Meteorological Organization",
    "ITU": "International Telecommunication Union", "ECB": "European Central Bank", "CBO": "Congressional Budget Office",
    "OMB": "Office of Management and Budget", "EIA": "Energy Information Administration",
    "NOAA": "National Oceanic and Atmospheric Administration", "NASA": "National Aeronautics and Space Administration",
    "CDC": "Centers for Disease Control and Prevention", "FDA": "Food and Drug Administration",
    "RBA": "Reserve Bank of Australia", "BOJ": "Bank of Japan", "BOE": "Bank of England",
    "ADB": "Asian Development Bank", "UNEP": "United Nations Environment Programme", "UNAIDS": "Joint United Nations "
    "Programme on HIV/AIDS", "NIS": "National Intelligence Service",
}

PRONOUNS_PERSON = {"he", "she", "him", "her"}

PRONOUNS_BODY = {"it"}

PRONOUNS_PLURAL = {"they", "them"}

ENTITY_LABELS = {"PERSON", "ORG", "GPE", "NORP"}

ACRONYM_FILLERS = {"of", "on", "for", "and", "the", "de", "in"}
# Nouns that name a chance: "a 30 percent chance the bank won't …", "the odds that …", "the probability of a recession".
CHANCE_NOUNS = frozenset("""chance chances probability likelihood odds possibility risk prospect prospects""".split())
# Verbs of belief about what will happen: a negated one denies the claim ("I don't think X will"), and "we will"
# under one is a forecast, not a plan ("I think we will live to regret it").
BELIEF_VERBS = frozenset("""think thinks thought believe believes believed expect expects expected see sees imagine
imagines predict predicts predicted reckon reckons suppose supposes anticipate anticipates foresee foresees suspect
suspects guess bet doubt trust trusts""".split())

