#!/usr/bin/env python3
"""The PyMoDAQ side of pymodaq-h5's P1-P3 benchmarks: one workload, one backend, one process.

Usage: py_pymodaq.py WORKLOAD BACKEND FILE N
  p1  DataToExportExtendedSaver: N x N scan, per point a 0D, a 1D (2048) and a 2D (64x64) channel
  p2  DataToExportTimedSaver: N acquisitions of 4 0D channels, flushed every 1000
  p3  DataLoader(FILE).load_all('/') (N ignored; the file is not written)
Prints one JSON line {"seconds", "units", "rss_kib"}; imports are outside the timed section.
"""
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
from pymodaq_data.data import Axis, DataRaw, DataToExport  # noqa: E402
from pymodaq_data.h5modules.data_saving import (DataLoader, DataToExportExtendedSaver,  # noqa: E402
                                                DataToExportTimedSaver)
from pymodaq_data.h5modules.saving import H5SaverLowLevel  # noqa: E402


def main(wl, backend, path, n):
    n = int(n)
    path = Path(path)
    spec = np.sin(np.arange(2048) * 0.01)
    img = (np.arange(64 * 64) % 97).astype(float).reshape(64, 64)
    t0 = time.perf_counter()
    if wl == "p1":
        h = H5SaverLowLevel(save_type="scan", backend=backend)
        h.init_file(path, new_file=True)
        scan = h.add_scan_group(h.raw_group, title="bench scan")
        det = h.add_det_group(scan, title="det")
        s = DataToExportExtendedSaver(h, extended_shape=(n, n))
        s.add_nav_axes(scan, [Axis("x", "mm", data=np.arange(float(n)), index=0),
                              Axis("y", "mm", data=np.arange(float(n)), index=1)])
        for i in range(n):
            for j in range(n):
                dte = DataToExport("det", data=[
                    DataRaw("d0", data=[np.array([float(i * n + j)])], origin="bench"),
                    DataRaw("d1", data=[spec], origin="bench"),
                    DataRaw("d2", data=[img], origin="bench")])
                s.add_data(det, dte, indexes=(i, j))
        h.close_file()
        units = n * n
    elif wl == "p2":
        h = H5SaverLowLevel(save_type="logger", backend=backend)
        h.init_file(path, new_file=True)
        det = h.add_det_group(h.raw_group, title="logger")
        s = DataToExportTimedSaver(h)
        for k in range(n):
            dte = DataToExport("det", data=[DataRaw(f"ch{c}", data=[np.array([float(k * 4 + c)])],
                                                    origin="bench") for c in range(4)])
            s.add_data(det, dte)
            if (k + 1) % 1000 == 0:
                h.flush()
        h.close_file()
        units = n
    elif wl == "p3":
        h = H5SaverLowLevel(backend=backend)
        h.init_file(path, mode="r")
        dte = DataLoader(h).load_all("/", DataToExport("Loaded data"))
        units = sum(a.size for d in dte for a in d.data)
        h.close_file()
    else:
        raise SystemExit(__doc__)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "units": int(units),
                      "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
