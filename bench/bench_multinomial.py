#!/usr/bin/env python3
"""Benchmark: time per EM iteration of mixlearn's count mixtures against the GEMM floor.

    python bench/bench_multinomial.py --quick      # n=2e3 x V=1e3, k in {10, 50}: seconds
    python bench/bench_multinomial.py              # n=1e4 x V=5e3 (dense float64, 400 MB), k in {10, 50}

Run from the repository root (or with mixlearn on PYTHONPATH); needs numpy and scipy only.

Data: a synthetic count matrix (documents x vocabulary) drawn from a 20-topic multinomial mixture
with Zipf-like word probabilities and document lengths ~ Poisson(200): about 3% of entries nonzero,
stored as a dense float64 array (the layout `MultinomialMixture` works on).

What is timed, in the same run:
- the floor: one GEMM `X @ W` with X (n, V) and W (V, k), the matrix product the E-step cannot avoid
  (the M-step's `resp.T @ X` is a second one of the same size, so 2x the floor is the ideal);
- `MultinomialMixture`: one EM iteration exactly as the engine runs it (`_e_step` into the engine's
  (k, n) buffer, the bound, `_m_step`), with the per-fit statistics cached as `fit` does; median of
  `--repeat` iterations. The time of one whole `fit(max_iter=10)` (validation, k-means init) is also
  printed for context;
- `DirichletMultinomialMixture` (k=10 only, for reference): one EM iteration with the default
  `fixed_point_max_iter` (50 Minka sweeps at most, each one `digamma` of the nonzero counts per
  component) and with 5 sweeps.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mixlearn.em import row_sums  # noqa: E402
from mixlearn.dirichlet import DirichletMultinomialMixture, MultinomialMixture  # noqa: E402


def make_counts(n, V, rng, n_topics=20, mean_length=200):
    "Dense float64 (n, V) counts from a multinomial mixture with Zipf-like topics, built in row chunks."
    base = 1.0 / np.arange(1, V + 1) ** 1.1
    topics = np.array([rng.permutation(base) for _ in range(n_topics)])
    topics /= topics.sum(axis=1, keepdims=True)
    X = np.empty((n, V))
    for start in range(0, n, 1000):
        stop = min(n, start + 1000)
        labels = rng.integers(n_topics, size=stop - start)
        X[start:stop] = rng.multinomial(rng.poisson(mean_length, size=stop - start) + 1, topics[labels])
    return X


def median_time(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def em_iteration_times(model, X, W, repeat):
    """Median times of the GEMM floor `X @ W` and of one engine EM iteration (E-step, bound, M-step,
    with fit's cached statistics), measured alternately so that both see the same machine load."""
    model._fit_cache = {}                                  # what fit keeps for its X (`_cached`)
    buffer = np.empty((model.n_components, X.shape[0])).T

    def iteration():
        log_prob_norm, resp = model._e_step(X, out=buffer)
        model._objective(*row_sums(log_prob_norm, None))
        model._update(X, resp)
    iteration()                                            # warm up
    floors, iterations = [], []
    for _ in range(repeat):
        floors.append(median_time(lambda: X @ W, 1))
        iterations.append(median_time(iteration, 1))
    del model._fit_cache
    return statistics.median(floors), statistics.median(iterations)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n=2000, V=1000")
    parser.add_argument("--n", type=float, default=1e4)
    parser.add_argument("--V", type=float, default=5e3)
    parser.add_argument("--k", default="10,50")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, V = (2000, 1000) if args.quick else (int(args.n), int(args.V))
    ks = [int(k) for k in args.k.split(",")]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    X = make_counts(n, V, rng)
    print(f"data: X ({n}, {V}) float64, {X.nbytes / 1e6:.0f} MB, {np.count_nonzero(X) / X.size:.1%} nonzero, "
          f"mean row total {X.sum(1).mean():.0f} (made in {time.perf_counter() - start:.1f} s)")
    print(f"numpy {np.__version__}")
    print()
    print("| model | k | GEMM floor X@W (ms) | EM iteration (ms) | ratio to floor | fit(max_iter=10) (s) |")
    print("|---|---|---|---|---|---|")
    for k in ks:
        W = rng.standard_normal((V, k))
        model = MultinomialMixture(k, random_state=0, max_iter=10, tol=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model.fit(X)
            fit_seconds = time.perf_counter() - start
        floor, iteration = em_iteration_times(model, X, W, args.repeat)
        print(f"| MultinomialMixture | {k} | {1e3 * floor:.1f} | {1e3 * iteration:.1f} | "
              f"{iteration / floor:.2f} | {fit_seconds:.2f} |")
    k = 10
    W = rng.standard_normal((V, k))
    for sweeps in (50, 5):
        model = DirichletMultinomialMixture(k, random_state=0, fixed_point_max_iter=sweeps)
        model.weights_ = np.full(k, 1.0 / k)
        model.alphas_ = rng.dirichlet(np.ones(V), size=k) * 100.0
        floor, iteration = em_iteration_times(model, X, W, max(1, args.repeat // 2))
        print(f"| DirichletMultinomialMixture ({sweeps} sweeps max) | {k} | {1e3 * floor:.1f} | "
              f"{1e3 * iteration:.1f} | {iteration / floor:.1f} | - |")


if __name__ == "__main__":
    main()
