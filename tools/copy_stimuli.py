#!/usr/bin/env python3
"""Copy neurolib 0.6.2's stimulus reference data into the repository's test data.

Usage: tools/copy_stimuli.py SRC_STIMULI_H5 DST_STIMULI_H5

Copies every dataset and group of SRC (the `stimuli.h5` produced from neurolib 0.6.2's
`utils.stimulus`, MIT) with all attributes: `deterministic/*` and `composite/*` arrays
(as_array(500, 0.1), shape (n, T)), the `lengths` table and the `stochastic/*`
statistics. Nothing is thinned; output is gzip+shuffle HDF5. Needs h5py.
"""
import sys

import h5py

OPTS = dict(compression="gzip", compression_opts=9, shuffle=True)


def copy_attrs(src, dst):
    for key, val in src.attrs.items():
        dst.attrs[key] = val


def copy_group(src, dst):
    copy_attrs(src, dst)
    for name, obj in src.items():
        if isinstance(obj, h5py.Group):
            copy_group(obj, dst.create_group(name))
        else:
            ds = dst.create_dataset(name, data=obj[()], **(OPTS if obj.shape else {}))
            copy_attrs(obj, ds)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with h5py.File(sys.argv[1], "r") as fin, h5py.File(sys.argv[2], "w") as fout:
        copy_group(fin, fout)
        fout.attrs["source"] = (
            "neurolib 0.6.2 (MIT, Cakan et al.) utils.stimulus outputs, copied whole "
            "by tools/copy_stimuli.py"
        )


if __name__ == "__main__":
    main()
