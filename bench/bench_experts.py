#!/usr/bin/env python3
"""Benchmark: `MixtureOfExperts` fit time per EM iteration against n, to show that it grows linearly.

    python bench/bench_experts.py --quick          # n in {1e3, 1e4, 1e5}: a few seconds
    python bench/bench_experts.py                  # n in {1e3, 1e4, 1e5, 1e6}: about a minute
    python bench/bench_experts.py --n 1e4,1e5,1e6 --d 5 --k 4 --iterations 5 --threads 1

Run from the repository root (or with mixlearn on PYTHONPATH). Needs numpy, scipy, scikit-learn and
threadpoolctl (all in the `dev` extras). Run on demand; CI does not run it. See bench/README.md.

Data: n rows, d standard-normal features, y drawn from a random mixture of k linear-Gaussian
experts with a softmax gate (fixed by --seed). Every fit uses `tol=0`, so it runs exactly
`--iterations` EM iterations, and the same `random_state`, so the k-means start is the same; the time
per iteration is (t(max_iter = M) - t(max_iter = 0)) / M, which removes validation, initialisation
and the final E-step. Each timing is the fastest of `--repeats` runs, the cases run in turn in each
round (the least disturbed by other processes on a shared machine).

Columns: the time per EM iteration; its parts measured alone on the same data (one E-step; the
experts' M-step; one guarded Newton step of the gate, forced with tol=0) and the mean number of
Newton steps per gate M-step in the timed fits (at most `gate_max_iter` = 5; fewer once the gate has
converged); microseconds per 1000 rows (flat when the growth is linear); and, measured in the same run
as a yardstick, scikit-learn's `LogisticRegression(solver="newton-cholesky")` fitted to the hard
expert labels (the gate's problem solved to convergence once), with the ratio of one EM iteration
to it. At the end: the least-squares slope of log(time per iteration) against log(n) (1 = linear),
over all n and over n >= 1e4 (below that, fixed per-call overheads dominate).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scipy  # noqa: E402
import sklearn  # noqa: E402
import threadpoolctl  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import mixlearn  # noqa: E402
import mixlearn.experts as experts  # noqa: E402
from mixlearn.experts import MixtureOfExperts, expert_m_step, gate_m_step  # noqa: E402


def machine_facts(threads=None) -> list[str]:
    lines = [f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
             f"scikit-learn {sklearn.__version__}  mixlearn {getattr(mixlearn, '__version__', '?')}  "
             f"threadpoolctl {threadpoolctl.__version__}",
             f"platform {platform.platform()}; os.cpu_count()={os.cpu_count()}"]
    for pool in threadpoolctl.threadpool_info():
        lines.append(f"threadpool: {pool.get('user_api')}/{pool.get('internal_api')} {pool.get('version') or ''} "
                     f"num_threads={pool.get('num_threads')} ({Path(pool.get('filepath', '?')).name})")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()
        lines.append("load average (1/5/15 min): " + " ".join(f"{x:.2f}" for x in load))
        if load[0] > 0.5 * (os.cpu_count() or 1):
            lines.append("WARNING: the machine is already busy; timings will be noisy"
                         + ("" if threads == 1 else " (try --threads 1)"))
    return lines


def make_data(n: int, d: int, k: int, seed: int):
    "X (n, d) standard normal; y from a random k-expert model (gate slopes ~ N(0, 2^2), expert sigmas 0.2-1)."
    rng = np.random.default_rng([seed, n, d, k])
    truth = MixtureOfExperts(k, random_state=seed + 1)
    truth.gate_coef_, truth.gate_intercept_ = rng.normal(scale=2.0, size=(d, k)), rng.normal(size=k)
    truth.expert_coef_, truth.expert_intercept_ = rng.normal(scale=2.0, size=(k, d)), rng.normal(scale=2.0, size=k)
    truth.expert_variance_, truth.n_features_in_ = rng.uniform(0.2, 1.0, size=k) ** 2, d
    X = rng.standard_normal((n, d))
    y, labels = truth.sample(X)
    return X, y, labels


class NewtonCounter:
    "Counts the calls of gate_gradient_hessian (one per Newton step, and one per iteration for the statistics) while installed in mixlearn.experts."

    def __init__(self):
        self.original, self.calls = experts.gate_gradient_hessian, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.original(*args, **kwargs)

    def __enter__(self):
        experts.gate_gradient_hessian = self
        return self

    def __exit__(self, *exc):
        experts.gate_gradient_hessian = self.original


def fastest(functions: dict, repeats: int) -> dict:
    "Fastest wall time of each function over `repeats` rounds, the functions run in turn in each round."
    best = {name: np.inf for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def time_case(n: int, d: int, k: int, iterations: int, repeats: int, seed: int) -> dict:
    X, y, labels = make_data(n, d, k, seed)

    def fit(max_iter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                     # tol=0 never "converges"
            return MixtureOfExperts(k, tol=0.0, max_iter=max_iter, random_state=seed).fit(X, y)

    model = fit(iterations)
    with NewtonCounter() as counter:
        fit(iterations)
        newton_in_init = counter.calls
        counter.calls = 0
        fit(0)
        newton_per_m_step = (newton_in_init - counter.calls) / iterations
    Z = model._check_X(X, reset=False, y=y)
    X1, target = Z[:, :-1], Z[:, -1]
    buffer = np.empty((k, n)).T
    _, resp = model._e_step(Z, out=np.empty((k, n)).T)
    resp = resp.copy(order="F")
    gate = model._gate_params

    def logistic():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            LogisticRegression(solver="newton-cholesky", max_iter=100).fit(X, labels)

    best = fastest({"fit_0": lambda: fit(0), "fit_m": lambda: fit(iterations),
                    "e_step": lambda: model._e_step(Z, out=buffer),
                    "experts": lambda: expert_m_step(X1, target, resp),
                    "newton": lambda: gate_m_step(X1, resp, gate, model.gate_l2, max_iter=1, tol=0.0),
                    "sklearn": logistic}, repeats)
    per_iteration = (best["fit_m"] - best["fit_0"]) / iterations
    return dict(n=n, d=d, k=k, iteration=per_iteration, e_step=best["e_step"], experts=best["experts"],
                newton=best["newton"], newton_steps=newton_per_m_step, per_1000=1e9 * per_iteration / n,
                sklearn=best["sklearn"], ratio=per_iteration / best["sklearn"])


def slope(rows: list[dict]) -> float:
    if len(rows) < 2:
        return float("nan")
    return float(np.polyfit(np.log([r["n"] for r in rows]), np.log([r["iteration"] for r in rows]), 1)[0])


def parse_list(text: str, cast=int) -> list:
    return [cast(float(item)) for item in text.split(",")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="n in {1e3, 1e4, 1e5}")
    parser.add_argument("--n", default="1e3,1e4,1e5,1e6", help="comma-separated sample sizes (default 1e3..1e6)")
    parser.add_argument("--d", type=int, default=2, help="input features (default 2)")
    parser.add_argument("--k", type=int, default=3, help="experts (default 3)")
    parser.add_argument("--iterations", type=int, default=5, help="EM iterations per timed fit (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds, fastest reported (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS threads (default: as found)")
    args = parser.parse_args(argv)
    ns = [1000, 10_000, 100_000] if args.quick else parse_list(args.n)
    limiter = threadpoolctl.threadpool_limits(limits=args.threads) if args.threads else None

    print("# MixtureOfExperts: time per EM iteration against n")
    for line in machine_facts(args.threads):
        print("# " + line)
    print(f"# d={args.d} features, k={args.k} experts, tol=0, {args.iterations} EM iterations per timed fit, "
          f"fastest of {args.repeats}; BLAS threads: {args.threads or 'as found'}")
    header = (f"{'n':>9} | {'EM iter ms':>10} | {'E-step ms':>9} {'experts ms':>10} {'Newton ms':>9} "
              f"{'Newton/iter':>11} | {'us/1000 rows':>12} | {'sklearn LR ms':>13} {'iter/LR':>7}")
    print(header)
    print("-" * len(header), flush=True)
    fit(MixtureOfExperts, 1000, args)                            # warm up imports and BLAS
    rows = []
    for n in ns:
        r = time_case(n, args.d, args.k, args.iterations, args.repeats if n < 1_000_000 else min(args.repeats, 2),
                      args.seed)
        rows.append(r)
        print(f"{n:>9} | {1e3 * r['iteration']:>10.2f} | {1e3 * r['e_step']:>9.2f} {1e3 * r['experts']:>10.2f} "
              f"{1e3 * r['newton']:>9.2f} {r['newton_steps']:>11.1f} | {r['per_1000']:>12.1f} | "
              f"{1e3 * r['sklearn']:>13.2f} {r['ratio']:>7.2f}", flush=True)
    print()
    print(f"# slope of log(time per EM iteration) against log(n): {slope(rows):.3f} over all n; "
          f"{slope([r for r in rows if r['n'] >= 10_000]):.3f} over n >= 1e4 (1 = linear)")
    if hasattr(os, "getloadavg"):
        print("# load average at the end (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


def fit(cls, n, args):
    "One small fit (warm-up)."
    X, y, _ = make_data(n, args.d, args.k, args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls(args.k, tol=0.0, max_iter=2, random_state=0).fit(X, y)


if __name__ == "__main__":
    sys.exit(main())
