"""Check files left by killed acquisitions (tests/acquisition_kill.rs) in h5py, PyTables
and PyMoDAQ.

Usage: check_acquisitions.py KIND:V110:ROWS:PATH ...  with KIND record, enl or ext. Every
channel (and the navigation axis of record/enl) must hold exactly ROWS acquisitions with
the right values in h5py (also in swmr=True mode for V110 files) and in PyTables (V110
files excepted: HDF5 1.10 structures), and PyMoDAQ's DataLoader.load_all must load every
channel with ROWS rows (record/enl) or the whole scan (ext).
"""
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import tables
from pymodaq_data.data import DataToExport
from pymodaq_data.h5modules.data_saving import DataLoader
from pymodaq_data.h5modules.saving import H5SaverLowLevel

warnings.simplefilter("ignore")


def value(ch, n):
    i = np.arange(n, dtype="f8")
    return [i, 2 * i + 0.5, -3 * i][ch]


def paths(kind):
    if kind == "record":
        det = "/RawData/Datalogger000/Detector000"
        return [f"{det}/Data0D/CH{c:02}/EnlData00" for c in range(3)], f"{det}/NavAxes/Axis00"
    name = "EnlData00" if kind == "enl" else "Data00"
    return [f"/RawData/Acq/Data0D/CH{c:02}/{name}" for c in range(3)], (
        "/RawData/Acq/NavAxes/Axis00" if kind == "enl" else None)


def check_arrays(get, kind, rows, where):
    chans, axis = paths(kind)
    for c, p in enumerate(chans):
        v = np.asarray(get(p), dtype="f8").reshape(-1)
        if kind == "ext":
            if not (np.array_equal(v[:rows], value(c, rows)) and np.isnan(v[rows:]).all()):
                raise AssertionError(f"{where} {p}: not exactly {rows} points")
        elif not np.array_equal(v, value(c, rows)):
            raise AssertionError(f"{where} {p}: {v.shape[0]} rows, expected {rows}")
    if axis is not None:
        a = np.asarray(get(axis)).reshape(-1)
        if a.shape[0] != rows:
            raise AssertionError(f"{where} {axis}: {a.shape[0]} rows, expected {rows}")


def main():
    n = 0
    for arg in sys.argv[1:]:
        kind, v110, rows, path = arg.split(":", 3)
        rows, v110 = int(rows), v110 == "1"
        for swmr in (False, True) if v110 else (False,):
            with h5py.File(path, "r", swmr=swmr) as f:
                check_arrays(lambda p: f[p][()], kind, rows, f"{path} h5py swmr={swmr}:")
        if not v110:
            with tables.open_file(path, "r") as t:
                check_arrays(lambda p: t.get_node(p).read(), kind, rows, f"{path} PyTables:")
        h = H5SaverLowLevel(backend="h5py" if v110 else "tables")
        h.init_file(Path(path), mode="r")
        try:
            dte = DataToExport("loaded")
            got = DataLoader(h).load_all("/", dte)
            dte = got if got is not None else dte
            if len(dte.data) != 3:
                raise AssertionError(f"{path} PyMoDAQ: {len(dte.data)} channels loaded")
            for dwa in dte.data:
                size = np.asarray(dwa.data[0]).shape[0]
                want = rows if kind != "ext" else size
                if size != want or (kind != "ext" and dwa.axes and dwa.axes[0].size != rows):
                    raise AssertionError(f"{path} PyMoDAQ {dwa.name}: {size} rows, expected {rows}")
        finally:
            h.close_file()
        n += 1
    print(f"{n} files: h5py, PyTables and PyMoDAQ see whole acquisitions")


if __name__ == "__main__":
    main()
