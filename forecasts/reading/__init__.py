"""Reading forecasts out of article text: who said what, how sure they were, by when, as a question.

reader.py walks the article on a dependency parse (nlp.py), cut into pieces by pieces.py; registry.py learns the
people and bodies it names, attribution.py finds speakers (its word lists in words.py), claims.py what they claim,
signals.py forecast words and stated probabilities, deadlines.py the deadline, questions.py the question. Pure
text; no ORM.
"""

from forecasts.reading.reader import Candidate, read_article

__all__ = ["Candidate", "read_article"]
