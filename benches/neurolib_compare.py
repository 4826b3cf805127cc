#!/usr/bin/env python3
"""neuromass against neurolib 0.6.2 on the same machine: the comparable rows of issue 7.

Usage:
    python3 benches/neurolib_compare.py [--python /work/venv/bin/python] [--quick]
        [--neuromass PATH | --bench-json FILE] [--memory] [--multimodel [--multimodel-nodes 2]]

If neurolib is not importable by this interpreter (or the one given by --python), the
script says so and exits with status 0: the comparison is optional.

What it times on neurolib's side (warm, i.e. after a first run that compiles numba):
  aln      classic hand-written ALNModel, 80 nodes on neurolib's "gw" connectome
           (Cmat, Dmat; delays from lengths at neurolib's default signalV = 20 m/s),
           dt 0.1 ms, OU noise on (sigma_ou = 0.05), 2 s per run (--quick: 0.2 s):
           wall time of model.run() / (80 nodes x steps)  -> ns per node-step
  explore  the bare loop of neurolib's reference exploration: one ALNModel node, 5 s,
           the 4 x 4 grid over ext_exc_current x ext_inh_current (0..3, mue/mui_ext_mean
           = 0), set params + model.run() per point, no storage, one core -> runs/s
  memory   (--memory) peak RSS of a fresh Python process running ALNModel, 80 nodes on gw,
           60 s (--quick: 6 s) with sampling_dt = 1 ms  -> MB  (slow: ~1 min)
  multimodel (--multimodel) neurolib's MultiModel ALNNetwork of --multimodel-nodes nodes
           (random connectivity, delays 0-20 ms) on the numba backend: compile (build)
           time and ns per node-step. Compiling takes 10 s for 2 nodes and minutes from 8
           nodes on; it needs run-time shims for NumPy 2 / Python 3.11 (the same as
           tools/reference/stochastic_aln.py; nothing in site-packages is edited).

Then it runs `neuromass bench --json` (the release binary, found in $CARGO_TARGET_DIR or
./target, else via `cargo run --release`), or reads --bench-json, and prints each row's
figures and the ratio. Rows neurolib has no counterpart for (2 threads, 1 000-node build,
thalamocortical motif without --multimodel) print the issue's quoted figure instead.
The machine may be shared: all figures are noisy.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DT = 0.1
SIGMA_OU = 0.05


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", help="run under this interpreter (one that has neurolib 0.6.2)")
    p.add_argument("--quick", action="store_true", help="short runs (and `neuromass bench --quick`)")
    p.add_argument("--neuromass", help="path of the neuromass binary (default: the release build)")
    p.add_argument("--bench-json", help="read `neuromass bench --json` output from this file instead")
    p.add_argument("--memory", action="store_true", help="also measure neurolib's peak memory (slow)")
    p.add_argument("--multimodel", action="store_true", help="also time a tiny MultiModel network (slow compile)")
    p.add_argument("--multimodel-nodes", type=int, default=2, help="MultiModel network size (default 2)")
    return p.parse_args()


def reexec_under(python):
    """Run this script under another interpreter (once)."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return
    argv = [a for i, a in enumerate(sys.argv) if a != "--python" and (i == 0 or sys.argv[i - 1] != "--python")]
    argv = [a for a in argv if not a.startswith("--python=")]
    os.execv(python, [python] + argv)


def neurolib_version():
    try:
        import importlib.metadata

        import neurolib  # noqa: F401

        return importlib.metadata.version("neurolib")
    except Exception as e:  # not installed, or broken
        return f"unavailable ({type(e).__name__}: {e})"


# ---------------------------------------------------------------- neurolib's side


def time_classic_aln_80(quick):
    from neurolib.models.aln import ALNModel
    from neurolib.utils.loadData import Dataset

    ds = Dataset("gw")
    model = ALNModel(Cmat=ds.Cmat, Dmat=ds.Dmat)
    model.params["dt"] = DT
    model.params["sigma_ou"] = SIGMA_OU
    n = model.params["N"]
    duration = 200.0 if quick else 2000.0
    model.params["duration"] = 10.0
    t0 = time.perf_counter()
    model.run()  # compiles
    compile_s = time.perf_counter() - t0
    model.params["duration"] = duration
    steps = round(duration / DT)
    per = []
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter()
        model.run()
        per.append((time.perf_counter() - t0) * 1e9 / (n * steps))
    return {
        "value": sorted(per)[len(per) // 2],
        "unit": "ns/node-step",
        "note": f"classic ALNModel, {n} nodes gw, sigma_ou {SIGMA_OU}, {duration / 1000} s per run, "
        f"median of {len(per)} warm runs (first run incl. numba compile: {compile_s:.1f} s)",
    }


def time_bare_explore_loop(quick):
    import numpy as np
    from neurolib.models.aln import ALNModel

    model = ALNModel()
    model.params["dt"] = DT
    model.params["duration"] = 5000.0
    model.params["mue_ext_mean"] = 0.0
    model.params["mui_ext_mean"] = 0.0
    grid = np.linspace(0.0, 3.0, 4)
    points = [(e, i) for e in grid for i in grid]
    model.run()  # compile
    reps = 1 if quick else 3
    per = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for e, i in points:
            model.params["ext_exc_current"] = e
            model.params["ext_inh_current"] = i
            model.run()
        per.append(len(points) / (time.perf_counter() - t0))
    return {
        "value": sorted(per)[len(per) // 2],
        "unit": "runs/s",
        "note": "bare loop: one ALNModel node, 5 s, 4x4 grid over ext_exc/inh_current, "
        f"warm, one core, no storage, median of {reps}",
    }


MEMORY_CHILD = r"""
import resource, sys
from neurolib.models.aln import ALNModel
from neurolib.utils.loadData import Dataset
ds = Dataset("gw")
m = ALNModel(Cmat=ds.Cmat, Dmat=ds.Dmat)
m.params["dt"] = 0.1
m.params["sigma_ou"] = float(sys.argv[2])
m.params["duration"] = float(sys.argv[1])
m.params["sampling_dt"] = 1.0
m.run()
print("peak_rss_kb=%d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure_memory(quick):
    duration = 6000.0 if quick else 60000.0
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(duration), str(SIGMA_OU)],
        capture_output=True,
        text=True,
        check=False,
    )
    kb = [line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("peak_rss_kb=")]
    if not kb:
        raise RuntimeError(f"memory child failed: {out.stderr.strip()[-500:]}")
    return {
        "value": int(kb[0]) * 1024 / 1e6,
        "unit": "MB",
        "note": f"peak RSS of a fresh Python process: classic ALNModel 80 nodes gw, {duration / 1000} s, sampling_dt 1 ms",
    }


def install_multimodel_shims():
    """neurolib 0.6.2's MultiModel on NumPy 2 / Python 3.11 (tools/reference/neurolib_shims.py)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "tools", "reference"))
    import neurolib_shims

    neurolib_shims.install()


def time_multimodel(n_nodes, quick):
    import numpy as np

    install_multimodel_shims()
    from neurolib.models.multimodel import ALNNetwork

    rng = np.random.default_rng(42)
    cmat = rng.random((n_nodes, n_nodes)) / n_nodes
    np.fill_diagonal(cmat, 0.0)
    dmat = rng.random((n_nodes, n_nodes)) * 20.0
    np.fill_diagonal(dmat, 0.0)
    net = ALNNetwork(cmat, dmat)
    for noise in net.noise_input:
        noise.sigma = SIGMA_OU

    def noise_for(duration):
        steps = round(duration / DT)
        return np.vstack([np.asarray(p.generate_input(duration=duration, dt=DT)).reshape(-1, steps)[:1] for p in net.noise_input])

    t0 = time.perf_counter()
    net.run(duration=1.0, dt=DT, noise_input=noise_for(1.0), backend="numba", return_xarray=False)
    build_s = time.perf_counter() - t0
    duration = 200.0 if quick else 1000.0
    steps = round(duration / DT)
    noise = noise_for(duration)
    t0 = time.perf_counter()
    net.run(duration=duration, dt=DT, noise_input=noise, backend="numba", return_xarray=False)
    ns = (time.perf_counter() - t0) * 1e9 / (n_nodes * steps)
    return build_s, ns


# ---------------------------------------------------------------- neuromass's side


def neuromass_report(args):
    if args.bench_json:
        with open(args.bench_json) as f:
            return json.load(f)
    extra = ["--quick"] if args.quick else []
    exe = args.neuromass
    if exe is None:
        for d in (os.environ.get("CARGO_TARGET_DIR"), os.path.join(REPO, "target")):
            if d and os.path.exists(os.path.join(d, "release", "neuromass")):
                exe = os.path.join(d, "release", "neuromass")
                break
    if exe is not None:
        cmd = [exe, "bench", "--json"] + extra
    elif shutil.which("cargo"):
        cmd = ["cargo", "run", "--release", "-q", "-p", "neuromass", "--", "bench", "--json"] + extra
    else:
        raise RuntimeError("no neuromass binary: build it (cargo build --release) or pass --neuromass / --bench-json")
    print(f"running: {' '.join(cmd)}", flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"neuromass bench failed: {out.stderr.strip()[-1000:]}")
    return json.loads(out.stdout)


def main():
    args = parse_args()
    if args.python:
        reexec_under(args.python)
    version = neurolib_version()
    if version.startswith("unavailable"):
        print(f"neurolib is not importable by {sys.executable}: {version}")
        print("skipping the comparison (install neurolib 0.6.2, or pass --python /path/to/python)")
        return 0
    if version != "0.6.2":
        print(f"note: neurolib {version} found; the issue's figures are for 0.6.2")

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    print(f"machine: {cpu}, {os.cpu_count()} logical CPU(s), load {os.getloadavg()[0]:.2f}; "
          f"Python {platform.python_version()}, neurolib {version}")

    nl = {}
    for key, fn, wanted in (
        ("aln", time_classic_aln_80, True),
        ("explore", time_bare_explore_loop, True),
        ("memory", measure_memory, args.memory),
    ):
        if not wanted:
            continue
        print(f"timing neurolib: {key} ...", flush=True)
        try:
            nl[key] = fn(args.quick)
        except Exception as e:
            nl[key] = {"value": None, "unit": "", "note": f"failed: {type(e).__name__}: {e}"}
    if args.multimodel:
        print(f"timing neurolib: MultiModel ALNNetwork, {args.multimodel_nodes} nodes (compiles) ...", flush=True)
        try:
            build_s, ns = time_multimodel(args.multimodel_nodes, args.quick)
            nl["multimodel_build"] = {"value": build_s * 1e3, "unit": "ms",
                                      "note": f"MultiModel ALNNetwork {args.multimodel_nodes} nodes: first run incl. numba compile"}
            nl["multimodel_step"] = {"value": ns, "unit": "ns/node-step",
                                     "note": f"MultiModel ALNNetwork {args.multimodel_nodes} nodes, numba, warm"}
        except Exception as e:
            nl["multimodel_build"] = {"value": None, "unit": "", "note": f"failed: {type(e).__name__}: {e}"}

    report = neuromass_report(args)
    ours = {r["row"]: r for r in report["rows"]}
    m = report.get("machine", {})
    print(f"neuromass measured on: {m.get('cpu')}, {m.get('cores')} logical CPU(s), load {m.get('load_average')}"
          + (" (quick)" if report.get("quick") else ""))
    print()

    def fmt(x, unit):
        return "n/a" if x is None else f"{x:.4g} {unit}"

    lines = [("row", "neurolib here", "neuromass here", "ratio")]

    def row(name, theirs, mine, ratio_text):
        lines.append((name, theirs, mine, ratio_text))

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    a, b = nl.get("aln", {}).get("value"), ours.get("aln", {}).get("value")
    r = ratio(a, b)
    row("ALN 80 gw OU, 1 thread", fmt(a, "ns/node-step"), fmt(b, "ns/node-step"),
        "n/a" if r is None else f"neuromass {r:.2f}x faster")
    if "multimodel_step" in nl:
        a2 = nl["multimodel_step"]["value"]
        r = ratio(a2, b)
        row(f"  vs MultiModel ({args.multimodel_nodes} nodes)", fmt(a2, "ns/node-step"), fmt(b, "ns/node-step"),
            "n/a" if r is None else f"neuromass {r:.2f}x faster")
    b2 = ours.get("aln-2t", {}).get("value")
    row("the same on 2 threads", "- (single-threaded)", fmt(b2, "x one thread"), "-")
    bb = ours.get("build", {}).get("value")
    if "multimodel_build" in nl and nl["multimodel_build"].get("value") is not None:
        a3 = nl["multimodel_build"]["value"]
        row(f"build (neurolib: {args.multimodel_nodes}-node MultiModel; neuromass: 1 000 nodes)",
            fmt(a3, "ms"), fmt(bb, "ms"), "n/a" if ratio(a3, bb) is None else f"neuromass {ratio(a3, bb):.0f}x faster")
    else:
        row("build, 1 000 nodes", "quoted: 10 s (2 nodes) .. >900 s (32)", fmt(bb, "ms"), "-")
    bm = ours.get("memory", {}).get("value")
    if "memory" in nl:
        a4 = nl["memory"]["value"]
        row("80 nodes x 60 s, r_mean_EXC at 1 ms: peak", fmt(a4, "MB"), fmt(bm, "MB"),
            "n/a" if ratio(a4, bm) is None else f"neuromass {ratio(a4, bm):.1f}x less")
    else:
        row("80 nodes x 60 s: peak memory", "quoted: 4.0 GB (--memory to measure)", fmt(bm, "MB"), "-")
    a5, b5 = nl.get("explore", {}).get("value"), ours.get("explore", {}).get("value")
    r5 = ratio(b5, a5)
    row("4x4 ALN exploration, 5 s per run", fmt(a5, "runs/s (1 core, no storage)"),
        fmt(b5, "runs/s (2 threads, HDF5)"),
        "n/a" if r5 is None else f"neuromass {r5:.2f}x faster ({r5 / 2:.2f}x per thread)")
    bt = ours.get("thalamo", {}).get("value")
    row("thalamocortical motif", "quoted: 3.3 us/step (MultiModel)", fmt(bt, "us/step"),
        "-" if bt is None else f"neuromass {3.3 / bt:.1f}x faster (vs the quoted figure)")

    widths = [max(len(x[i]) for x in lines) for i in range(4)]
    for k, line in enumerate(lines):
        print(" | ".join(c.ljust(w) for c, w in zip(line, widths)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))
    print()
    print("neurolib runs:")
    for key, v in nl.items():
        print(f"  {key:<17} {v['note']}")
    print("neuromass runs:")
    for r in report["rows"]:
        print(f"  {r['row']:<17} {r['note']}")
    print("(shared machines give noisy figures; ratios of runs made minutes apart inherit that noise)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
