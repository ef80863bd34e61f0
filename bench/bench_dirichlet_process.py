#!/usr/bin/env python3
"""Benchmark: scikit-learn's BayesianGaussianMixture (dirichlet_process) against mixlearn's
DirichletProcessGaussianMixture, on the same data, the same starting responsibilities and the same
number of iterations.

    python bench/bench_dirichlet_process.py --quick      # a few cases, about a minute
    python bench/bench_dirichlet_process.py              # the default grid (several minutes on 2 cores)
    python bench/bench_dirichlet_process.py --n 1e5 --d 2,10 --t 20 --types full,diag --threads 1

Run from the repository root (or with mixlearn on PYTHONPATH). Needs numpy, scipy, scikit-learn and
threadpoolctl (the `dev` extras). Run on demand; CI does not run it. See bench/README.md.

For every case (n, d, T, covariance_type) both estimators get the same data, the same constructor
arguments (truncation T, concentration 1, default priors, `reg_covar=1e-6`, `tol=0` so that both run
exactly `max_iter` iterations) and the same starting responsibilities: random rows from a
Dirichlet(1, ..., 1), handed to each library by overriding the one method that computes them
(scikit-learn's `_initialize_parameters`, mixlearn's `_initialize`), so that neither times its
k-means. Timed fits alternate sklearn, mixlearn, sklearn, mixlearn, ... and the medians are reported,
with the agreement of the fitted weights, means and covariances.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# run from a clone without installing: put the repository root (the parent of bench/) first
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import threadpoolctl  # noqa: E402
from sklearn.mixture import BayesianGaussianMixture  # noqa: E402

from bench_gaussian import (fmt_seconds, geometric_mean, machine_facts, make_data, parse_ints,  # noqa: E402
                            parse_types, relative_difference, warm_allocator)
from mixlearn.dirichlet_process import DirichletProcessGaussianMixture  # noqa: E402

DEFAULT_N = (10_000, 100_000)
DEFAULT_D = (2, 5, 10)
DEFAULT_T = (10, 30)
DEFAULT_TYPES = ("full", "tied", "diag", "spherical")
QUICK = dict(n=(10_000,), d=(2, 10), t=(20,), types=("full", "diag"))


def starting_responsibilities(n: int, truncation: int, seed: int) -> np.ndarray:
    "Random rows of a Dirichlet(1, ..., 1): the same start for both libraries."
    return np.random.default_rng([seed, n, truncation, 11]).dirichlet(np.ones(truncation), size=n)


def make_estimators(resp: np.ndarray, truncation: int, covariance_type: str, max_iter: int, seed: int):
    "(sklearn, mixlearn) classes and constructor kwargs; both start from `resp`."
    class SklearnFromResp(BayesianGaussianMixture):
        def _initialize_parameters(self, X, random_state, *args, **kwargs):
            self._initialize(X, resp.copy())

    class MixlearnFromResp(DirichletProcessGaussianMixture):
        def _initialize(self, X, responsibilities):
            super()._initialize(X, lambda: resp.copy())

    common = dict(covariance_type=covariance_type, tol=0.0, reg_covar=1e-6, max_iter=max_iter,
                  init_params="random_from_data", random_state=seed)
    sklearn = (SklearnFromResp, dict(n_components=truncation, weight_concentration_prior_type="dirichlet_process",
                                     weight_concentration_prior=1.0, **common))
    mixlearn = (MixlearnFromResp, dict(truncation=truncation, concentration=1.0, **common))
    return sklearn, mixlearn


def timed_fit(cls, kwargs, X):
    "Fit a fresh estimator; return (estimator, wall-clock seconds, process CPU seconds)."
    model = cls(**kwargs)
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # tol=0 never converges: both warn, by design
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(X)
        return model, time.perf_counter() - start, time.process_time() - start_cpu


COLUMNS = ("n", "d", "T", "cov", "iter", "reps", "sklearn s", "mixlearn s", "speed-up", "spread", "cpu speed-up",
           "rel diff w", "rel diff means", "rel diff covs", "load")
WIDTHS = (6, 3, 3, 9, 4, 4, 9, 10, 8, 6, 12, 10, 14, 13, 4)


def row_cells(r: dict) -> list[str]:
    return [f"{r['n']:.0e}".replace("+0", ""), str(r["d"]), str(r["T"]), r["cov"], str(r["max_iter"]),
            str(r["repeats"]), fmt_seconds(r["t_sk"]), fmt_seconds(r["t_ml"]), f"{r['speedup']:.2f}",
            f"{100 * r['spread']:.0f}%", f"{r['cpu_speedup']:.2f}", f"{r['diff_w']:.1e}", f"{r['diff_means']:.1e}",
            f"{r['diff_covs']:.1e}", "-" if r["load"] is None else f"{r['load']:.1f}"]


def text_row(cells) -> str:
    return "  ".join(c.ljust(w) if i == 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, WIDTHS)))


def markdown_table(results: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(":---" if c == "cov" else "---:" for c in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in results]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n=1e4, d in {2, 10}, T=20, full and diag")
    parser.add_argument("--n", type=parse_ints, help="sample counts, comma-separated (default 1e4,1e5)")
    parser.add_argument("--d", type=parse_ints, help="feature counts (default 2,5,10)")
    parser.add_argument("--t", type=parse_ints, help="truncations T (default 10,30)")
    parser.add_argument("--types", type=parse_types, help="covariance types (default all four)")
    parser.add_argument("--max-iter", type=int, default=10, help="iterations for every case (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per library and case (default 3)")
    parser.add_argument("--threads", type=int, help="limit BLAS/OpenMP threads with threadpoolctl")
    parser.add_argument("--data-clusters", type=int, default=8, help="clusters in the synthetic data (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and starting responsibilities")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table at the end")
    args = parser.parse_args(argv)

    base = QUICK if args.quick else dict(n=DEFAULT_N, d=DEFAULT_D, t=DEFAULT_T, types=DEFAULT_TYPES)
    ns, ds, ts = args.n or base["n"], args.d or base["d"], args.t or base["t"]
    types = args.types or base["types"]
    if args.repeats < 2 or args.max_iter < 1:
        parser.error("--repeats must be at least 2 and --max-iter at least 1")
    limiter = threadpoolctl.threadpool_limits(limits=args.threads) if args.threads else None
    warm_allocator()

    print("# mixlearn DirichletProcessGaussianMixture vs scikit-learn BayesianGaussianMixture(dirichlet_process)",
          flush=True)
    for line in machine_facts():
        print("# " + line)
    print(f"# grid: n={list(ns)} d={list(ds)} T={list(ts)} types={list(types)}; data: {args.data_clusters}-cluster "
          f"Gaussian mixture (bench_gaussian.make_data), seed {args.seed}; BLAS threads: {args.threads or 'as found'}")
    print(f"# each case: tol=0, max_iter={args.max_iter}, the same Dirichlet(1) starting responsibilities, default "
          "priors, concentration 1; timed fits interleaved sklearn/mixlearn; medians")
    print("# speed-up = sklearn / mixlearn median wall time (> 1: mixlearn faster); cpu speed-up: the same for "
          "process CPU time; spread = largest (max - min) / median of either library's fits;")
    print("# rel diff = max|ml - sk| / max|sk| of weights_, means_, covariances_ after the fit; load = 1-min load "
          "average after the case", flush=True)

    X_small = make_data(2000, 3, 3, args.seed)                 # warm both libraries up
    for cov in types:
        for cls, kwargs in make_estimators(starting_responsibilities(2000, 5, args.seed), 5, cov, 2, args.seed):
            timed_fit(cls, kwargs, X_small)

    print()
    print(text_row(COLUMNS))
    print(text_row(["-" * w for w in WIDTHS]), flush=True)
    results, mismatches = [], []
    started = time.perf_counter()
    for n in ns:
        for d in ds:
            X = make_data(n, d, args.data_clusters, args.seed)
            for T in ts:
                if T > n:
                    continue
                resp = starting_responsibilities(n, T, args.seed)
                for cov in types:
                    pair = make_estimators(resp, T, cov, args.max_iter, args.seed)
                    times, cpu_times, models = ([], []), ([], []), [None, None]
                    for _ in range(args.repeats):              # A B A B ...
                        for side, (cls, kwargs) in enumerate(pair):
                            models[side], seconds, cpu_seconds = timed_fit(cls, kwargs, X)
                            times[side].append(seconds)
                            cpu_times[side].append(cpu_seconds)
                    sk, ml = models
                    assert sk.n_iter_ == ml.n_iter_ == args.max_iter, (sk.n_iter_, ml.n_iter_)
                    t_sk, t_ml = statistics.median(times[0]), statistics.median(times[1])
                    r = dict(n=n, d=d, T=T, cov=cov, max_iter=args.max_iter, repeats=args.repeats, t_sk=t_sk,
                             t_ml=t_ml, speedup=t_sk / t_ml,
                             spread=max((max(ts_) - min(ts_)) / statistics.median(ts_) for ts_ in times),
                             cpu_speedup=statistics.median(cpu_times[0]) / statistics.median(cpu_times[1]),
                             diff_w=relative_difference(ml.weights_, sk.weights_),
                             diff_means=relative_difference(ml.means_, sk.means_),
                             diff_covs=relative_difference(ml.covariances_, sk.covariances_),
                             load=os.getloadavg()[0] if hasattr(os, "getloadavg") else None)
                    results.append(r)
                    flag = ""
                    if max(r["diff_w"], r["diff_means"], r["diff_covs"]) > 1e-6:
                        mismatches.append(r)
                        flag = "  <-- RESULTS DIFFER"
                    print(text_row(row_cells(r)) + flag, flush=True)
            del X
            gc.collect()

    print()
    if results:
        print(f"# {len(results)} cases in {time.perf_counter() - started:.0f} s; geometric mean speed-up "
              f"(sklearn/mixlearn): {geometric_mean(r['speedup'] for r in results):.2f} (CPU time: "
              f"{geometric_mean(r['cpu_speedup'] for r in results):.2f})")
        for cov in types:
            rows = [r for r in results if r["cov"] == cov]
            if rows:
                print(f"#   {cov:>9}: geometric mean speed-up {geometric_mean(r['speedup'] for r in rows):.2f}, "
                      f"smallest {min(r['speedup'] for r in rows):.2f}")
        print(f"# largest relative difference of weights_/means_/covariances_: "
              f"{max(max(r['diff_w'], r['diff_means'], r['diff_covs']) for r in results):.1e}")
    if mismatches:
        print(f"# WARNING: {len(mismatches)} case(s) where the fits differ by more than 1e-6")
    if hasattr(os, "getloadavg"):
        print("# load average at the end (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.markdown and results:
        print()
        print(markdown_table(results))
    if limiter is not None:
        limiter.restore_original_limits()
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
