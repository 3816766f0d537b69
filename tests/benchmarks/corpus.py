"""The labelled real-news corpus (tests/articles/real/) and the scoring rules of shared/reader-labelling.md.

Pure Python: no database, nothing of the reader's. A proposal is (quote, speaker); an item is a label row.
"""

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "articles" / "real"
MIN_SHARED_RUN, MIN_SHARED_SHARE = 25, 0.60
TITLES = {"mr", "mrs", "ms", "dr", "prof", "professor", "sir", "gen", "general", "president", "minister", "the", "of",
          "and", "said", "chairman", "chief", "secretary", "senator", "sen", "rep", "governor", "gov"}


@dataclass
class Item:
    id: str
    cls: str  # "C" core or "B" borderline
    speaker: str
    span: str


@dataclass
class Article:
    path: Path
    text: str
    items: list[Item]

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass
class Score:
    core: int = 0
    borderline: int = 0
    proposals: int = 0
    matched: int = 0
    speaker_errors: int = 0
    on_borderline: int = 0

    def add(self, other: "Score") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.matched / self.core if self.core else 0.0

    @property
    def precision(self) -> float:
        counted = self.proposals - self.on_borderline
        return self.matched / counted if counted else 0.0


def parse_labels(path: Path) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0].lower() == "id" or set("".join(cells)) <= set("-: "):
            continue
        items.append(Item(id=cells[0], cls=cells[1].upper(), speaker=cells[2], span=cells[3].replace("\\|", "|")))
    return items


def load(folder: str) -> list[Article]:
    articles = []
    for labels in sorted((CORPUS / folder).glob("*.labels.md")):
        text_path = labels.with_name(labels.name.removesuffix(".labels.md") + ".txt")
        articles.append(Article(path=text_path, text=text_path.read_text(encoding="utf-8"), items=parse_labels(labels)))
    return articles


def problems(article: Article) -> list[str]:
    """What is wrong with an article's labels: a span not verbatim in the text, fewer than three core items."""
    found = [f"{article.name} {item.id}: span not verbatim" for item in article.items if item.span not in article.text]
    if sum(item.cls == "C" for item in article.items) < 3:
        found.append(f"{article.name}: fewer than three core forecasts")
    return found


def overlaps(a: str, b: str) -> bool:
    """The rule's match: a shared run of at least 25 characters, or of 60% of the shorter."""
    a, b = " ".join(a.split()), " ".join(b.split())
    if not a or not b:
        return False
    run = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size
    return run >= MIN_SHARED_RUN or run >= MIN_SHARED_SHARE * min(len(a), len(b))


def _name_words(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = {word.strip(".'-") for word in re.findall(r"[a-z][a-z'.-]*", folded)}
    return {word for word in words if word not in TITLES and len(word) > 2}


def same_speaker(proposed: str, labelled: str) -> bool:
    """The same person or body: a shared name word (a surname, "Mr Ortiz" for "Luis Ortiz", "IMF")."""
    return bool(_name_words(proposed) & _name_words(labelled))


def score(article: Article, proposals: list[tuple[str, str]]) -> Score:
    """One-to-one: proposals first claim the core items they match with the right speaker; a proposal on a core
    item with the wrong speaker is a speaker error; one on a borderline item counts for nothing."""
    result = Score(
        core=sum(item.cls == "C" for item in article.items),
        borderline=sum(item.cls == "B" for item in article.items),
        proposals=len(proposals),
    )
    free = list(article.items)
    left = []
    for quote, speaker in proposals:
        match = next((item for item in free if item.cls == "C" and overlaps(quote, item.span)
                      and same_speaker(speaker, item.speaker)), None)
        if match is not None:
            free.remove(match)
            result.matched += 1
        else:
            left.append((quote, speaker))
    for quote, speaker in left:
        core = next((item for item in free if item.cls == "C" and overlaps(quote, item.span)), None)
        if core is not None:
            free.remove(core)
            result.speaker_errors += 1
            continue
        borderline = next((item for item in free if item.cls == "B" and overlaps(quote, item.span)), None)
        if borderline is not None:
            free.remove(borderline)
            result.on_borderline += 1
    return result
