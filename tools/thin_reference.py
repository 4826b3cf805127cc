#!/usr/bin/env python3
"""Copy neurolib 0.6.2 golden trajectories into the repository's test data, thinned in time.

Usage: tools/thin_reference.py SRC_DIR DST_DIR [--every 10]

For every case file in SRC_DIR (the `reference/` folder produced by neurolib 0.6.2, MIT) this
keeps every k-th Euler step of every state variable (steps k, 2k, ..., i.e. t = k*dt, 2k*dt, ...,
so a run with `sampling_dt = k*dt` lines up sample for sample), keeps recorded input channels
whole (they drive the run), and copies the root `config` attribute. Output is gzip+shuffle HDF5.
Needs h5py and numpy.
"""
import argparse
import pathlib

import h5py
import numpy as np

TRAJECTORY_CASES = [
    "wc_node", "hopf_node", "fhn_node", "ww_node", "rww_node", "wc_node_stimulus",
    "net_wc_4", "net_hopf_4", "net_fhn_3", "net_rww_3",
    "aln_node", "thalamic_node", "thalamic_node_glk", "net_aln_3", "net_thalamocortical_2",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    src, dst, k = pathlib.Path(args.src), pathlib.Path(args.dst), args.every
    dst.mkdir(parents=True, exist_ok=True)
    opts = dict(compression="gzip", compression_opts=9, shuffle=True)
    for case in TRAJECTORY_CASES:
        with h5py.File(src / f"{case}.h5", "r") as fin, h5py.File(dst / f"{case}.h5", "w") as fout:
            for key, val in fin.attrs.items():
                fout.attrs[key] = val
            fout.attrs["thinned_every"] = k
            fout.attrs["source"] = (
                "neurolib 0.6.2 (MIT, Cakan et al.) numba backend; every "
                f"{k}th Euler step kept (steps {k}, {2*k}, ...)"
            )
            idx = np.arange(k - 1, fin["t"].shape[0], k)
            fout.create_dataset("t", data=fin["t"][:][idx], **opts)
            for name, grp in fin.items():
                if not isinstance(grp, h5py.Group):
                    continue
                g = fout.create_group(name)
                for var, ds in grp.items():
                    data = ds[:] if name == "inputs" else ds[:][idx]
                    g.create_dataset(var, data=data, **opts)
        print(case, (dst / f"{case}.h5").stat().st_size)


if __name__ == "__main__":
    main()
