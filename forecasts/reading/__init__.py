"""Reading forecasts out of article text: who said what, how sure they were, by when, as a question.

reader.py walks the article on a dependency parse (nlp.py); attribution.py finds speakers, signals.py forecast
words and stated probabilities, deadlines.py the deadline, questions.py the question. Pure text; no ORM.
"""

from forecasts.reading.reader import Candidate, read_article

__all__ = ["Candidate", "read_article"]
