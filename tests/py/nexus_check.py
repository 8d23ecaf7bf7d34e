"""NeXus consumers on a file annotated by `pymodaq-h5 annotate-nexus` (tests/cli_nexus.rs).

Usage: nexus_check.py FILE EXPECTED_JSON

EXPECTED_JSON lists the NXdata groups we annotated ({"group", "signal", "axes"}). Checked:
- h5py: each group's NX_class is a scalar string 'NXdata', `signal` names a child dataset, `axes`
  has one entry per dimension of the signal, each named axis is a 1-D child of the length of its
  dimension and `AXIS_indices` says that dimension;
- nexusformat: `nxload` sees each group as NXdata, `nxsignal` is that dataset, `nxaxes` gives the
  named axis fields on their dimensions, and the root's default chain reaches the first group.
Prints one line per problem; exit 1 if any.
"""
import json
import sys

import h5py
import numpy as np
from nexusformat.nexus import nxload

path, expected = sys.argv[1], json.loads(sys.argv[2])
problems = []


def text(v):
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode()
    return str(v)


with h5py.File(path, "r") as f:
    for e in expected:
        g = f[e["group"]]
        cls = g.attrs.get("NX_class")
        if cls is None or np.ndim(cls) != 0 or text(cls) != "NXdata":
            problems.append(f"{e['group']}: NX_class {cls!r}")
            continue
        sig = text(g.attrs["signal"])
        if sig != e["signal"] or not isinstance(g.get(sig), h5py.Dataset):
            problems.append(f"{e['group']}: signal {sig!r}")
            continue
        axes = [text(a) for a in np.atleast_1d(g.attrs["axes"])]
        shape = g[sig].shape
        if axes != e["axes"] or len(axes) != len(shape):
            problems.append(f"{e['group']}: axes {axes} for shape {shape}")
        for dim, a in enumerate(axes):
            if a == ".":
                continue
            ax = g[a]
            if ax.size != shape[dim] or int(g.attrs[f"{a}_indices"]) != dim:
                problems.append(f"{e['group']}: axis {a} on dim {dim}: size {ax.size}")
            if "long_name" not in ax.attrs:
                problems.append(f"{e['group']}/{a}: no long_name")

root = nxload(path, "r")
for e in expected:
    g = root[e["group"]]
    if g.nxclass != "NXdata":
        problems.append(f"nexusformat: {e['group']} is {g.nxclass}")
        continue
    if g.nxsignal is None or g.nxsignal.nxname != e["signal"]:
        problems.append(f"nexusformat: {e['group']} signal {g.nxsignal}")
        continue
    got = g.nxaxes
    for dim, a in enumerate(e["axes"]):
        if a != "." and (dim >= len(got) or got[dim].nxname != a):
            problems.append(f"nexusformat: {e['group']} axis {dim}: {got}")
default = root.get_default()
if expected and (default is None or default.nxpath != expected[0]["group"]):
    problems.append(f"nexusformat: default {default and default.nxpath} != {expected[0]['group']}")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
