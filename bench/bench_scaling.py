#!/usr/bin/env python3
"""Benchmark: `GaussianMixture.fit` on a Dask array generated lazily, larger than it is wise to hold.

    python bench/bench_scaling.py                     # n = 1e8 rows x 10 (8 GB if materialised; never is)
    python bench/bench_scaling.py --n 2e6             # a quick check (a few seconds), compared with in memory
    python bench/bench_scaling.py --n 1e8 --covariance-type full --workers 2

Run from the repository root (or with mixlearn on PYTHONPATH). Needs numpy, scipy, dask[array] and
threadpoolctl (the `dev` extras, or `pip install mixlearn[dask]` plus threadpoolctl). Run on demand;
CI does not run it. See bench/README.md and chapter 09 (nbs/09_scaling.ipynb), which quotes it.

The data: n rows x d features from k Gaussian clusters (centres drawn from N(0, 3^2 I), unit
variances, equal weights), generated chunk by chunk by `dask.array.random.default_rng(seed)`:
a cluster label per row and a standard normal draw shifted by the label's centre. The array is a
recipe: every pass over it regenerates each chunk (the same numbers: the seeds are in the graph),
turns it into statistics and drops it, so it is never held in memory.

The fit: `GaussianMixture(k, covariance_type=..., max_iter=..., tol=0)` from user `*_init` (uniform
weights, the true centres + 0.5, unit precisions), on Dask's threaded scheduler. `fit` makes one pass
to read the first chunk (validation), one for the column means (the centre of the Gaussian's
statistics) and one per EM iteration; a `dask.callbacks.Callback` times every pass (each is one
`dask.compute`). Printed: the machine, the wall time of every pass with its rows per second, the total,
the peak resident memory of the process (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, a high-water
mark) before and after the fit, and how far the fitted means are from the true centres. With
`--check` (default when X takes at most 2 GB) the same data are then materialised and fitted in memory
from the same start, and the largest relative difference of the parameters is printed (it should be
rounding, < 1e-8). The exit status is 1 if that check fails.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# run from a clone without installing: put the repository root (the parent of bench/) first
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dask  # noqa: E402
import dask.array as da  # noqa: E402
from dask.callbacks import Callback  # noqa: E402

import mixlearn  # noqa: E402
from mixlearn import ConvergenceWarning, GaussianMixture  # noqa: E402


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts() -> list[str]:
    import scipy
    lines = [f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
             f"dask {dask.__version__}  mixlearn {getattr(mixlearn, '__version__', '?')}",
             f"platform {platform.platform()}",
             f"CPU: {cpu_model()}; os.cpu_count()={os.cpu_count()}; usable by this process="
             f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}"]
    try:
        import threadpoolctl
        for pool in threadpoolctl.threadpool_info():
            lines.append(f"threadpool: {pool.get('internal_api')} {pool.get('version')} "
                         f"threads={pool.get('num_threads')} arch={pool.get('architecture')}")
    except ImportError:
        lines.append("threadpoolctl not installed: BLAS pools not listed")
    if hasattr(os, "getloadavg"):
        lines.append("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return lines


def peak_rss_mb() -> float:
    "Peak resident set size of this process so far, in MB (ru_maxrss is in kB on Linux, bytes on macOS)."
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


class PassTimer(Callback):
    "Times every dask.compute (one per pass of the Dask executor over the chunks)."

    def __init__(self):
        super().__init__()
        self.passes = []

    def _start(self, dsk):
        self._t0 = time.perf_counter()

    def _finish(self, dsk, state, errored):
        self.passes.append(time.perf_counter() - self._t0)


def generated_data(n, d, k, chunk_rows, seed):
    "The lazy (n, d) Dask array and the true centres (k, d)."
    centres = np.random.default_rng(seed + 1).normal(scale=3.0, size=(k, d))
    generator = da.random.default_rng(seed)
    labels = generator.integers(0, k, size=n, chunks=chunk_rows)
    X = generator.normal(size=(n, d), chunks=(chunk_rows, d)) + da.from_array(centres)[labels]
    return X, centres


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--n", type=float, default=1e8, help="rows (default 1e8)")
    parser.add_argument("--d", type=int, default=10, help="features (default 10)")
    parser.add_argument("--k", type=int, default=5, help="components and clusters (default 5)")
    parser.add_argument("--chunk-rows", type=float, default=1e6, help="rows per chunk (default 1e6)")
    parser.add_argument("--covariance-type", default="diag", choices=("full", "tied", "diag", "spherical"))
    parser.add_argument("--max-iter", type=int, default=3, help="EM iterations (default 3)")
    parser.add_argument("--workers", type=int, default=None,
                        help="threads of Dask's scheduler (default: Dask's, the number of CPUs)")
    parser.add_argument("--seed", type=int, default=0)
    check = parser.add_mutually_exclusive_group()
    check.add_argument("--check", dest="check", action="store_true", default=None,
                       help="also fit the materialised data in memory and compare (default when X <= 2 GB)")
    check.add_argument("--no-check", dest="check", action="store_false")
    args = parser.parse_args()

    n, d, k, chunk_rows = int(args.n), args.d, args.k, int(args.chunk_rows)
    for line in machine_facts():
        print(line)
    X, centres = generated_data(n, d, k, chunk_rows, args.seed)
    print(f"\nX: {n:,} x {d} float64 = {X.nbytes / 1e9:.2f} GB if materialised (it is not); "
          f"{X.numblocks[0]} chunks of {chunk_rows:,} rows = {chunk_rows * d * 8 / 1e6:.0f} MB")
    precisions = {"full": np.tile(np.eye(d), (k, 1, 1)), "tied": np.eye(d), "diag": np.ones((k, d)),
                  "spherical": np.ones(k)}[args.covariance_type]
    init = dict(weights_init=np.full(k, 1.0 / k), means_init=centres + 0.5, precisions_init=precisions)
    model = GaussianMixture(k, covariance_type=args.covariance_type, max_iter=args.max_iter, tol=0, **init)
    print(f"model: {model!r}  (init: uniform weights, true centres + 0.5, unit precisions)")
    print(f"peak RSS before the fit: {peak_rss_mb():.0f} MB")

    timer = PassTimer()
    config = {"scheduler": "threads"} if args.workers is None else {"scheduler": "threads",
                                                                       "num_workers": args.workers}
    t0 = time.perf_counter()
    with dask.config.set(config), timer, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    total = time.perf_counter() - t0
    fit_peak = peak_rss_mb()

    labels = ["first chunk (validation)", "column means (centre)"] + [f"EM iteration {i}" for i in
                                                                     range(1, args.max_iter + 1)]
    print(f"\n{'pass':28s} {'wall s':>8s} {'rows/s':>12s}")
    for label, seconds in zip(labels, timer.passes):
        rows = chunk_rows if label.startswith("first") else n
        print(f"{label:28s} {seconds:8.2f} {rows / seconds:12.3g}")
    iterations = timer.passes[2:]
    if iterations:
        print(f"{'mean per EM iteration':28s} {np.mean(iterations):8.2f} {n / np.mean(iterations):12.3g}")
    print(f"{'total fit':28s} {total:8.2f}")
    print(f"\npeak RSS after the fit: {fit_peak:.0f} MB (X would be {X.nbytes / 1e6:.0f} MB; "
          f"a chunk is {chunk_rows * d * 8 / 1e6:.0f} MB)")
    print(f"bounds per iteration: {np.round(model.lower_bounds_, 6).tolist()}")
    print(f"max |fitted mean - true centre| = {np.abs(model.means_ - centres).max():.2e}; "
          f"weights {np.round(model.weights_, 4).tolist()}")

    status = 0
    do_check = args.check if args.check is not None else X.nbytes <= 2e9
    if do_check:
        dense = X.compute()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            in_memory = GaussianMixture(k, covariance_type=args.covariance_type, max_iter=args.max_iter,
                                        tol=0, **init).fit(dense)
        difference = max(np.abs(getattr(model, name) - getattr(in_memory, name)).max()
                         / np.abs(getattr(in_memory, name)).max() for name in ("weights_", "means_", "covariances_"))
        print(f"\ncheck: in-memory fit on the materialised X from the same start: max relative difference "
              f"{difference:.1e} ({'ok' if difference < 1e-8 else 'RESULTS DIFFER'})")
        status = int(difference >= 1e-8)
    return status


if __name__ == "__main__":
    sys.exit(main())
