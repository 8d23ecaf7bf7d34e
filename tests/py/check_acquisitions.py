"""Check files left by killed acquisitions (tests/acquisition_kill.rs) in h5py, PyTables
and PyMoDAQ.

Usage: check_acquisitions.py KIND:V110:ROWS:CFG:PATH ...  with KIND record, enl or ext and
CFG `n0.n1.err.bkg` (0D channels, 1D channels, error bars, backgrounds). Every dataset of
the acquisition (channels, error bars, the navigation axis of record/enl) must hold exactly
ROWS acquisitions with the right values in h5py (also in swmr=True mode for V110 files) and
in PyTables (V110 files excepted: HDF5 1.10 structures); backgrounds, when present, their
values (or their fill value before the flush after their creation); PyMoDAQ's DataLoader.load_all must load every channel with ROWS rows (record/enl,
with their error bars) or the whole scan (ext).
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
L = 4
SCAN = 200_000


def value(dim, c, n):
    m = 1 if dim == 0 else L
    i = np.arange(n).reshape(-1, 1)
    j = np.arange(m).reshape(1, -1)
    return (i * (c + 1 + 10 * dim) + j).astype("f8")


def error(dim, c, n):
    m = 1 if dim == 0 else L
    i = np.arange(n).reshape(-1, 1)
    j = np.arange(m).reshape(1, -1)
    return (c + i) + 0.5 * (j + 1)


def layout(kind, cfg, rows):
    """(path, expected rows x elements or None for values unchecked) growing; fixed."""
    n0, n1, err, bkg, _prev = cfg
    grow, fixed = [], []
    if kind == "record":
        det = "/RawData/Datalogger000/Detector000"
        for c in range(n0):
            grow.append((f"{det}/Data0D/CH{c:02}/EnlData00", value(0, c, rows)))
        grow.append((f"{det}/NavAxes/Axis00", None))
        return grow, fixed
    data = "Data00" if kind == "ext" else "EnlData00"
    for dim, n in ((0, n0), (1, n1)):
        for c in range(n):
            g = f"/RawData/Acq/Data{dim}D/CH{c:02}"
            grow.append((f"{g}/{data}", value(dim, c, rows)))
            if err:
                grow.append((f"{g}/ErrorBar00", error(dim, c, rows)))
            if bkg:
                m = 1 if dim == 0 else L
                fixed.append((f"{g}/Bkg00", (7 + c + 3 * dim + np.arange(m)).astype("f8")))
    axis = "/RawData/Acq/NavAxes/Axis00"
    if kind == "enl":
        grow.append((axis, (np.arange(rows) * 0.5).reshape(-1, 1)))
    else:
        fixed.append((axis, np.arange(SCAN) * 0.5))
    return grow, fixed


def check_arrays(get, has, kind, cfg, rows, where):
    grow, fixed = layout(kind, cfg, rows)
    for p, want in grow:
        v = np.asarray(get(p), dtype="f8")
        if v.ndim == 1:
            v = v.reshape(-1, 1)
        if kind == "ext":
            if not (np.array_equal(v[:rows], want) and np.isnan(v[rows:]).all()):
                raise AssertionError(f"{where} {p}: not exactly {rows} points")
        elif want is None:
            if v.shape[0] != rows:
                raise AssertionError(f"{where} {p}: {v.shape[0]} rows, expected {rows}")
        elif not np.array_equal(v, want):
            raise AssertionError(f"{where} {p}: {v.shape[0]} rows, expected {rows} (or wrong values)")
    for p, want in fixed:
        v = np.asarray(get(p), dtype="f8").reshape(-1) if has(p) else want
        unwritten = v.shape == want.shape and np.all((v == 0) | np.isnan(v))
        if not (np.array_equal(v, want) or unwritten):
            raise AssertionError(f"{where} {p}: wrong values")


def main():
    n = 0
    for arg in sys.argv[1:]:
        try:
            check_file(arg)
        except Exception:
            print(f"while checking {arg}:", file=sys.stderr)
            raise
        n += 1
    print(f"{n} files: h5py, PyTables and PyMoDAQ see whole acquisitions")


def check_file(arg):
    if True:
        kind, v110, rows, cfg, path = arg.split(":", 4)
        rows, v110 = int(rows), v110 == "1"
        cfg = tuple(int(x) for x in cfg.split("."))
        nch = cfg[0] + cfg[1]
        for swmr in (False, True) if v110 else (False,):
            with h5py.File(path, "r", swmr=swmr) as f:
                check_arrays(lambda p: f[p][()], lambda p: p in f, kind, cfg, rows,
                             f"{path} h5py swmr={swmr}:")
        if not v110:
            with tables.open_file(path, "r") as t:
                check_arrays(lambda p: t.get_node(p).read(), lambda p: p in t, kind, cfg, rows,
                             f"{path} PyTables:")
        if rows == 0 and kind != "ext":
            # Arrays created, no row committed yet: PyMoDAQ's loader cannot build an axis
            # from an empty enlargeable axis (IndexError in Axis.get_scale_offset_from_data),
            # whoever wrote the file; h5py and PyTables checked the empty datasets above.
            return
        h = H5SaverLowLevel(backend="h5py" if v110 else "tables")
        h.init_file(Path(path), mode="r")
        try:
            dte = DataToExport("loaded")
            # The acquisition's group: a previous one (cfg prev) is in /RawData/Prev.
            where = "/RawData/Acq" if kind in ("enl", "ext") else "/"
            got = DataLoader(h).load_all(where, dte)
            dte = got if got is not None else dte
            if len(dte.data) != nch:
                raise AssertionError(f"{path} PyMoDAQ: {len(dte.data)} channels loaded, expected {nch}")
            for dwa in dte.data:
                size = np.asarray(dwa.data[0]).shape[0]
                want = rows if kind != "ext" else SCAN
                if size != want or (kind != "ext" and dwa.axes and dwa.get_axis_from_index(0)[0].size != rows):
                    raise AssertionError(f"{path} PyMoDAQ {dwa.name}: {size} rows, expected {want}")
                if cfg[2] and kind != "record":
                    if dwa.errors is None or np.asarray(dwa.errors[0]).shape != np.asarray(dwa.data[0]).shape:
                        raise AssertionError(f"{path} PyMoDAQ {dwa.name}: error bars not loaded whole")
        finally:
            h.close_file()


if __name__ == "__main__":
    main()
