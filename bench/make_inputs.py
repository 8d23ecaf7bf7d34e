#!/usr/bin/env python3
"""Input files for the read workloads, written by h5py (deterministic content).

Usage: make_inputs.py OUTDIR [--big]
  w4_frames.h5   /frames uint16 (200, 512, 512), chunk one frame, raw       (W4 raw read)
  w4_scan.h5     /scan float64 (100, 100, 2048), chunk one spectrum          (W4 raw read)
  w4_big.h5      /data float32 (16384, 16384), chunks (256, 1024), gzip 4    (W4 1 GiB gzip read, --big)
  frames.bin    16 frames 512x512 uint16 (little-endian), the W1 payload
  spectra.bin   16 spectra of 2048 float64, the W2 payload
Existing files are kept (delete them to rebuild).
"""
import os
import sys

import h5py
import numpy as np


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    p = os.path.join(out, "frames.bin")
    if not os.path.exists(p):
        # Camera-like frames: a smooth image plus shot noise (compresses like real data).
        yy, xx = np.mgrid[0:512, 0:512]
        base = 1000 + 800 * np.exp(-((xx - 256) ** 2 + (yy - 256) ** 2) / (2 * 80.0 ** 2))
        frames = np.stack([rng.poisson(base * (1 + 0.05 * k)) for k in range(16)]).astype("<u2")
        frames.tofile(p)
    p = os.path.join(out, "spectra.bin")
    if not os.path.exists(p):
        x = np.arange(2048)
        spectra = np.stack([np.exp(-((x - 1024 - 20 * k) ** 2) / 5000.0) + rng.normal(0, 0.01, 2048) for k in range(16)])
        spectra.astype("<f8").tofile(p)
    p = os.path.join(out, "w4_frames.h5")
    if not os.path.exists(p):
        with h5py.File(p, "w") as f:
            d = f.create_dataset("frames", (200, 512, 512), dtype="<u2", chunks=(1, 512, 512))
            base = rng.integers(0, 4096, (512, 512), dtype=np.uint16)
            for i in range(200):
                d[i] = base + np.uint16(i)
    p = os.path.join(out, "w4_scan.h5")
    if not os.path.exists(p):
        with h5py.File(p, "w") as f:
            d = f.create_dataset("scan", (100, 100, 2048), dtype="<f8", chunks=(1, 1, 2048))
            spec = np.sin(np.arange(2048) / 50.0)
            for i in range(100):
                d[i] = spec[None, :] * (np.arange(100)[:, None] + i)
    p = os.path.join(out, "w4_big.h5")
    if "--big" in sys.argv and not os.path.exists(p):
        n = 16384
        x = np.arange(n, dtype=np.float32)
        with h5py.File(p, "w") as f:
            d = f.create_dataset("data", (n, n), dtype="<f4", chunks=(256, 1024), compression="gzip", compression_opts=4)
            for r in range(0, n, 256):
                y = np.arange(r, r + 256, dtype=np.float32)[:, None]
                blk = 100 * np.sin(x / 300.0)[None, :] * np.cos(y / 500.0) + rng.normal(0, 1, (256, n)).astype(np.float32)
                d[r:r + 256] = np.round(blk, 3)


if __name__ == "__main__":
    main()
