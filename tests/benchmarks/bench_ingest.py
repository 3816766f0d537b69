"""Reading articles for forecasts: time on the seeded article at 1 MB and on pathological 1 MB texts, each as a ratio
to normalizing the same text (the baseline measured in the same run). A ratio that grows with the size is a
quadratic path. Not part of the test suite.

    .venv/bin/python tests/benchmarks/bench_ingest.py
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from forecasts.ingest import find_candidates  # noqa: E402
from forecasts.text import normalize_text  # noqa: E402

SIZE = 950_000
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
}


def timed(function, text, repeat=3):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    print(f"{'text (' + format(SIZE, ',') + ' characters)':<44}{'normalize s':>12}{'read s':>9}{'ratio':>8}{'drafts':>8}")
    worst = 0.0
    for name, unit in CASES.items():
        text = unit * (SIZE // len(unit))
        normalize_s, normalized = timed(normalize_text, text)
        read_s, candidates = timed(find_candidates, normalized)
        worst = max(worst, read_s / normalize_s)
        print(f"{name:<44}{normalize_s:>12.2f}{read_s:>9.2f}{read_s / normalize_s:>8.1f}{len(candidates):>8}")
    print(f"RESULT worst_read_over_normalize={worst:.1f}")


if __name__ == "__main__":
    main()
