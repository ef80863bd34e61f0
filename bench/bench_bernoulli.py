#!/usr/bin/env python3
"""Benchmark: `BernoulliMixture` time per EM iteration against the GEMM floor, measured in one run.

    python bench/bench_bernoulli.py --quick      # n = 2e4, k in {10, 50}: a few seconds
    python bench/bench_bernoulli.py              # n = 1e5, d = 784, k in {10, 50}: about a minute
    python bench/bench_bernoulli.py --n 1e5 --d 784 --k 10,50,100 --iterations 10

Run from the repository root (or with mixlearn on PYTHONPATH). Needs only numpy and mixlearn.
Run on demand; CI does not run it. See bench/README.md.

Data: n binary rows of d features (MNIST-like shape, d = 784) sampled from a 10-component Bernoulli
mixture, stored as float64 (what the engine computes with). Every fit starts from the same
`weights_init`/`probs_init` (so no time goes into k-means) with `tol=0`, so it runs exactly
`max_iter` EM iterations. Each timing is the fastest of `--repeats` runs (the least disturbed by
other processes on a shared machine). The time per iteration is (t(max_iter = M) - t(max_iter = 0)) / M: the
difference removes validation and the final scoring E-step, which both fits share.

The floor: one EM iteration needs at least the E-step GEMM (n, d) @ (d, k) and the M-step GEMM
(k, n) @ (n, d), the same number of multiply-adds. Both are timed in the same run on the same arrays;
the table reports the iteration time against one GEMM and against the two (the physical floor).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mixlearn.bernoulli import BernoulliMixture  # noqa: E402


def binary_data(n, d, rng, n_true=10):
    "n rows of d binary features from a random n_true-component Bernoulli mixture, as float64."
    probs = rng.beta(0.5, 0.5, size=(n_true, d))
    labels = rng.integers(n_true, size=n)
    X = np.empty((n, d))
    for start in range(0, n, 10_000):                     # in blocks: no (n, d) float temporaries
        stop = min(start + 10_000, n)
        X[start:stop] = rng.random((stop - start, d)) < probs[labels[start:stop]]
    return X


def fastest_interleaved(functions, repeats):
    """Fastest of `repeats` wall-clock timings of each function, the functions run in turn in every
    round, so that a burst of load from other processes hits all of them alike."""
    best = {name: np.inf for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def time_case(X, k, iterations, repeats, rng):
    n, d = X.shape
    weights_init = np.full(k, 1.0 / k)
    probs_init = rng.uniform(0.25, 0.75, size=(k, d))
    W = rng.standard_normal((d, k))
    R = np.ascontiguousarray(rng.random((n, k)))
    out = np.empty((k, n)).T                               # the engine's (n, k) view of a (k, n) buffer

    def e_step_gemm():
        np.dot(W.T, X.T, out=out.T)                         # (k, d) @ (d, n): the E-step's product

    def m_step_gemm():
        R.T @ X                                             # (k, n) @ (n, d): the M-step's statistics

    def fit(max_iter):
        model = BernoulliMixture(k, weights_init=weights_init, probs_init=probs_init, tol=0.0,
                                 max_iter=max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                # tol=0 never "converges"
            return model.fit(X)

    best = fastest_interleaved({"e_gemm": e_step_gemm, "m_gemm": m_step_gemm, "fit_0": lambda: fit(0),
                                "fit_m": lambda: fit(iterations)}, repeats)
    e_gemm, m_gemm = best["e_gemm"], best["m_gemm"]
    per_iteration = (best["fit_m"] - best["fit_0"]) / iterations
    return dict(n=n, d=d, k=k, e_gemm=e_gemm, m_gemm=m_gemm, iteration=per_iteration,
                vs_one=per_iteration / e_gemm, vs_floor=per_iteration / (e_gemm + m_gemm))


def parse_list(text, cast):
    return [cast(float(item)) for item in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="n = 2e4, 3 iterations, 3 repeats")
    parser.add_argument("--n", default="1e5", help="comma-separated sample sizes (default 1e5)")
    parser.add_argument("--d", default="784", help="comma-separated feature counts (default 784)")
    parser.add_argument("--k", default="10,50", help="comma-separated component counts (default 10,50)")
    parser.add_argument("--iterations", type=int, default=10, help="EM iterations per timed fit (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats, fastest reported (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS threads (needs threadpoolctl, in the dev extras); default: BLAS's own")
    args = parser.parse_args()
    if args.quick:
        args.n, args.iterations = "2e4", 3
    if args.threads is not None:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    rng = np.random.default_rng(args.seed)
    print(f"numpy {np.__version__}, {os.cpu_count()} CPU(s), BLAS threads: {args.threads or 'default'}; time per EM iteration of BernoulliMixture "
          f"vs the GEMMs of the same shapes (best of {args.repeats}; {args.iterations} iterations per fit)")
    header = (f"{'n':>8} {'d':>5} {'k':>4} | {'E GEMM ms':>9} {'M GEMM ms':>9} | {'EM iter ms':>10} | "
              f"{'iter / E GEMM':>13} {'iter / (E+M)':>12}")
    print(header)
    print("-" * len(header))
    for n in parse_list(args.n, int):
        for d in parse_list(args.d, int):
            X = binary_data(n, d, rng)
            for k in parse_list(args.k, int):
                row = time_case(X, k, args.iterations, args.repeats, rng)
                print(f"{row['n']:>8} {row['d']:>5} {row['k']:>4} | {1e3 * row['e_gemm']:>9.1f} "
                      f"{1e3 * row['m_gemm']:>9.1f} | {1e3 * row['iteration']:>10.1f} | "
                      f"{row['vs_one']:>13.2f} {row['vs_floor']:>12.2f}", flush=True)
            del X


if __name__ == "__main__":
    main()
