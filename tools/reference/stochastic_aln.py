#!/usr/bin/env python3
"""Statistical reference figures for a *stochastic* ALN node, from neurolib 0.6.2.

Run:  /work/venv/bin/python tools/reference/stochastic_aln.py [--n 20] [--seed0 1000]
      [--regime slow|fast|both] [--json FILE]
(needs neurolib 0.6.2, numba, numpy, scipy; ~10-20 s of numba compilation, then
~0.2-0.5 s per 20 s realisation; the default run (2 x 20 realisations) takes ~25 s.)

What it runs
------------
neurolib's MultiModel ``ALNNode()`` (one EXC + one INH ALN mass, all neurolib defaults:
local connectivity, local delays 4 ms / 2 ms, b = 40, tauA = 200, a = 15, ...), integrated
by neurolib's own ``numba`` backend (fixed-step explicit Euler, fastmath) through
``Node.run(duration, dt, noise_input, backend="numba")`` -- the call ``MultiModel.run()``
makes underneath (MultiModel.run itself no longer works on NumPy 2: it converts results
with ``astype(np.floating)``).

* dt = 0.1 ms, duration = 20000 ms (N = 200000 Euler steps).
* ``ext_exc_current`` = ``ext_inh_current`` = 0 (neurolib's defaults); the node is driven
  only through each mass's default noise channel ``input_0``, an
  ``OrnsteinUhlenbeckProcess`` (neurolib default mu = 0.4 EXC / 0.3 INH, sigma = 0,
  tau = 5 ms), which enters d(I_mu)/dt exactly like ext_*_current:
  dI_mu/dt = (J*I_syn... + input_0 + ext_current - I_mu) / tau(mu, sigma).
  Parameters changed from neurolib's defaults (nothing else is changed):
      regime "slow" (primary):  EXC input_0: mu = 4.2, sigma = 0.05, tau = 5.0
                                INH input_0: mu = 1.8, sigma = 0.05, tau = 5.0
        = the aln_node golden case (constant ext currents 4.2 / 1.8) plus noise:
          slow adaptation-driven limit cycle, ~3 Hz.
      regime "fast" (secondary): EXC input_0: mu = 2.5, sigma = 0.05, tau = 5.0
                                 INH input_0: mu = 0.3 (neurolib default), sigma = 0.05, tau = 5.0
          fast E-I limit cycle, ~20 Hz.
* Initial state: the aln_node golden case's ``initial_state_flat`` (state-vector order
  I_mu_EXC, I_A_EXC, I_syn_mu_exc_EXC, I_syn_mu_inh_EXC, I_syn_sigma_exc_EXC,
  I_syn_sigma_inh_EXC, r_mean_EXC, I_mu_INH, I_syn_mu_exc_INH, I_syn_mu_inh_INH,
  I_syn_sigma_exc_INH, I_syn_sigma_inh_INH, r_mean_INH); values are hard-coded below and
  checked against /work/shared/reference/manifest.json when that file exists. A 1-D
  initial state = constant history over the 40-step (4 ms) delay buffer.
* Noise input (one row per mass, EXC first = channel 0, INH = channel 1) is produced by
  neurolib's own generator ``OrnsteinUhlenbeckProcess.numba_ou`` exactly as
  ``OrnsteinUhlenbeckProcess.generate_input`` does it -- x[0] = U[0,1) * mu from NumPy's
  global generator, then x[k+1] = x[k] + dt*(mu - x[k])/tau + sigma*sqrt(dt)*randn()
  with randn from *numba's* generator -- except that it is generated N+1 samples long
  and handed to the integrator as the N-column view ``x[:, :N]``. Euler step i
  (i = 1..N) adds input column i (column 0, the U[0,1)*mu start, is never used; column
  i is labelled t = (i+1)*dt); in the last step neurolib reads column N, one past the
  end, which through the view is the extra (N+1-th) OU sample instead of
  out-of-bounds memory.
* Seeds: realisation k uses seed s = seed0 + k for both NumPy's global generator (the
  U[0,1) start) and numba's generator (seeded inside a jitted function; NumPy's
  ``np.random.seed`` does not reach numba). So the run is reproducible, but the paths are
  of course not reproducible by another RNG -- compare statistics only.
* Deterministic reference (sigma = 0): the input is exactly the constant mu in every
  column (no U[0,1)*mu start), i.e. identical to driving with ext currents 4.2 / 1.8 as
  in the aln_node golden case.

Statistics (per realisation)
----------------------------
r = r_mean_EXC * 1000 (kHz -> Hz), sub-sampled to 1 ms by taking output samples
r[9::10] (t = 1, 2, ..., 20000 ms; output sample j is at t = (j+1)*dt), then the first
1000 samples are dropped (t <= 1000 ms), leaving 19000 samples, t = 1001..20000 ms.
  mean   = mean(x)                       [Hz]
  std    = std(x) (ddof = 0)             [Hz]
  PSD    = scipy.signal.welch(x - mean, fs=1000, nperseg=4096) with scipy's defaults
           (Hann window, noverlap = 2048, detrend='constant', scaling='density',
           average='mean'); resolution 1000/4096 = 0.2441 Hz.
  f_peak = frequency of the largest PSD value excluding the 0 Hz bin   [Hz]
  P_peak = that PSD value                                              [Hz^2/Hz]
  f_interp = f_peak refined by a parabola through the peak bin and its two
           neighbours (linear power) -- less quantised than f_peak     [Hz]

Printed output format
---------------------
For each regime: a header with the configuration, then one line per realisation
  "real  k  seed  mean  std  f_peak  P_peak  f_interp"
then "agg" lines: "agg  <stat>  mean_over_realisations  std_over_realisations(ddof=1)"
and a "det" line with the same five statistics for sigma = 0. The last line is
  "RESULT <json>"  (all numbers, per regime) for machine use; --json FILE also writes it.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

import numpy as np

# --- run-time shims for neurolib 0.6.2 on Python 3.11 + NumPy 2 (no site-packages edits) ---
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neurolib_shims  # noqa: E402

neurolib_shims.install()
import numba  # noqa: E402

from neurolib.models.multimodel import ALNNode, MultiModel  # noqa: E402
from neurolib.utils.stimulus import OrnsteinUhlenbeckProcess  # noqa: E402
from scipy.signal import welch  # noqa: E402

DT = 0.1  # ms
DURATION = 20000.0  # ms
N_STEPS = int(round(DURATION / DT))
DROP_MS = 1000
FS = 1000.0  # Hz after 1 ms sub-sampling
NPERSEG = 4096
TAU_OU = 5.0
SIGMA = 0.05

REGIMES = {
    "slow": {"mu_exc": 4.2, "mu_inh": 1.8},
    "fast": {"mu_exc": 2.5, "mu_inh": 0.3},
}

# aln_node golden case: config.nodes[0].initial_state (state-vector order)
STATE_ORDER = [
    "I_mu_EXC", "I_A_EXC", "I_syn_mu_exc_EXC", "I_syn_mu_inh_EXC", "I_syn_sigma_exc_EXC",
    "I_syn_sigma_inh_EXC", "r_mean_EXC", "I_mu_INH", "I_syn_mu_exc_INH", "I_syn_mu_inh_INH",
    "I_syn_sigma_exc_INH", "I_syn_sigma_inh_INH", "r_mean_INH",
]
INITIAL_STATE = np.array([
    0.5408090666303076, 3.8950482975249168, 0.2316092632491723, 0.3624669645960739,
    0.00042020360458772744, 0.0004854270981677824, 0.00012780814590608648,
    0.4624885271390171, 0.3700248482577024, 0.13165750759256734, 0.005337393933802978,
    0.00014574962485419674, 0.00918747008099885,
])
MANIFEST = "/work/shared/reference/manifest.json"


@numba.njit
def _seed_numba(seed):
    np.random.seed(seed)  # inside jitted code this seeds numba's own generator


def check_initial_state():
    if not os.path.exists(MANIFEST):
        return "manifest not found; using hard-coded initial state"
    cfg = json.load(open(MANIFEST))["cases"]["aln_node"]["config"]
    assert cfg["state_vector_order"] == STATE_ORDER
    assert np.array_equal(np.array(cfg["initial_state_flat"]), INITIAL_STATE)
    return "initial state checked against manifest.json (aln_node)"


def build_model():
    model = MultiModel.init_node(ALNNode())
    model.params["backend"] = "numba"
    model.params["dt"] = DT
    model.params["duration"] = DURATION
    assert model.model_instance.state_variable_names[0] == STATE_ORDER
    model.model_instance.initial_state = INITIAL_STATE.copy()
    return model


def set_inputs(model, mu_exc, mu_inh, sigma):
    p = model.params
    p["ALNNode_0.ALNMassEXC_0.ext_exc_current"] = 0.0
    p["ALNNode_0.ALNMassINH_1.ext_inh_current"] = 0.0
    for mass, mu in (("ALNMassEXC_0", mu_exc), ("ALNMassINH_1", mu_inh)):
        p[f"ALNNode_0.{mass}.input_0.mu"] = mu
        p[f"ALNNode_0.{mass}.input_0.sigma"] = sigma
        p[f"ALNNode_0.{mass}.input_0.tau"] = TAU_OU
    model._update_model_params()  # push into the Node (what MultiModel.run does first)
    noises = model.model_instance.noise_input
    assert [type(n).__name__ for n in noises] == ["OrnsteinUhlenbeckProcess"] * 2
    assert [(n.mu, n.sigma, n.tau) for n in noises] == [(mu_exc, sigma, TAU_OU), (mu_inh, sigma, TAU_OU)]
    return noises


def ou_inputs(noises, seed):
    """N+1 samples per channel with neurolib's OU generator; returns the N-column view."""
    np.random.seed(seed)
    _seed_numba(seed)
    rows = []
    for n in noises:  # channel order: EXC, INH (as MultiModel stacks them)
        x = np.random.rand(1, N_STEPS + 1) * n.mu
        rows.append(OrnsteinUhlenbeckProcess.numba_ou(x, np.empty(N_STEPS + 1), DT, n.mu, n.sigma, n.tau, 1))
    full = np.vstack(rows)
    return full[:, :N_STEPS]


def constant_inputs(noises):
    full = np.vstack([np.full((1, N_STEPS + 1), float(n.mu)) for n in noises])
    return full[:, :N_STEPS]


def integrate_r_exc(model, inputs):
    node = model.model_instance
    t, res = node.run(duration=DURATION, dt=DT, noise_input=inputs, backend="numba", return_xarray=False)
    assert res.shape == (13, N_STEPS) and np.isfinite(res).all()
    assert abs(t[9] - 1.0) < 1e-9 and abs(t[-1] - DURATION) < 1e-6
    return res[STATE_ORDER.index("r_mean_EXC")] * 1000.0  # Hz


def statistics(r_hz):
    x = r_hz[9::10][DROP_MS:]  # t = 1001 .. 20000 ms, 1 ms apart
    assert x.shape[0] == int(DURATION) - DROP_MS
    mean = float(x.mean())
    std = float(x.std())
    f, p = welch(x - mean, fs=FS, nperseg=NPERSEG)
    k = int(np.argmax(p[1:]) + 1)
    fi = f[k]
    if 1 <= k < len(p) - 1:
        a, b, c = p[k - 1], p[k], p[k + 1]
        den = a - 2 * b + c
        if den != 0:
            fi = f[k] + 0.5 * (a - c) / den * (f[1] - f[0])
    return {"mean": mean, "std": std, "f_peak": float(f[k]), "P_peak": float(p[k]), "f_interp": float(fi)}


STATS = ["mean", "std", "f_peak", "P_peak", "f_interp"]


def run_regime(model, name, n_real, seed0):
    cfg = REGIMES[name]
    print(f"=== regime {name}: EXC input_0 mu={cfg['mu_exc']} sigma={SIGMA} tau={TAU_OU} | "
          f"INH input_0 mu={cfg['mu_inh']} sigma={SIGMA} tau={TAU_OU} | ext currents 0 | "
          f"dt={DT} ms, {DURATION:.0f} ms, drop {DROP_MS} ms, welch nperseg={NPERSEG} fs={FS:.0f}")
    noises = set_inputs(model, cfg["mu_exc"], cfg["mu_inh"], SIGMA)
    print(f"{'':4}{'k':>3} {'seed':>6} {'mean[Hz]':>10} {'std[Hz]':>10} {'f_peak[Hz]':>11} "
          f"{'P_peak[Hz2/Hz]':>15} {'f_interp[Hz]':>13}")
    rows = []
    for k in range(n_real):
        s = seed0 + k
        st = statistics(integrate_r_exc(model, ou_inputs(noises, s)))
        st["seed"] = s
        rows.append(st)
        print(f"real{k:>3} {s:>6} {st['mean']:10.4f} {st['std']:10.4f} {st['f_peak']:11.4f} "
              f"{st['P_peak']:15.5g} {st['f_interp']:13.4f}")
    agg = {}
    for key in STATS:
        v = np.array([r[key] for r in rows])
        agg[key] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0}
        print(f"agg  {key:9} {agg[key]['mean']:14.6g} {agg[key]['std']:14.6g}")
    noises = set_inputs(model, cfg["mu_exc"], cfg["mu_inh"], 0.0)
    det = statistics(integrate_r_exc(model, constant_inputs(noises)))
    print("det  sigma=0  " + "  ".join(f"{key}={det[key]:.6g}" for key in STATS))
    return {"config": {**cfg, "sigma": SIGMA, "tau": TAU_OU}, "realisations": rows, "aggregate": agg,
            "deterministic_sigma0": det}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20, help="realisations per regime (default 20)")
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument("--regime", choices=["slow", "fast", "both"], default="both")
    ap.add_argument("--json", help="also write the RESULT json to this file")
    args = ap.parse_args()
    t0 = time.time()
    print(check_initial_state())
    model = build_model()
    # first call compiles the model (~20 s); not part of the reported statistics
    set_inputs(model, *REGIMES["slow"].values(), 0.0)
    integrate_r_exc(model, constant_inputs(model.model_instance.noise_input))
    print(f"compiled in {time.time() - t0:.1f} s")
    out = {"neurolib": importlib.metadata.version("neurolib"), "numba": numba.__version__, "numpy": np.__version__, "dt_ms": DT,
           "duration_ms": DURATION, "drop_ms": DROP_MS, "nperseg": NPERSEG, "fs_hz": FS,
           "initial_state": dict(zip(STATE_ORDER, INITIAL_STATE.tolist())), "regimes": {}}
    for name in (["slow", "fast"] if args.regime == "both" else [args.regime]):
        t1 = time.time()
        out["regimes"][name] = run_regime(model, name, args.n, args.seed0)
        print(f"regime {name}: {time.time() - t1:.1f} s")
    out["runtime_s"] = time.time() - t0
    line = json.dumps(out)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(line + "\n")
    print(f"total runtime {out['runtime_s']:.1f} s")
    print("RESULT " + line)


if __name__ == "__main__":
    sys.exit(main())
