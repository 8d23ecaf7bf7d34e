"""Check attributes and groups written by tests/write_dense.rs and write_dense_links.rs.

Usage: check_dense.py FILE.h5 EXPECT.json. EXPECT lists
  "attrs": [{"path", "name", "sha256", "len", "kind": "text" | "f64"}]: the attribute's
      stored bytes (UTF-8 text, or float64 little-endian values) hash to sha256 in h5py
      (normal, and swmr=True when the superblock is v3) and in PyTables;
  "groups": [{"path", "members": [...]}]: h5py lists exactly these members in this order,
      and PyTables lists the same set.
Exits non-zero on the first mismatch; prints "ok" otherwise.
"""
import hashlib
import json
import sys

import h5py
import numpy as np
import tables

path, exp_path = sys.argv[1], sys.argv[2]
with open(exp_path) as fh:
    exp = json.load(fh)


def fail(msg):
    sys.exit(msg)


def digest(v, kind):
    if kind == "text":
        if isinstance(v, np.ndarray):
            v = v.item() if v.shape == () else v
        if isinstance(v, (np.bytes_, bytes)):
            b = bytes(v)
        else:
            b = str(v).encode("utf-8")
    else:
        b = np.ascontiguousarray(np.asarray(v, dtype="<f8")).tobytes()
    return len(b), hashlib.sha256(b).hexdigest()


modes = [False]
with h5py.File(path, "r") as f:
    if f.id.get_create_plist().get_version()[0] == 3:
        modes.append(True)
for swmr in modes:
    with h5py.File(path, "r", swmr=swmr) as f:
        for a in exp.get("attrs", []):
            got = digest(f[a["path"]].attrs[a["name"]], a["kind"])
            if got != (a["len"], a["sha256"]):
                fail(f"h5py swmr={swmr} {a['path']}@{a['name']}: {got} != {a['len']} {a['sha256']}")
        for g in exp.get("groups", []):
            got = list(f[g["path"]].keys())
            if got != g["members"]:
                fail(f"h5py {g['path']}: {len(got)} members, first {got[:5]}, want {g['members'][:5]}")
with tables.open_file(path, "r") as t:
    for a in exp.get("attrs", []):
        node = t.get_node(a["path"])
        got = digest(node._v_attrs[a["name"]], a["kind"])
        if got != (a["len"], a["sha256"]):
            fail(f"PyTables {a['path']}@{a['name']}: {got} != {a['len']} {a['sha256']}")
    for g in exp.get("groups", []):
        got = sorted(t.get_node(g["path"])._v_children)
        if got != sorted(g["members"]):
            fail(f"PyTables {g['path']}: {len(got)} members")
print("ok")
