#!/usr/bin/env python3
"""Benchmark: scikit-learn's GaussianMixture against mixlearn's, on the same data and initialisation.

    python bench/bench_gaussian.py --quick          # a subset, under a minute
    python bench/bench_gaussian.py                  # the default grid (~20-30 min on 2 cores)
    python bench/bench_gaussian.py --n 1e5 --d 10,50 --k 20 --types full,tied --markdown

Run from the repository root (or with mixlearn on PYTHONPATH). Needs numpy, scipy, scikit-learn and
threadpoolctl (all in the `dev` extras). Run on demand; CI does not run it. See bench/README.md.

For every case (n, d, k, covariance_type) both estimators get identical constructor arguments:
`weights_init` uniform, `means_init` k random rows of X, `precisions_init` identity-shaped for the
covariance type and scaled by 1 / (mean feature variance of X), `init_params="random_from_data"`
(overridden by the three `*_init`, so neither library spends time initialising), `tol=0` (so both
run exactly `max_iter` EM iterations), the same `max_iter`, `reg_covar` and `random_state`.
Timed fits alternate sklearn, mixlearn, sklearn, mixlearn, ... and the medians are reported. Peak
memory comes from one more fit of each under `tracemalloc`, never timed.
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

# run from a clone without installing: put the repository root (the parent of bench/) first
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scipy  # noqa: E402
import sklearn  # noqa: E402
import threadpoolctl  # noqa: E402
from sklearn.mixture import GaussianMixture as SkGaussianMixture  # noqa: E402

import mixlearn  # noqa: E402
from mixlearn import GaussianMixture as MlGaussianMixture  # noqa: E402
from mixlearn.performance import exp_rate, gemm_rate  # noqa: E402
from mixlearn.performance import floor_seconds as performance_floor_seconds  # noqa: E402

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
DEFAULT_N = (10_000, 100_000, 1_000_000)
DEFAULT_D = (2, 10, 50)
DEFAULT_K = (5, 20)
DEFAULT_TYPES = COVARIANCE_TYPES
QUICK = dict(n=(10_000, 100_000), d=(2, 10), k=(5,), types=("full", "diag"))


# ---------------------------------------------------------------------------------------------
# machine facts
# ---------------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts() -> list[str]:
    lines = [
        f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
        f"scikit-learn {sklearn.__version__}  mixlearn {getattr(mixlearn, '__version__', '?')}  "
        f"threadpoolctl {threadpoolctl.__version__}",
        f"platform {platform.platform()}",
        f"CPU: {cpu_model()}; os.cpu_count()={os.cpu_count()}; usable by this process="
        f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}",
        f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']!r}" if "OPENBLAS_CORETYPE" in os.environ
        else "OPENBLAS_CORETYPE is not set",
    ]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"{var}={os.environ[var]!r}")
    info = threadpoolctl.threadpool_info()
    if not info:
        lines.append("threadpoolctl: no BLAS/OpenMP pool found")
    for pool in info:
        extra = ", ".join(f"{key}={pool[key]}" for key in ("threading_layer", "architecture")
                          if pool.get(key))
        lines.append(f"threadpool: {pool.get('user_api')}/{pool.get('internal_api')} "
                     f"{pool.get('version') or ''} num_threads={pool.get('num_threads')}"
                     f"{', ' + extra if extra else ''} ({Path(pool.get('filepath', '?')).name}, "
                     f"{pool.get('prefix')})")
    if hasattr(os, "getloadavg"):
        lines.append("load average (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
            lines.append("WARNING: the machine is already busy; multi-threaded BLAS timings will be noisy "
                         "(compare the spread and load columns, or use --threads 1)")
    return lines


# ---------------------------------------------------------------------------------------------
# data and initial parameters
# ---------------------------------------------------------------------------------------------
def make_data(n: int, d: int, n_clusters: int, seed: int) -> np.ndarray:
    """n rows of a d-dimensional mixture of `n_clusters` Gaussians, float64, C-ordered.

    Centres ~ N(0, 5^2 I) (so two centres are ~ 7 sqrt(d) apart), random full covariances with
    eigenvalues in about [0.5, 2], Dirichlet(5) weights; fixed by (seed, n, d)."""
    rng = np.random.default_rng([seed, n, d])
    centres = rng.normal(scale=5.0, size=(n_clusters, d))
    weights = rng.dirichlet(np.full(n_clusters, 5.0))
    labels = rng.choice(n_clusters, size=n, p=weights)
    X = rng.standard_normal((n, d))
    for c in range(n_clusters):
        A = rng.normal(size=(d, d)) / np.sqrt(d)
        factor = np.linalg.cholesky(0.5 * np.eye(d) + 0.5 * A @ A.T)
        rows = labels == c
        X[rows] = X[rows] @ factor.T + centres[c]
    return np.ascontiguousarray(X)


def initial_parameters(X: np.ndarray, k: int, covariance_type: str, seed: int) -> dict:
    "weights uniform, means = k distinct random rows of X, precisions = I / (mean feature variance)."
    n, d = X.shape
    rng = np.random.default_rng([seed, n, d, k, 7])
    means = X[rng.choice(n, size=k, replace=False)].copy()
    scale = 1.0 / float(X.var(axis=0).mean())
    precisions = {"full": np.tile(np.eye(d) * scale, (k, 1, 1)), "tied": np.eye(d) * scale,
                  "diag": np.full((k, d), scale), "spherical": np.full(k, scale)}[covariance_type]
    return {"weights_init": np.full(k, 1.0 / k), "means_init": means, "precisions_init": precisions}


def make_estimator(cls, k, covariance_type, max_iter, init, seed):
    "A fresh estimator; every argument is the same for both libraries."
    return cls(n_components=k, covariance_type=covariance_type, tol=0.0, reg_covar=1e-6,
               max_iter=max_iter, n_init=1, init_params="random_from_data", random_state=seed,
               **{name: np.copy(value) for name, value in init.items()})


def fit(cls, X, k, covariance_type, max_iter, init, seed):
    "Fit a fresh estimator, return (estimator, wall-clock seconds, process CPU seconds)."
    model = make_estimator(cls, k, covariance_type, max_iter, init, seed)
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # tol=0 never converges: both warn, by design
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(X)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    return model, seconds, cpu_seconds


def warm_allocator():
    """Allocate and free one 30 MB array, so that glibc's malloc settles in its steady state.

    glibc raises its mmap threshold (and its trim threshold, to twice that) each time it frees an
    mmap-ed block of up to 32 MB. Until then, temporaries of a few MB are mmap-ed (or trimmed) and
    page-faulted afresh at every allocation, which slows both libraries by an amount that depends on
    what the process did before: the results would depend on the order of the cases. After this call
    every case sees the state of a process that has already freed a 30 MB array (any real session
    that loaded data). `--cold-malloc` skips it."""
    block = np.ones(30 * 2**20 // 8)
    del block


def peak_mb(cls, X, k, covariance_type, max_iter, init, seed) -> float:
    """Peak traced allocation (MB) during one fit, X excluded (it exists before tracing starts).

    NumPy reports its array buffers to tracemalloc, so this is the working memory of the fit."""
    model = make_estimator(cls, k, covariance_type, max_iter, init, seed)
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        try:
            model.fit(X)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak / 2**20


# ---------------------------------------------------------------------------------------------
# the floor: what one EM iteration cannot go below on this machine (chapter 08's helpers)
# ---------------------------------------------------------------------------------------------
def measure_gemm_rate() -> float:
    "float64 GEMM flop/s: `mixlearn.performance.gemm_rate` ((4096, 512) @ (512, 512), best of 10)."
    return gemm_rate(repeats=10)


def measure_exp_rate() -> float:
    "np.exp values/s on 2^20 float64 in place: `mixlearn.performance.exp_rate` (best of 25: it is a 1 ms timing)."
    return exp_rate(repeats=25)


def floor_seconds(n, d, k, covariance_type, max_iter, gemm_rate, exp_rate) -> float:
    "The floor of a fit of max_iter iterations: max_iter * chapter 08's floor of one iteration."
    return max_iter * performance_floor_seconds(n, d, k, covariance_type, gemm_rate, exp_rate)


FIXED_ROWS = 256


def fixed_seconds(X, k, covariance_type, max_iter, init, seed, repeats=5):
    """Median time of the same mixlearn fit (same start, same iterations) on the first 256 rows of X: the
    cost of a fit that no n removes (the interpreter, the small (k, d, d) linear algebra, the set-up).
    None if that fit fails (too few rows for the model)."""
    X_small = np.ascontiguousarray(X[:FIXED_ROWS])
    try:
        return statistics.median(fit(MlGaussianMixture, X_small, k, covariance_type, max_iter, init, seed)[1]
                                 for _ in range(repeats))
    except (ValueError, np.linalg.LinAlgError):
        return None


def relative_difference(a, b) -> float:
    "max |a - b| / max |b|: the largest deviation, relative to the array's scale."
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), np.finfo(float).tiny))


# ---------------------------------------------------------------------------------------------
# the grid
# ---------------------------------------------------------------------------------------------
def default_max_iter(n: int, d: int, k: int, covariance_type: str) -> int:
    """10 EM iterations, fewer where one iteration is expensive (same for both libraries):
    n >= 1e6 with d >= 50 gets 3, other n >= 1e6 cases get 5."""
    if n >= 1_000_000 and d >= 50:
        return 3
    if n >= 1_000_000:
        return 5
    return 10


def default_repeats(n: int, d: int, k: int, covariance_type: str) -> int:
    "3 timed fits per library, 2 for n >= 1e6."
    return 2 if n >= 1_000_000 else 3


def parse_ints(text: str) -> tuple[int, ...]:
    "'1e4,1e5' -> (10000, 100000)."
    values = []
    for part in text.split(","):
        value = float(part)
        if value != int(value) or value < 1:
            raise argparse.ArgumentTypeError(f"not a positive integer: {part!r}")
        values.append(int(value))
    return tuple(values)


def parse_types(text: str) -> tuple[str, ...]:
    types = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [t for t in types if t not in COVARIANCE_TYPES]
    if bad or not types:
        raise argparse.ArgumentTypeError(f"covariance types must be among {COVARIANCE_TYPES}; got {text!r}")
    return types


def fmt_seconds(s: float) -> str:
    return f"{s:.3f}" if s < 10 else f"{s:.1f}"


COLUMNS = ("n", "d", "k", "cov", "iter", "reps", "sklearn s", "mixlearn s", "ratio t", "spread", "ratio cpu",
           "floor s", "x floor", "fixed s", "fixed/floor", "rel diff means", "rel diff covs", "sklearn MB", "mixlearn MB", "ratio MB",
           "mem/(X+R)", "load")


def row_cells(r: dict) -> list[str]:
    return [f"{r['n']:.0e}".replace("+0", ""), str(r["d"]), str(r["k"]), r["cov"], str(r["max_iter"]),
            str(r["repeats"]), fmt_seconds(r["t_sk"]), fmt_seconds(r["t_ml"]), f"{r['ratio']:.2f}",
            f"{100 * r['spread']:.0f}%", f"{r['cpu_ratio']:.2f}", f"{r['floor']:.3f}", f"{r['x_floor']:.1f}",
            "-" if r["fixed"] is None else f"{r['fixed']:.4f}",
            "-" if r["fixed"] is None else f"{r['fixed'] / r['floor']:.1f}",
            f"{r['diff_means']:.1e}", f"{r['diff_covs']:.1e}",
            "-" if r["mem_sk"] is None else f"{r['mem_sk']:.1f}",
            "-" if r["mem_ml"] is None else f"{r['mem_ml']:.1f}",
            "-" if r["mem_ratio"] is None else f"{r['mem_ratio']:.2f}",
            "-" if r["mem_x_r"] is None else f"{r['mem_x_r']:.2f}",
            "-" if r["load"] is None else f"{r['load']:.1f}"]


WIDTHS = (6, 3, 3, 9, 4, 4, 9, 10, 7, 6, 9, 8, 7, 7, 11, 14, 13, 10, 11, 8, 9, 4)


def text_row(cells) -> str:
    return "  ".join(c.rjust(w) if i not in (3,) else c.ljust(w) for i, (c, w) in enumerate(zip(cells, WIDTHS)))


def markdown_table(results: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---:" if c != "cov" else ":---" for c in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in results]
    return "\n".join(lines)


def geometric_mean(values) -> float:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a subset that runs in under a minute: n in {1e4, 1e5}, d in {2, 10}, k=5, "
                             "full and diag (--n/--d/--k/--types still override it)")
    parser.add_argument("--n", type=parse_ints, help="sample counts, comma-separated (default 1e4,1e5,1e6)")
    parser.add_argument("--d", type=parse_ints, help="feature counts (default 2,10,50)")
    parser.add_argument("--k", type=parse_ints, help="component counts (default 5,20)")
    parser.add_argument("--types", type=parse_types,
                        help="covariance types among full,tied,diag,spherical (default: all four)")
    parser.add_argument("--max-iter", type=int,
                        help="EM iterations for every case (default: 10; 5 for n>=1e6; 3 for n>=1e6 and d>=50)")
    parser.add_argument("--repeats", type=int, help="timed fits per library and case (default: 3; 2 for n>=1e6); "
                                                    "at least 2")
    parser.add_argument("--memory-budget-gb", type=float, default=4.0,
                        help="skip a case whose X (n*d*8 bytes) exceeds this many GB (default 4)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--threads", type=int,
                        help="limit BLAS/OpenMP threads with threadpoolctl (default: leave as is)")
    parser.add_argument("--data-clusters", type=int,
                        help="clusters in the synthetic data (default: the largest k of the grid)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and initial means (default 0)")
    parser.add_argument("--cold-malloc", action="store_true",
                        help="do not warm glibc's malloc up first (see warm_allocator): results then "
                             "depend on the order of the cases")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table at the end")
    args = parser.parse_args(argv)

    base = QUICK if args.quick else dict(n=DEFAULT_N, d=DEFAULT_D, k=DEFAULT_K, types=DEFAULT_TYPES)
    ns, ds, ks = args.n or base["n"], args.d or base["d"], args.k or base["k"]
    types = args.types or base["types"]
    if args.repeats is not None and args.repeats < 2:
        parser.error("--repeats must be at least 2")
    if args.max_iter is not None and args.max_iter < 1:
        parser.error("--max-iter must be at least 1")
    data_clusters = args.data_clusters or max(ks)

    limiter = threadpoolctl.threadpool_limits(limits=args.threads) if args.threads else None
    if not args.cold_malloc:
        warm_allocator()

    print("# mixlearn vs scikit-learn GaussianMixture benchmark", flush=True)
    for line in machine_facts():
        print("# " + line)
    gemm_rate, exp_rate = measure_gemm_rate(), measure_exp_rate()
    print(f"# floor rates measured now: GEMM {gemm_rate / 1e9:.1f} GFlop/s ((4096x512)@(512x512), float64), "
          f"exp {exp_rate / 1e6:.0f} M values/s (np.exp, 2^20 float64, in place)")
    print(f"# grid: n={list(ns)} d={list(ds)} k={list(ks)} types={list(types)}; data: {data_clusters}-cluster "
          f"Gaussian mixture, float64, seed {args.seed}; X budget {args.memory_budget_gb:g} GB")
    print("# each case: tol=0, identical weights/means/precisions_init, init_params='random_from_data'; "
          "timed fits interleaved sklearn/mixlearn; medians; memory = tracemalloc peak of one more fit each")
    print(f"# malloc: {'cold (--cold-malloc)' if args.cold_malloc else 'warmed up (one 30 MB array freed first)'}; "
          f"BLAS threads: {args.threads or 'as found'}")
    print("# ratio t = mixlearn / sklearn median wall time (< 1: mixlearn faster); ratio cpu = the same for process "
          "CPU time;")
    print("# spread = largest (max - min) / median "
          "of either library's timed fits (large: noisy case);")
    print("# floor s = max_iter * max(flops of an iteration / GEMM rate, n k / exp rate) "
          "(mixlearn.performance.em_iteration_flops, chapter 08); "
          "x floor = mixlearn s / floor s;")
    print(f"# fixed s = the same mixlearn fit on the first {FIXED_ROWS} rows (the cost no n removes: interpreter, "
          "small linear algebra, set-up); fixed/floor = fixed s / floor s")
    print("# rel diff = max|ml - sk| / max|sk| over the array; MB = tracemalloc peak of the fit (X excluded); "
          "ratio MB = mixlearn / sklearn;")
    print("# mem/(X+R) = (X bytes + mixlearn MB) / (X bytes + 8 n k bytes of responsibilities): the "
          "target is <= 1.5; load = 1-min load average after the case", flush=True)

    # warm both libraries up (imports, first BLAS calls) on a tiny problem
    X_small = make_data(2000, 3, 3, args.seed)
    for cls in (SkGaussianMixture, MlGaussianMixture):
        for cov in types:
            fit(cls, X_small, 3, cov, 2, initial_parameters(X_small, 3, cov, args.seed), args.seed)

    print()
    print(text_row(COLUMNS))
    print(text_row(["-" * w for w in WIDTHS]), flush=True)
    results, skipped, mismatches = [], [], []
    started = time.perf_counter()
    for n in ns:
        for d in ds:
            x_gb = n * d * 8 / 1e9
            if x_gb > args.memory_budget_gb:
                for k in ks:
                    for cov in types:
                        skipped.append((n, d, k, cov))
                print(f"# SKIPPED n={n} d={d} (all k, types): X would take {x_gb:.2f} GB > budget "
                      f"{args.memory_budget_gb:g} GB (--memory-budget-gb)", flush=True)
                continue
            X = make_data(n, d, data_clusters, args.seed)
            for k in ks:
                if k > n:
                    print(f"# SKIPPED n={n} d={d} k={k}: k > n", flush=True)
                    continue
                for cov in types:
                    max_iter = args.max_iter or default_max_iter(n, d, k, cov)
                    repeats = args.repeats or default_repeats(n, d, k, cov)
                    init = initial_parameters(X, k, cov, args.seed)
                    times = {SkGaussianMixture: [], MlGaussianMixture: []}
                    cpu_times = {SkGaussianMixture: [], MlGaussianMixture: []}
                    models = {}
                    for _ in range(repeats):                 # A B A B ...
                        for cls in (SkGaussianMixture, MlGaussianMixture):
                            models[cls], seconds, cpu_seconds = fit(cls, X, k, cov, max_iter, init, args.seed)
                            times[cls].append(seconds)
                            cpu_times[cls].append(cpu_seconds)
                    sk, ml = models[SkGaussianMixture], models[MlGaussianMixture]
                    diff_means = relative_difference(ml.means_, sk.means_)
                    diff_covs = relative_difference(ml.covariances_, sk.covariances_)
                    assert sk.n_iter_ == ml.n_iter_ == max_iter, (sk.n_iter_, ml.n_iter_, max_iter)
                    del models, sk, ml
                    mem_sk = mem_ml = mem_ratio = mem_x_r = None
                    if not args.no_memory:
                        mem_sk = peak_mb(SkGaussianMixture, X, k, cov, max_iter, init, args.seed)
                        mem_ml = peak_mb(MlGaussianMixture, X, k, cov, max_iter, init, args.seed)
                        mem_ratio = mem_ml / mem_sk if mem_sk > 0 else float("nan")
                        mem_x_r = (X.nbytes + mem_ml * 2**20) / (X.nbytes + 8.0 * n * k)
                    t_sk = statistics.median(times[SkGaussianMixture])
                    t_ml = statistics.median(times[MlGaussianMixture])
                    spread = max((max(ts) - min(ts)) / statistics.median(ts) for ts in times.values())
                    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
                    floor = floor_seconds(n, d, k, cov, max_iter, gemm_rate, exp_rate)
                    fixed = fixed_seconds(X, k, cov, max_iter, init, args.seed)
                    r = dict(n=n, d=d, k=k, cov=cov, max_iter=max_iter, repeats=repeats, t_sk=t_sk, t_ml=t_ml,
                             floor=floor, x_floor=t_ml / floor, fixed=fixed, mem_x_r=mem_x_r,
                             ratio=t_ml / t_sk, spread=spread,
                             cpu_ratio=statistics.median(cpu_times[MlGaussianMixture])
                             / statistics.median(cpu_times[SkGaussianMixture]), load=load, diff_means=diff_means, diff_covs=diff_covs,
                             mem_sk=mem_sk, mem_ml=mem_ml, mem_ratio=mem_ratio)
                    results.append(r)
                    flag = ""
                    if not (max(diff_means, diff_covs) < 1e-8):
                        mismatches.append(r)
                        flag = "  <-- RESULTS DIFFER"
                    print(text_row(row_cells(r)) + flag, flush=True)
            del X
            gc.collect()

    elapsed = time.perf_counter() - started
    print()
    if results:
        worst = max(results, key=lambda r: r["ratio"])
        best = min(results, key=lambda r: r["ratio"])
        describe = lambda r: f"n={r['n']:.0e} d={r['d']} k={r['k']} {r['cov']}".replace("+0", "")  # noqa: E731
        print(f"# {len(results)} cases in {elapsed:.0f} s; geometric mean of time ratios (mixlearn/sklearn): "
              f"{geometric_mean(r['ratio'] for r in results):.3f} (CPU time: "
              f"{geometric_mean(r['cpu_ratio'] for r in results):.3f})")
        print(f"# worst case (slowest for mixlearn relative to sklearn): {describe(worst)}: ratio "
              f"{worst['ratio']:.2f} ({fmt_seconds(worst['t_ml'])} s vs {fmt_seconds(worst['t_sk'])} s)")
        print(f"# best case: {describe(best)}: ratio {best['ratio']:.2f}")
        if not args.no_memory:
            print(f"# geometric mean of peak-memory ratios (mixlearn/sklearn): "
                  f"{geometric_mean(r['mem_ratio'] for r in results):.3f}; largest: "
                  f"{max(r['mem_ratio'] for r in results):.2f}")
        small = [r for r in results if r["d"] <= 10]
        if small:
            print(f"# distance to the floor (mixlearn time / floor) at d <= 10: geometric mean "
                  f"{geometric_mean(r['x_floor'] for r in small):.2f}, largest {max(r['x_floor'] for r in small):.2f}; "
                  f"all d: largest {max(r['x_floor'] for r in results):.2f}")
            over = [r for r in small if r["fixed"] is not None and r["fixed"] > 2 * r["floor"]]
            print(f"# at d <= 10, the fixed cost alone (the fit on {FIXED_ROWS} rows) exceeds 2x the floor in "
                  f"{len(over)} of {len(small)} cases (" + ", ".join(
                      f"n={n:.0e}: {sum(r['n'] == n for r in over)}/{sum(r['n'] == n for r in small)}".replace("+0", "")
                      for n in sorted({r['n'] for r in small})) + ")")
        if not args.no_memory:
            print(f"# memory (X + fit peak) / (X + responsibilities): largest "
                  f"{max(r['mem_x_r'] for r in results):.2f} (target <= 1.5)")
        print(f"# largest relative difference of means_/covariances_: "
              f"{max(max(r['diff_means'], r['diff_covs']) for r in results):.1e}")
    if skipped:
        print(f"# skipped {len(skipped)} case(s) over the X memory budget")
    if mismatches:
        print(f"# WARNING: {len(mismatches)} case(s) where the fits differ by more than 1e-8")
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
