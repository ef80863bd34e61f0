#!/usr/bin/env python3
"""Benchmark: one EM iteration of GaussianMixture(nan_policy="omit") on data with entries missing
completely at random, against the complete-data fit of the same shape.

    python bench/bench_missing.py --quick        # n = 1e4, a few cases, well under a minute
    python bench/bench_missing.py                # n = 1e5, d 2/10/50, k 5/20, full and diag, 0/10/30% missing
    python bench/bench_missing.py --markdown     # the table as markdown (for bench/README.md)

Run from the repository root (or with mixlearn on PYTHONPATH). Run on demand; CI does not run it.

Every fit starts from the same given parameters (`weights_init`, `means_init`, `precisions_init`) and
runs with tol=0, so the only difference between two fits is the number of iterations. The time of one
iteration is t(max_iter=1 + r) - t(max_iter=1), divided by r (`--iterations`, 3 by default): what the start, the checks and the centre
cost is left out. Missing: every entry is NaN with probability p, independently (MCAR). "complete" is the
same shape with no NaN, fitted the way `fit` picks by default (chapter 08's fused pass). "patterns" is the
number of distinct rows of the missingness mask; "rows with holes", how many rows have one or more.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import threadpoolctl  # noqa: E402

import mixlearn  # noqa: E402
from mixlearn import GaussianMixture  # noqa: E402


def make_data(n, d, k, rng):
    "n rows from k Gaussians with random means (spread 5) and random correlated covariances."
    means = rng.normal(scale=5.0, size=(k, d))
    factors = rng.normal(scale=1.0 / np.sqrt(d), size=(k, d, d)) + np.eye(d)
    labels = rng.integers(k, size=n)
    return means[labels] + np.einsum("nij,nj->ni", factors[labels], rng.normal(size=(n, d)))


def start(X, k, covariance_type, rng):
    "The same given starting parameters for every fit of a case."
    d = X.shape[1]
    precisions = {"full": np.stack([np.eye(d)] * k), "tied": np.eye(d), "diag": np.ones((k, d)),
                  "spherical": np.ones(k)}[covariance_type]
    rows = rng.choice(len(X), size=k, replace=False)
    return dict(weights_init=np.full(k, 1.0 / k), means_init=np.nan_to_num(X[rows]), precisions_init=precisions)


def seconds(X, k, covariance_type, given, max_iter, nan_policy):
    model = GaussianMixture(k, covariance_type=covariance_type, tol=0.0, max_iter=max_iter,
                            nan_policy=nan_policy, **given)
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
    return time.perf_counter() - began, model.executor_


def per_iteration(X, k, covariance_type, given, repeats, nan_policy, iterations):
    "Median over `repeats` of (t(1 + r) - t(1)) / r, r = `iterations`, and the executor that ran."
    samples, executor = [], None
    for _ in range(repeats):
        one, _ = seconds(X, k, covariance_type, given, 1, nan_policy)
        more, executor = seconds(X, k, covariance_type, given, 1 + iterations, nan_policy)
        samples.append(max(more - one, 1e-6) / iterations)
    return statistics.median(samples), executor


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e4 and a few cases")
    parser.add_argument("--n", type=float, default=1e5)
    parser.add_argument("--d", default="2,10,50")
    parser.add_argument("--k", default="5,20")
    parser.add_argument("--types", default="full,diag")
    parser.add_argument("--fractions", default="0,0.1,0.3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=3, help="r: iterations timed beyond the first")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: as found)")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.d, args.k, args.types, args.iterations = 1e4, "2,10", "5", "full,diag", 10
    n = int(args.n)
    ds, ks = [int(v) for v in args.d.split(",")], [int(v) for v in args.k.split(",")]
    types, fractions = args.types.split(","), [float(v) for v in args.fractions.split(",")]
    limits = threadpoolctl.threadpool_limits(args.threads) if args.threads else None
    print(f"mixlearn {mixlearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; n = {n}; seconds per EM iteration, median of "
          f"{args.repeats}", flush=True)
    header = ["d", "k", "covariance", "missing", "patterns", "rows with holes", "s/iter, missing",
              "s/iter, complete", "ratio"]
    rows = []
    if args.markdown:
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    else:
        print(f"{'d':>3} {'k':>3} {'covariance':>10} {'missing':>8} {'patterns':>9} {'rows w/ holes':>14} "
              f"{'s/iter NaN':>11} {'s/iter full':>12} {'ratio':>6}")
    for d in ds:
        for k in ks:
            rng = np.random.default_rng(0)
            X = make_data(n, d, k, rng)
            for covariance_type in types:
                given = start(X, k, covariance_type, np.random.default_rng(1))
                complete, complete_executor = per_iteration(X, k, covariance_type, given, args.repeats, "raise",
                                                            args.iterations)
                for fraction in fractions:
                    holes = np.random.default_rng(2).random(X.shape) < fraction
                    X_holes = np.where(holes, np.nan, X)
                    patterns = len(np.unique(holes, axis=0))
                    timed, executor = per_iteration(X_holes, k, covariance_type, given, args.repeats, "omit",
                                                     args.iterations)
                    row = [d, k, covariance_type, f"{fraction:.0%}", patterns, int(holes.any(axis=1).sum()),
                           f"{timed:.4f}", f"{complete:.4f}", f"{timed / complete:.1f}"]
                    rows.append(row)
                    if args.markdown:
                        print("| " + " | ".join(str(v) for v in row) + " |", flush=True)
                    else:
                        print(f"{d:>3} {k:>3} {covariance_type:>10} {fraction:>8.0%} {patterns:>9} {row[5]:>14} "
                              f"{timed:>11.4f} {complete:>12.4f} {timed / complete:>6.1f}   ({executor} vs "
                              f"{complete_executor})", flush=True)
    if limits is not None:
        limits.unregister()
    return rows


if __name__ == "__main__":
    main()
