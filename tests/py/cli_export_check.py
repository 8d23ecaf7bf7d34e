"""Checks the CLI's exports of one node (tests/cli_export.rs) against h5py and PyMoDAQ.

Usage: cli_export_check.py FILE NODE DIR   (DIR holds x.csv, x.tsv, x.npy, x.npz, x.json)

- the values (every format) equal h5py's dataset, dtype and shape (npy/npz exactly; text parsed);
- CSV/TSV: `# ` line, header `label (units)` per axis column then the value column, one row per
  value in C order; each axis column holds PyMoDAQ's axis values (DataLoader.load_data) at the
  row's position; dimensions without an axis give the index;
- npz: axisD / axisD_label / axisD_units equal PyMoDAQ's axes; data_label/data_units the node's.
Prints "ok" or raises.
"""
import csv
import json
import logging
import sys
from pathlib import Path

import h5py
import numpy as np

logging.disable(logging.CRITICAL)
from pymodaq_data.h5modules.data_saving import DataLoader  # noqa: E402
from pymodaq_data.h5modules.saving import H5SaverLowLevel  # noqa: E402

path, node, d = sys.argv[1], sys.argv[2], Path(sys.argv[3])
with h5py.File(path, "r") as f:
    ref = f[node][()]
    backend = "tables" if "PYTABLES_FORMAT_VERSION" in f.attrs else "h5py"
s = H5SaverLowLevel(backend=backend)
s.init_file(Path(path), mode="r")
dwa = DataLoader(s).load_data(node, with_bkg=False)
n = s.get_node(node)
label, units = n.attrs["label"], n.attrs["units"] if "units" in n.attrs.attrs_name else ""
s.close_file()

# Axes in the file (PyMoDAQ's create_missing_axes adds index axes with an empty label).
axes = [ax for ax in dwa.axes if ax.label]
nd = ref.ndim
kept = [i for i in range(nd) if i in dwa.nav_indexes or ref.shape[i] != 1] or [0]
cols = []  # (header, stored dim, values or None)
for dim in range(nd):
    mine = sorted([a for a in axes if kept.index(dim) == a.index] if dim in kept else [],
                  key=lambda a: a.spread_order)
    if not mine:
        if ref.shape[dim] == 1:
            continue
        cols.append((f"index{dim}", dim, None))
    for a in mine:
        cols.append((f"{a.label} ({a.units})" if a.units else a.label, dim, np.asarray(a.get_data())))
value_header = f"{label} ({units})" if units else label

for ext, sep in (("csv", ","), ("tsv", "\t")):
    lines = (d / f"x.{ext}").read_text().splitlines()
    assert lines[0].startswith("# pymodaq-h5 export of "), lines[0]
    header = next(csv.reader([lines[1]], delimiter=sep))
    assert header == [c[0] for c in cols] + [value_header], (header, cols, value_header)
    table = np.loadtxt(d / f"x.{ext}", delimiter=sep, skiprows=2, ndmin=2, dtype=float)
    assert table.shape == (ref.size, len(cols) + 1), (table.shape, ref.shape)
    vals = table[:, -1]
    assert np.array_equal(vals, ref.reshape(-1).astype(float), equal_nan=True), ext
    idx = np.indices(ref.shape).reshape(nd, -1)
    for k, (h, dim, axv) in enumerate(cols):
        want = idx[dim] if axv is None else axv[idx[dim]]
        assert np.array_equal(table[:, k], want, equal_nan=True), (ext, h)

a = np.load(d / "x.npy")
assert a.dtype == ref.dtype and a.shape == ref.shape and np.array_equal(a, ref, equal_nan=True)

z = np.load(d / "x.npz")
assert z["data"].dtype == ref.dtype and np.array_equal(z["data"], ref, equal_nan=True)
assert str(z["data_label"]) == label and str(z["data_units"]) == units
seen = {}
for h, dim, axv in cols:
    if axv is None:
        continue
    k = seen.get(dim, 0)
    seen[dim] = k + 1
    key = f"axis{dim}" if k == 0 else f"axis{dim}_{k}"
    assert np.array_equal(z[key], axv), key
    assert h.startswith(str(z[key + "_label"])), (h, str(z[key + "_label"]))
assert len([f for f in z.files if f.startswith("axis") and not f.endswith(("_label", "_units"))]) == len(
    [c for c in cols if c[2] is not None])

j = json.loads((d / "x.json").read_text())
assert j["shape"] == list(ref.shape) and j["label"] == label and j["units"] == units
jv = np.array([float(v) for v in j["values"]]).reshape(ref.shape)
assert np.array_equal(jv, ref.astype(float), equal_nan=True)
assert len(j["axes"]) == len([c for c in cols if c[2] is not None])
print("ok")
