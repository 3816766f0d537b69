"""Reading articles for forecasts: time on the seeded article and on pathological texts at 50 KB and 200 KB, the
parse included, each as seconds per 50 KB (a figure that grows with the size is a quadratic path) and as a ratio to
normalizing the same text (the baseline measured in the same run). First, normalizing alone on line-break texts at
25 KB, 100 KB and 1 MB: seconds that grow faster than the size are a quadratic path too (the aim is 1 MB in under a
second). Last, the memory a 1 MB article costs the process that reads it (its own peak, VmHWM, beside the peak
with the model loaded and nothing read: the baseline), for real prose and for a pathological text, each in a fresh
process. Not part of the test suite; about four minutes on two cores (the parser reads some 10,000 words a second).

    .venv/bin/python tests/benchmarks/bench_ingest.py
    .venv/bin/python tests/benchmarks/bench_ingest.py --memory-only
"""

import random
import statistics
import string
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from forecasts.reading import read_article  # noqa: E402
from forecasts.text import normalize_text  # noqa: E402

READ_SIZES = (50_000, 200_000)
SEEDED = (ROOT / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch.txt").read_text(encoding="utf-8")
CASES = {
    "seeded article, repeated": SEEDED + "\n\n",
    "one paragraph of capitalised words": "Aaa Bbb Ccc Ddd Eee Fff Ggg ",
    "one quotation with no end": '"word, ',
    "many quotations in one paragraph": '"a b c d," he said. ',
    "reported speech with no full stop": "analysts said that ",
    "relative clauses": "who will ",
    "names with speech verbs": "John Smith said ",
    "according to, again and again": "According to Aaa Bbb, ",
    "pronouns after many names": "Luis Ortiz met Ana Ruiz. He said prices will rise. ",
    "descriptions named next": "A leading analyst said rates will rise. Dan Hale, an economist, said it too. ",
    "reports and surveys": "The Fund released a report. The report says growth will slow. ",
}

NORMALIZE_SIZES = (25_000, 100_000, 1_000_000)
_random = random.Random(1)
_NORMALIZED = (ROOT / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch.normalized.txt").read_text(encoding="utf-8")
LINE_BREAK_CASES = {
    "seeded article (breaks inside words)": SEEDED + "\n\n",
    "seeded article wrapped at 72": "\n\n".join(textwrap.fill(p, 72) for p in _NORMALIZED.split("\n\n")) + "\n\n",
    "one run of letters, no break": "a",
    "a long run of letters, then a break": "a" * 9_999 + " \nb ",
    "one letter a line": "a\n",
    "random letters, random breaks": "".join(
        _random.choice(string.ascii_lowercase) + ("\n" if _random.random() < 0.3 else "") for _ in range(50_000)
    ),
    "a word cut, trailing spaces, tab, CRLF": "reall \t\r\ny troubling ",
}


def timed(function, text, repeat=3):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def normalize_figures() -> None:
    print(f"{'normalize_text on':<44}" + "".join(f"{format(size, ',') + ' s':>14}" for size in NORMALIZE_SIZES))
    worst = 0.0
    for name, unit in LINE_BREAK_CASES.items():
        seconds = [timed(normalize_text, (unit * (size // len(unit) + 1))[:size])[0] for size in NORMALIZE_SIZES]
        worst = max(worst, seconds[-1])
        print(f"{name:<44}" + "".join(f"{s:>14.3f}" for s in seconds))
    print(f"RESULT worst_normalize_1mb_s={worst:.2f}\n")


MEMORY_CASES = {
    "real prose (the development set, repeated)": "",
    "names with speech verbs": "John Smith said ",
    "hyphen chains (dense tokens)": "Maria said the " + "-".join(["ab"] * 66) + " will rise soon. ",
}


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _read_one_megabyte(case: str) -> None:
    """In a fresh process: the peak with the model loaded, then the peak after reading 1 MB of the case."""
    from forecasts.reading.nlp import pipeline
    from tests.benchmarks.corpus import load

    unit = MEMORY_CASES[case] or "\n\n".join(article.text for article in load("dev"))
    text = normalize_text((unit * (1_000_000 // len(unit) + 1))[:1_000_000])
    pipeline()
    loaded = _peak_mb()
    started = time.perf_counter()
    drafts = len(read_article(text))
    print(f"{loaded:.0f} {_peak_mb():.0f} {time.perf_counter() - started:.1f} {drafts}")


def memory_figures() -> None:
    print(f"\n{'1 MB read in a fresh process':<44}{'model MB':>10}{'peak MB':>10}{'read MB':>10}{'s':>8}{'drafts':>8}")
    worst = 0.0
    for case in MEMORY_CASES:
        out = subprocess.run([sys.executable, __file__, "--read-1mb", case], capture_output=True, text=True, check=True)
        loaded, peak, seconds, drafts = out.stdout.split()
        worst = max(worst, float(peak) - float(loaded))
        print(f"{case:<44}{loaded:>10}{peak:>10}{float(peak) - float(loaded):>10.0f}{seconds:>8}{drafts:>8}")
    print(f"RESULT read_1mb_extra_mb={worst:.0f}")


def main() -> None:
    if "--read-1mb" in sys.argv:
        return _read_one_megabyte(sys.argv[-1])
    if "--memory-only" in sys.argv:
        return memory_figures()
    normalize_figures()
    from forecasts.reading.nlp import pipeline

    pipeline()  # loaded once, outside the timings
    print(f"{'read (parse included)':<44}" + "".join(f"{format(size, ',') + ' s':>12}" for size in READ_SIZES)
          + f"{'s per 50 KB':>14}{'ratio':>8}{'drafts':>8}")
    worst_growth, worst_ratio = 0.0, 0.0
    for name, unit in CASES.items():
        seconds, ratio, drafts = [], 0.0, 0
        for size in READ_SIZES:
            text = (unit * (size // len(unit) + 1))[:size]
            normalize_s, normalized = timed(normalize_text, text)
            read_s, candidates = timed(lambda t: read_article(t), normalized, repeat=1)
            seconds.append(read_s)
            ratio, drafts = read_s / normalize_s, len(candidates)
        per_50kb = [s / (size / 50_000) for s, size in zip(seconds, READ_SIZES)]
        worst_growth = max(worst_growth, per_50kb[-1] / per_50kb[0])
        worst_ratio = max(worst_ratio, ratio)
        print(f"{name:<44}" + "".join(f"{s:>12.2f}" for s in seconds) + f"{per_50kb[-1]:>14.2f}{ratio:>8.0f}{drafts:>8}")
    print(f"RESULT worst_read_growth_50kb_to_200kb={worst_growth:.2f} worst_read_over_normalize={worst_ratio:.0f}")
    memory_figures()


if __name__ == "__main__":
    main()
