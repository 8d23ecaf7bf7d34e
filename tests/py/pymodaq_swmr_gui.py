"""A PyMoDAQ 5.3 GUI-style SWMR file, written by pymodaq_data's own H5Saver (backend 'h5py',
swmr_mode=True: libver='latest', SWMR switched on once the structure exists), for
tests/write_reopen_pymodaq_swmr.rs.

  pymodaq_swmr_gui.py gen FILE   /RawData/Datalogger000/Detector000 (a DAQ_Logger recording:
                                 DataToExportTimedSaver, channels CH00 'temp' and CH01
                                 'pressure', 6 rows, SWMR on after the first row) and
                                 /RawData/Scan000 (a DAQ_Scan: DataToExportExtendedSaver over
                                 a 2x3 grid, 0D and 1D detector data).
  pymodaq_swmr_gui.py rows FILE  h5py, normal and swmr=True: prints a JSON object
                                 {path: flat values} of every numeric dataset under /RawData
                                 and {"attrs:" + path: {name: text}} of every node there
                                 (the same for both modes, else exit 1).
"""
import json
import sys
from pathlib import Path

import numpy as np
from pymodaq_data.data import Axis, DataRaw, DataToExport
from pymodaq_data.h5modules.data_saving import (DataToExportExtendedSaver,
                                                DataToExportTimedSaver)
from pymodaq_data.h5modules.saving import H5SaverLowLevel


def gen(path):
    path = Path(path)
    if path.exists():
        path.unlink()
    saver = H5SaverLowLevel(save_type="logger", backend="h5py")
    saver.init_file(path, new_file=True, swmr_mode=True)
    logger = saver.add_incremental_group("datalogger", saver.raw_group, title="GUI log")
    det = saver.add_det_group(logger, title="GUI log")
    ts = DataToExportTimedSaver(saver)

    def row(i):
        return DataToExport("log", data=[
            DataRaw("temp", units="K", data=[np.array([300.0 + i])]),
            DataRaw("pressure", units="mbar", data=[np.array([1000.0 - i])])])

    ts.add_data(det, row(0))
    scan = saver.add_scan_group(saver.raw_group, title="GUI scan")
    sdet = saver.add_det_group(scan, title="det")
    es = DataToExportExtendedSaver(saver, extended_shape=(2, 3))
    es.add_nav_axes(scan, [Axis("xaxis", units="mm", data=np.array([0.0, 1.0]), index=0),
                           Axis("yaxis", units="mm", data=np.array([0.0, 0.5, 1.5]), index=1)])
    for i in range(2):
        for j in range(3):
            es.add_data(sdet, DataToExport("scan", data=[
                DataRaw("det0D", units="", data=[np.array([i * 10.0 + j])]),
                DataRaw("det1D", units="", data=[np.arange(4.0) + 100 * i + j])]),
                indexes=(i, j))
    # SWMR is on (the extended saver switched it on): the logger keeps recording.
    saver.enable_swmr()
    for i in range(1, 6):
        ts.add_data(det, row(i))
    saver.add_log("GUI session done")
    saver.close_file()


def rows(path):
    import h5py
    seen = []
    for swmr in (False, True):
        got = {}
        with h5py.File(path, "r", swmr=swmr) as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                    got["/RawData/" + name] = obj[...].ravel().tolist()
                got["attrs:/RawData/" + name] = {
                    k: (v.decode() if isinstance(v, bytes) else str(v))
                    for k, v in obj.attrs.items()}
            f["RawData"].visititems(visit)
        seen.append(got)
    if seen[0] != seen[1]:
        sys.exit(f"swmr=True differs from swmr=False: {seen[1]} != {seen[0]}")
    print(json.dumps(seen[0]))


if __name__ == "__main__":
    {"gen": gen, "rows": rows}[sys.argv[1]](sys.argv[2])
