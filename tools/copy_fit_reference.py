#!/usr/bin/env python3
"""Copy the neurolib 0.6.2 BOLD / functional-measure golden data into tests/data/fit/.

Usage: /work/venv/bin/python tools/copy_fit_reference.py [SRC_H5] [DST_DIR]

SRC_H5 defaults to /work/shared/reference/bold_and_functions.h5 (numbers produced by
neurolib 0.6.2, MIT), DST_DIR to tests/data/fit next to this script's repository root.

Writes (gzip level 9 + shuffle, float64 kept bit for bit):

* bold.h5      - groups `bold_single_run` (rates_hz_1ms_d3, bold, t_bold_ms) and
                 `bold_chunked` (bold, t_bold_ms) with their attributes. The 4 x 60000
                 input rates are stored losslessly as `rates_hz_1ms_d3` (uint64): per row,
                 the IEEE-754 bit patterns of the float64 rates differenced three times
                 along time (modulo 2^64, the first element of each pass kept as is), which
                 gzip packs 3x smaller than the raw floats (the rates are smooth). Decode:
                 three wrapping prefix sums per row, then reinterpret the bits as float64.
* functions.h5 - group `functions` (ts, ts2, fc, fcd_w30_s5 and the scalar attributes),
                 copied as is, plus group `power_spectrum`: outputs of neurolib's own
                 `utils.functions.getPowerSpectrum` / `getMeanPowerSpectrum` on a few
                 deterministic test signals (see below).

neurolib's getPowerSpectrum asks scipy.signal.welch for window="hanning", a name that scipy
removed (it was an alias of "hann"). To run neurolib's unmodified function with the installed
scipy, this script wraps scipy.signal.welch so that "hanning" is passed on as "hann"; nothing
else is changed. Needs numpy, scipy, h5py and neurolib (the /work/venv environment).
"""
import pathlib
import sys

import h5py
import numpy as np
import scipy.signal

from neurolib.utils import functions as nlf

OPTS = dict(compression="gzip", compression_opts=9, shuffle=True)


def copy_group(fin, fout, name):
    gin = fin[name]
    gout = fout.create_group(name)
    for key, val in gin.attrs.items():
        gout.attrs[key] = val
    for key, ds in gin.items():
        data = ds[:]
        if key == "rates_hz_1ms":
            bits = np.ascontiguousarray(data, dtype="<f8").view("<u8")
            for _ in range(3):
                bits = np.diff(bits, axis=1, prepend=np.zeros((bits.shape[0], 1), dtype="<u8"))
            assert np.array_equal(np.cumsum(np.cumsum(np.cumsum(bits, 1), 1), 1).view("<f8"), data)
            d = gout.create_dataset(key + "_d3", data=bits, chunks=(1, bits.shape[1]), **OPTS)
            d.attrs["encoding"] = (
                "float64 bit patterns (uint64), differenced 3 times along axis 1 modulo 2^64; "
                "decode with 3 wrapping prefix sums per row"
            )
            continue
        if data.ndim == 2:
            # one chunk per row: the rows (regions) are smooth in time, which shuffle+gzip likes
            gout.create_dataset(key, data=data, chunks=(1, data.shape[1]), **OPTS)
        else:
            gout.create_dataset(key, data=data, **OPTS)


def patch_welch():
    welch = scipy.signal.welch

    def welch_hanning_alias(*args, **kwargs):
        if kwargs.get("window") == "hanning":
            kwargs["window"] = "hann"
        return welch(*args, **kwargs)

    nlf.scipy.signal.welch = welch_hanning_alias


def power_spectrum_cases(g):
    """Deterministic test signals and neurolib's spectra of them."""
    rng = np.random.default_rng(20240611)

    def store(name, signal, dt, maxfr, windowsize, normalize, mean=False, signal_from=None):
        c = g.create_group(name)
        c.attrs["dt_ms"] = dt
        c.attrs["maxfr_hz"] = maxfr
        c.attrs["spectrum_windowsize_s"] = windowsize
        c.attrs["normalize"] = normalize
        c.attrs["mean_over_rows"] = mean
        if signal_from is None:
            c.create_dataset("signal", data=signal, **OPTS)
        else:
            # the first `signal_len` samples of another case's signal (saves space)
            c.attrs["signal_from"] = signal_from
            c.attrs["signal_len"] = signal.shape[-1]
        fn = nlf.getMeanPowerSpectrum if mean else nlf.getPowerSpectrum
        f, p = fn(signal, dt, maxfr=maxfr, spectrum_windowsize=windowsize, normalize=normalize)
        c.create_dataset("f_hz", data=np.asarray(f, dtype=np.float64))
        c.create_dataset("power", data=np.asarray(p, dtype=np.float64))
        c.attrs["dominant_frequency_hz"] = float(f[np.argmax(p)])

    # 1) 3 s at dt = 0.5 ms, 1 s windows (nperseg 2000, 5 segments): 10 Hz + 23 Hz + noise
    dt = 0.5
    t = np.arange(6000) * dt * 1e-3
    x = 2.0 + np.sin(2 * np.pi * 10.0 * t) + 0.4 * np.sin(2 * np.pi * 23.0 * t + 0.3)
    x = x + 0.2 * rng.standard_normal(t.size)
    store("two_tones_dt05", x, dt, 70.0, 1.0, False)
    # 2) same signal, normalised, full spectrum up to Nyquist (even nperseg: Nyquist bin)
    store("two_tones_full_norm", x, dt, 1e9, 1.0, True, signal_from="two_tones_dt05")
    # 3) odd nperseg: dt = 1 ms, window 0.333 s -> int(333.0) = 333 samples, maxfr above Nyquist
    dt = 1.0
    t = np.arange(2000) * dt * 1e-3
    y = np.cos(2 * np.pi * 37.0 * t) + 0.5 * rng.standard_normal(t.size)
    store("odd_nperseg", y, dt, 1e9, 0.333, False)
    # 4) signal shorter than the window: scipy falls back to nperseg = len(signal)
    store("short_signal", y[:700], dt, 100.0, 1.0, False, signal_from="odd_nperseg")
    # 5) mean spectrum of 3 rows (1.5 s at dt = 0.5 ms: 2 segments of 2000 samples)
    t = np.arange(3000) * 0.5e-3
    rows = np.stack([np.sin(2 * np.pi * fr * t) + 0.3 * rng.standard_normal(t.size) for fr in (8.0, 12.0, 40.0)])
    store("mean_three_rows", rows, 0.5, 70.0, 1.0, False, mean=True)


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(
        "/work/shared/reference/bold_and_functions.h5"
    )
    dst = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else root / "tests" / "data" / "fit"
    dst.mkdir(parents=True, exist_ok=True)
    patch_welch()
    source = "neurolib 0.6.2 (MIT, (c) Caglar Cakan, Nikola Jajcay and contributors)"
    with h5py.File(src, "r") as fin:
        with h5py.File(dst / "bold.h5", "w") as fout:
            fout.attrs["source"] = source + ": models.bold.BOLDModel"
            copy_group(fin, fout, "bold_single_run")
            copy_group(fin, fout, "bold_chunked")
        with h5py.File(dst / "functions.h5", "w") as fout:
            fout.attrs["source"] = source + ": utils.functions"
            copy_group(fin, fout, "functions")
            g = fout.create_group("power_spectrum")
            g.attrs["description"] = (
                "neurolib utils.functions.getPowerSpectrum / getMeanPowerSpectrum (Welch, Hann "
                "window, scaling='spectrum'), run with scipy "
                + scipy.__version__
                + " ('hanning' passed on as 'hann'); dominant_frequency_hz = f[argmax(power)]"
            )
            power_spectrum_cases(g)
    for name in ("bold.h5", "functions.h5"):
        print(name, (dst / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
