"""Matching speed and memory at scale, on generated records of realistic length.

    .venv/bin/python bench/matching_scale.py [--achievements 100000] [--needs 20000] [--realdata ../shared/realdata]

Texts are the development benchmarks' (bench-dev, and the real Chinese patent and journal abstracts of bench-cn-dev)
and (when the folder is there) the real public records' (USPTO abstracts, NASA software, SBIR awards as
achievements; SBIR topics as needs), each generated record being one of them with
sentences dropped and shuffled and words from the pool added, so that no two are alike. Prints:
- the full rebuild: tokenising (2 processes), fitting, the candidate products, scoring and top-K, and in total;
- the same rebuild with the records' token weights already encoded (what a rebuild costs when they are kept);
- matching one newly published record against the 100,000 on the other side (median of 50);
- the floor: a raw sparse top-50 product of the same needs x achievements matrices, and the ratio to it;
- the peak memory (resident set size) of the process.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdata import geography, load, taxonomy  # noqa: E402
from sparse_dot_topn import sp_matmul_topn  # noqa: E402

from matching.engine import AchievementRecord, EngineConfig, MatchingEngine, NeedRecord  # noqa: E402
from matching.engine.components import MODES  # noqa: E402

SENTENCE = re.compile(r"(?<=[。；！？.;!?])\s*")


def pools(realdata: Path, english_only: bool = False) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    achievements, needs, _ = load(ROOT / "bench/data/bench-dev")
    offers = [(a.title, a.text, a.lang) for a in achievements]
    asks = [(n.title, n.text, n.lang) for n in needs]
    # Real Chinese prose (patent and journal abstracts, and needs written as enterprises write them), so that the
    # catalogue is mostly Chinese, as a Chinese market's is.
    chinese = ROOT / "bench/data/bench-cn-dev"
    if chinese.exists() and not english_only:
        cn_achievements, cn_needs, _ = load(chinese)
        offers.extend((a.title, a.text, a.lang) for a in cn_achievements)
        asks.extend((n.title, n.text, n.lang) for n in cn_needs)
    if realdata.exists():
        for line in (realdata / "uspto-sbir-sample/uspto_applications_2023.jsonl").read_text().splitlines():
            r = json.loads(line)
            if r.get("abstract"):
                offers.append((r["title"].capitalize(), r["abstract"], "en"))
        for line in (realdata / "uspto-sbir-sample/sbir_awards_sample.jsonl").read_text().splitlines():
            r = json.loads(line)
            if r.get("Abstract"):
                offers.append((r["Award Title"], r["Abstract"], "en"))
        with (realdata / "nasa-software-catalog/nasa_software.csv").open(encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                if r.get("project_overview"):
                    offers.append((r["project_name"], r["project_overview"], "en"))
        with gzip.open(realdata / "sbir-topics-2008-2018/topics.jsonl.gz", "rt", encoding="utf-8") as handle:
            for line in handle:
                r = json.loads(line)
                if r.get("description"):
                    asks.append((r["title"], r["description"][:2500], "en"))
    return offers, asks


def mutate(rng: random.Random, title: str, text: str, vocabulary: list[str]) -> tuple[str, str]:
    sentences = [s for s in SENTENCE.split(text) if s.strip()]
    if len(sentences) > 2:
        keep = rng.sample(sentences, k=max(2, int(len(sentences) * rng.uniform(0.6, 1.0))))
    else:
        keep = sentences
    extra = " ".join(rng.sample(vocabulary, 8))
    return title, " ".join(keep) + " " + extra


def generate(n_achievements: int, n_needs: int, realdata: Path, seed: int = 11, english_only: bool = False):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    offers, asks = pools(realdata, english_only)
    words = sorted({w for _, text, _ in offers + asks for w in re.findall(r"[A-Za-z]{5,}|[\u4e00-\u9fff]{2,4}", text)})
    tax, geo = taxonomy(), geography()
    subs = [c for c in tax.parent if tax.is_sub(c)]
    cities = [c for _, cs in geo.clusters.values() for c in cs] + ["110100", "510100", "610100", "370100", "620100"]

    def place() -> tuple[str, str]:
        city = rng.choice(cities)
        return city[:2] + "0000", city

    achievements = []
    for i in range(n_achievements):
        title, text, lang = rng.choice(offers)
        title, text = mutate(rng, title, text, words)
        province, city = place()
        low = rng.choice([None, 20, 50, 100, 300, 800])
        achievements.append(
            AchievementRecord(
                ref=f"A{i}", title=title, text=text, keywords=(), lang=lang,
                domains=tuple(rng.sample(subs, rng.choice([0, 1, 1, 2]))), trl=rng.choice([None, *range(2, 10)]),
                price_min=low, price_max=None if low is None else low * 2,
                modes=tuple(rng.sample(MODES, rng.randint(0, 3))), province=province, city=city,
            )
        )  # fmt: skip
    needs = []
    for i in range(n_needs):
        title, text, lang = rng.choice(asks)
        title, text = mutate(rng, title, text, words)
        province, city = place()
        needs.append(
            NeedRecord(
                ref=f"N{i}", title=title, text=text, lang=lang, domains=tuple(rng.sample(subs, rng.choice([0, 1]))),
                min_trl=rng.choice([None, *range(3, 8)]), budget=rng.choice([None, 50, 100, 500]),
                modes=tuple(rng.sample(MODES, rng.randint(0, 2))),
                region_scope=rng.choice(["national", "national", "cluster", "province"]), province=province, city=city,
            )
        )  # fmt: skip
    return achievements, needs


def cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children (the forked tokenisers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--set", action="append", default=[], help="an engine setting, e.g. --set max_terms=0")
    parser.add_argument("--english", action="store_true", help="leave the Chinese real prose out of the pool")
    args = parser.parse_args()
    config = EngineConfig().replace(**{k: type(getattr(EngineConfig(), k))(float(v)) for k, v in
                                       (s.split("=") for s in args.set)})  # fmt: skip

    started = time.perf_counter()
    achievements, needs = generate(args.achievements, args.needs, args.realdata, english_only=args.english)
    chars = statistics.mean(len(r.title) + len(r.text) for r in achievements[:5000])
    print(f"generated {len(achievements)} achievements and {len(needs)} needs (mean {chars:.0f} characters) "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip

    engine = MatchingEngine(taxonomy(), geography(), config)
    engine.parallel = True  # a command's process may fork, as the tokenising step does
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    ach_counts = engine.encode(achievements, processes=2)
    need_counts = engine.encode(needs, processes=2)
    t_tokens = time.perf_counter() - t0
    c_tokens = cpu_seconds() - c0

    c0 = cpu_seconds()
    t0 = time.perf_counter()
    engine.fit(achievements, needs, achievement_counts=ach_counts, need_counts=need_counts)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    pairs = engine.rank()
    t_rank = time.perf_counter() - t0
    c_rest = cpu_seconds() - c0
    total = t_tokens + t_fit + t_rank
    print(f"full rebuild, cold: tokenise {t_tokens:.1f} s + fit and candidate products {t_fit:.1f} s "
          f"+ scoring and top-K {t_rank:.1f} s = {total:.1f} s; {len(pairs)} pairs kept")  # fmt: skip
    print(f"full rebuild, tokens already encoded: {t_fit + t_rank:.1f} s")
    print(f"CPU time (all processes): tokenise {c_tokens:.1f} s, fit, products, scoring and top-K {c_rest:.1f} s; "
          f"(on a busy machine, CPU time / 2 cores estimates the wall time when idle)")  # fmt: skip

    samples = []
    for need in needs[:50]:
        t0 = time.perf_counter()
        engine.rank_one(need)
        samples.append(time.perf_counter() - t0)
    print(f"one new need against {len(achievements)} achievements: median {statistics.median(samples) * 1000:.1f} ms, "
          f"max {max(samples) * 1000:.1f} ms")  # fmt: skip

    t0 = time.perf_counter()
    sp_matmul_topn(engine.N, engine.A.T.tocsr(), top_n=50, threshold=0.0, n_threads=2)
    t_floor = time.perf_counter() - t0
    print(f"floor: raw top-50 product needs x achievements {t_floor:.1f} s; "
          f"rebuild (tokens encoded) / floor = {(t_fit + t_rank) / t_floor:.1f}")  # fmt: skip
    print(f"peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
