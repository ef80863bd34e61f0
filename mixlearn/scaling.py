"""Beyond one machine's memory: EM over blocks of rows, stepwise online EM (`partial_fit`) and Dask."""
import numbers
import warnings

import numpy as np

from mixlearn.densities import check_random_state
from mixlearn.em import (BaseMixture, ConvergenceWarning, check_array, check_integer, check_real,
                         check_sample_weight, initial_responsibilities, log_softmax_responsibilities)

# ---- statistics: the currency ----------------------------------------------------------------

def add_statistics(total, block, constant_keys=("shift",)):
    "Add the additive entries of `block` to `total` in place (dicts of arrays); returns total."
    if total is None:
        return {key: (value if key in constant_keys else np.array(value, dtype=float, copy=True))
                for key, value in block.items()}
    for key, value in block.items():
        if key not in constant_keys:
            total[key] += value
    return total


def scale_statistics(statistics, factor, constant_keys=("shift",)):
    "A copy of `statistics` with every additive entry multiplied by `factor`."
    return {key: (value if key in constant_keys else value * factor) for key, value in statistics.items()}


def mix_statistics(running, block, step, constant_keys=("shift",)):
    "(1 - step) * running + step * block, entry by entry (stepwise EM's update)."
    return {key: (value if key in constant_keys else (1.0 - step) * value + step * block[key])
            for key, value in running.items()}


def block_e_step(model, X, sample_weight=None):
    """E-step and statistics of one block of rows under the model's current parameters.

    Returns (statistics, log-likelihood sum, weight sum) of the block: the responsibilities are
    computed in a (k, rows) buffer, multiplied by the weights and reduced to the family's additive
    statistics at once, so that nothing of size (n, k) outlives the block."""
    buffer = np.empty((model.n_components, X.shape[0])).T
    log_prob_norm, resp = model._e_step(X, out=buffer)
    if sample_weight is None:
        log_likelihood, weight = float(log_prob_norm.sum()), float(X.shape[0])
    else:
        log_likelihood, weight = float(sample_weight @ log_prob_norm), float(sample_weight.sum())
        resp *= sample_weight[:, None]
    if not np.isfinite(log_likelihood):
        raise ValueError(f"{type(model).__name__}: some rows of a block have zero density under every "
                         "component. Rescale X.")
    return model._block_statistics(X, resp), log_likelihood, weight


def iter_row_blocks(X, block_rows, sample_weight=None):
    "Yield (X block, weight block or None) of at most `block_rows` rows, in order."
    for start in range(0, X.shape[0], block_rows):
        yield X[start:start + block_rows], None if sample_weight is None else sample_weight[start:start + block_rows]


def em_step_over_blocks(model, blocks):
    """One EM iteration over `blocks`, an iterable of (X block, sample_weight block or None): E-step
    and statistics block by block, summed, then one M-step from the sums. Returns the mean
    log-likelihood per unit weight of the parameters before the M-step (the engine's bound)."""
    total, log_likelihood, weight = None, 0.0, 0.0
    for X_block, w_block in blocks:
        statistics, block_log_likelihood, block_weight = block_e_step(model, X_block, w_block)
        total = add_statistics(total, statistics, model._statistics_constant_keys)
        log_likelihood += block_log_likelihood
        weight += block_weight
    model._m_step_from_statistics(total)
    return log_likelihood / weight


def _check_learning_rate(model):
    decay = check_real("learning_decay", model.learning_decay, 0.0)
    if not 0.5 < decay <= 1.0:
        raise ValueError(f"learning_decay must lie in (0.5, 1] (stepwise EM converges for step sizes "
                         f"(t + t0) ** -kappa with 0.5 < kappa <= 1); got {model.learning_decay}")
    check_real("learning_offset", model.learning_offset, 0.0)


def partial_fit(self, X, y=None, sample_weight=None):
    """One step of stepwise (online) EM on the block of rows X (Cappé & Moulines 2009; Liang & Klein 2009).

    On an unfitted model the first call initialises the parameters from this block (with `init_params`,
    `*_init`, `random_state` as `fit` does); on a fitted one it starts from the fitted parameters. The
    first step takes the block's statistics as the running average. Every later call
    computes the block's responsibility-weighted statistics under the current parameters, averages them
    per unit of weight, and moves the running average towards them by the step
    eta_t = (t + learning_offset) ** -learning_decay, then runs the M-step on the running average
    (scaled to the total weight seen, so that smoothing priors count as they would in `fit`).
    Returns self. Attributes: `n_steps_` (blocks seen), `n_samples_seen_` (their total weight),
    `lower_bound_` (mean log-likelihood of the last block before its update)."""
    fitted = hasattr(self, "n_features_in_") and hasattr(self, self._parameter_names[0])
    X = self._check_X(X, reset=not fitted)
    if not fitted:
        self._check_common_parameters(X)
        self._check_parameters(X)
    _check_learning_rate(self)
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    if not fitted:                                  # the first block initialises, as fit would
        self.n_features_in_ = X.shape[1]
        resp = None
        if self._needs_initial_responsibilities():
            resp = initial_responsibilities(X, self.n_components, self.init_params,
                                            check_random_state(self.random_state))
            if sample_weight is not None:
                resp *= sample_weight[:, None]
        self._initialize(X, resp)
    if not hasattr(self, "n_steps_"):               # the first step, from scratch or from a fitted model
        self._begin_statistics(X.mean(axis=0))
        self.n_steps_, self.n_samples_seen_, self._running_statistics = 0, 0.0, None
    statistics, log_likelihood, weight = block_e_step(self, X, sample_weight)
    if weight <= 0:
        raise ValueError("sample_weight of this block sums to zero: the block carries no information")
    keys = self._statistics_constant_keys
    average = scale_statistics(statistics, 1.0 / weight, keys)
    if self._running_statistics is None:
        self._running_statistics = average
    else:
        step = (self.n_steps_ + self.learning_offset) ** -self.learning_decay
        self._running_statistics = mix_statistics(self._running_statistics, average, min(1.0, step), keys)
    self.n_steps_ += 1
    self.n_samples_seen_ += weight
    self._m_step_from_statistics(scale_statistics(self._running_statistics, self.n_samples_seen_, keys))
    self.lower_bound_ = log_likelihood / weight
    self.converged_ = False
    return self


def is_dask_array(X):
    "True for a `dask.array.Array`, without importing dask."
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "to_delayed") and hasattr(X, "chunks")


def _dask_block_task(model, X_block, w_block):
    "Runs on a worker: the E-step statistics of one block (see `block_e_step`), the block checked first."
    X_block = model._check_X(X_block, reset=False)
    if w_block is not None:
        w_block = check_sample_weight(w_block, X_block.shape[0])
    return block_e_step(model, X_block, w_block)


def fit_dask(model, X, sample_weight=None):
    """`fit` for a `dask.array.Array` X (n, d), chunked along rows: every EM iteration maps the block
    statistics over the chunks (on threads, processes or a `dask.distributed` cluster, whichever
    scheduler is active) and reduces them on the client, where the M-step runs. Initialisation:
    from the first chunk (or the user's `*_init`), as `partial_fit` does. Returns the model."""
    import dask

    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got a dask array of shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold real numbers; got a dask array of dtype {X.dtype}")
    X = X.rechunk({1: -1})                                   # whole rows in every chunk
    blocks = list(X.to_delayed().ravel())
    if sample_weight is not None:
        import dask.array as da
        sample_weight = da.asarray(sample_weight)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(f"sample_weight must have shape ({X.shape[0]},); got {sample_weight.shape}")
        weight_blocks = list(sample_weight.rechunk((X.chunks[0],)).to_delayed().ravel())
    else:
        weight_blocks = [None] * len(blocks)
    first = model._check_X(blocks[0].compute(), reset=True)
    model._check_common_parameters(first)
    model._check_parameters(first)
    if first.shape[1] != X.shape[1]:
        raise ValueError("X's first chunk has a different number of columns")       # cannot happen after rechunk
    mean = dask.compute(X.mean(axis=0))[0]
    model.n_features_in_ = X.shape[1]
    model._begin_statistics(np.asarray(mean, dtype=float))
    rng = check_random_state(model.random_state)
    best = None
    for init in range(model.n_init):
        resp = None
        if model._needs_initial_responsibilities():
            resp = initial_responsibilities(first, model.n_components, model.init_params, rng)
        model._initialize(first, resp)
        bound, bounds, converged, n_iter = -np.inf, [], False, 0
        for n_iter in range(1, model.max_iter + 1):
            previous = bound
            snapshot = dask.delayed(model, pure=False)
            parts = [dask.delayed(_dask_block_task, pure=False)(snapshot, block, weights)
                     for block, weights in zip(blocks, weight_blocks)]
            results = dask.compute(*parts)
            total, log_likelihood, weight = None, 0.0, 0.0
            for statistics, block_log_likelihood, block_weight in results:
                total = add_statistics(total, statistics, model._statistics_constant_keys)
                log_likelihood += block_log_likelihood
                weight += block_weight
            model._m_step_from_statistics(total)
            bound = log_likelihood / weight
            bounds.append(bound)
            if abs(bound - previous) < model.tol:
                converged = True
                break
        if best is None or bound > best[0]:
            best = (bound, model._get_parameters(), bounds, n_iter, converged)
    bound, params, bounds, n_iter, converged = best
    model._set_parameters(params)
    model.lower_bound_, model.lower_bounds_, model.n_iter_, model.converged_ = bound, bounds, n_iter, converged
    model._end_statistics()
    if not converged and model.max_iter > 0:
        warnings.warn(f"{type(model).__name__}: the best of {model.n_init} initialisation(s) did not converge "
                      f"in max_iter={model.max_iter} iterations (tol={model.tol}).", ConvergenceWarning, stacklevel=3)
    return model


BaseMixture.partial_fit = partial_fit
BaseMixture.learning_decay = 0.7          # class defaults until every family declares them
BaseMixture.learning_offset = 2.0
