"""Files other libraries wrote, continued by our writer (tests/commit_replay_foreign.rs).

  foreign_acquisition.py gen DIR
      writes an acquisition (growing float64 datasets: 0D and 1D channels, some filtered,
      an error bar, a navigation axis) of N0 = 6 rows with PyTables, h5py (default format
      and libver='latest') and PyMoDAQ 5's own savers (a DAQ_Logger recording through
      DataToExportTimedSaver, backends 'tables' and 'h5py' in SWMR mode); prints one line
      per file: NAME<TAB>comma-separated growing dataset paths.
  foreign_acquisition.py check < LINES
      LINES: ORIGINAL<TAB>FILE<TAB>ROWS[<TAB>record]. Every growing dataset of ORIGINAL must
      hold exactly ROWS rows in FILE, read by h5py (also swmr=True for 1.10 files) and
      PyTables (older formats): its original rows, then row i of dataset k (in the order gen
      printed) equal to 100 (k + 1) + 3 i + 0.25 j (`record`: continued by `pymodaq-h5 record
      --append`, the time axis holds times, not checked). PyMoDAQ files are loaded by
      PyMoDAQ's DataLoader too, every channel with ROWS rows.
"""
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import tables

warnings.simplefilter("ignore")
N0 = 6
SPECS = [
    ("/RawData/Acq/Data0D/CH00/EnlData00", 1, False),
    ("/RawData/Acq/Data0D/CH01/EnlData00", 1, True),
    ("/RawData/Acq/Data1D/CH00/EnlData00", 5, True),
    ("/RawData/Acq/Data1D/CH00/ErrorBar00", 5, False),
    ("/RawData/Acq/NavAxes/Axis00", 1, False),
]


def vals(k, row, start, n):
    i = np.arange(start, n).reshape(-1, 1)
    j = np.arange(row).reshape(1, -1)
    return 100.0 * (k + 1) + i * 3.0 + j * 0.25


def growing(path):
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if (isinstance(obj, h5py.Dataset) and obj.dtype == np.float64 and obj.maxshape
                    and obj.maxshape[0] is None and obj.chunks):
                out.append("/" + name)
        f.visititems(visit)
    return sorted(out)


def gen_pymodaq(path, backend):
    from pymodaq_data.data import DataRaw, DataToExport
    from pymodaq_data.h5modules.data_saving import DataToExportTimedSaver
    from pymodaq_data.h5modules.saving import H5SaverLowLevel

    saver = H5SaverLowLevel(save_type="logger", backend=backend)
    if backend == "h5py":
        saver.init_file(path, new_file=True, swmr_mode=True)
    else:
        saver.init_file(path, new_file=True)
    logger = saver.add_incremental_group("datalogger", saver.raw_group, title="log")
    det = saver.add_det_group(logger, title="log")
    ts = DataToExportTimedSaver(saver)

    def row(i):
        return DataToExport("log", data=[
            DataRaw("temp", units="K", data=[np.array([300.0 + i])]),
            DataRaw("pressure", units="mbar", data=[np.array([1000.0 - i])])])

    ts.add_data(det, row(0))
    if backend == "h5py":
        saver.enable_swmr()
    for i in range(1, N0):
        ts.add_data(det, row(i))
    saver.close_file()


def gen(d):
    d = Path(d)
    p = d / "pytables.h5"
    with tables.open_file(p, "w") as t:
        for k, (path, row, z) in enumerate(SPECS):
            g, name = path.rsplit("/", 1)
            shape = (0,) if row == 1 else (0, row)
            filt = tables.Filters(complevel=1, complib="zlib", shuffle=True) if z else None
            a = t.create_earray(g, name, tables.Float64Atom(), shape, createparents=True,
                                filters=filt, chunkshape=(4,) + shape[1:])
            v = vals(k, row, 0, N0)
            a.append(v.reshape(-1) if row == 1 else v)
    print(f"{p}\t{','.join(s[0] for s in SPECS)}")
    for libver in ("earliest", "latest"):
        p = d / f"h5py_{libver}.h5"
        with h5py.File(p, "w", libver=libver) as f:
            for k, (path, row, z) in enumerate(SPECS):
                v = vals(k, row, 0, N0)
                v = v.reshape(-1) if row == 1 else v
                opts = dict(compression="gzip", compression_opts=1, shuffle=True) if z else {}
                f.create_dataset(path, data=v, maxshape=(None,) + v.shape[1:],
                                 chunks=(4,) + v.shape[1:], **opts)
        print(f"{p}\t{','.join(s[0] for s in SPECS)}")
    for backend in ("tables", "h5py"):
        p = d / f"pymodaq_{backend}.h5"
        gen_pymodaq(p, backend)
        print(f"{p}\t{','.join(growing(p))}")


def check_arrays(get, paths, orig, rows, where, record=False):
    for k, p in enumerate(paths):
        a = np.asarray(get(p), dtype="f8")
        o = orig[p]
        a2 = a.reshape(a.shape[0], -1)
        row = a2.shape[1]
        if a.shape[0] != rows:
            raise AssertionError(f"{where} {p}: {a.shape[0]} rows, expected {rows}")
        n0 = o.shape[0]
        if not np.array_equal(a2[:n0], o.reshape(n0, -1)):
            raise AssertionError(f"{where} {p}: original rows changed")
        if record and p.endswith("/NavAxes/Axis00"):
            continue
        if not np.array_equal(a2[n0:], vals(k, row, n0, rows)):
            raise AssertionError(f"{where} {p}: appended rows wrong")


def check_one(original, path, rows, record=False):
    paths = growing(original)
    with h5py.File(original, "r") as f:
        orig = {p: f[p][()] for p in paths}
    with open(original, "rb") as b:
        v110 = b.read(9)[8] >= 2  # superblock version: HDF5 1.10 structures
    for swmr in (False, True) if v110 else (False,):
        with h5py.File(path, "r", swmr=swmr) as f:
            check_arrays(lambda p: f[p][()], paths, orig, rows, f"{path} h5py swmr={swmr}:",
                         record)
    if not v110:
        with tables.open_file(path, "r") as t:
            check_arrays(lambda p: t.get_node(p).read(), paths, orig, rows, f"{path} PyTables:",
                         record)
    if Path(original).name.startswith("pymodaq"):
        from pymodaq_data.data import DataToExport
        from pymodaq_data.h5modules.data_saving import DataLoader
        from pymodaq_data.h5modules.saving import H5SaverLowLevel
        h = H5SaverLowLevel(backend="h5py" if v110 else "tables")
        h.init_file(Path(path), mode="r")
        try:
            dte = DataToExport("loaded")
            got = DataLoader(h).load_all("/", dte)
            dte = got if got is not None else dte
            if len(dte.data) != 2:
                raise AssertionError(f"{path} PyMoDAQ: {len(dte.data)} channels loaded")
            for dwa in dte.data:
                size = np.asarray(dwa.data[0]).shape[0]
                if size != rows:
                    raise AssertionError(f"{path} PyMoDAQ {dwa.name}: {size} rows, expected {rows}")
        finally:
            h.close_file()


def check():
    n = 0
    for line in sys.stdin.read().splitlines():
        original, path, rows, *mode = line.split("\t")
        try:
            check_one(original, path, int(rows), mode == ["record"])
        except Exception:
            print(f"while checking {path} (from {original}, {rows} rows):", file=sys.stderr)
            raise
        n += 1
    print(f"h5py/PyTables/PyMoDAQ checked {n} files")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check()
