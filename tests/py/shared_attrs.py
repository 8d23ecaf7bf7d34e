"""Attributes of files with shared attribute messages (SOHM), for tests/write_shared_attrs.rs.

dump FILE: every attribute of every object as JSON {path: {name: [dtype, value]}}.
pytables FILE: every attribute of every node read by PyTables; prints how many.
drain FILE: libhdf5 (through h5py) replaces and adds attributes, then deletes every
attribute, then every object: each shared message loses all its references, so a file
whose reference counts are right ends with every shared message index empty; a count too
low makes libhdf5 fail here.
"""
import json
import sys

import h5py
import numpy as np


def plain(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()] if v.dtype.kind != "V" else repr(v.tolist())
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def attrs(f):
    out = {}

    def one(name, obj):
        out["/" + name if name else "/"] = {
            k: [str(obj.attrs.get_id(k).dtype), plain(obj.attrs[k])] for k in obj.attrs
        }

    one("", f)
    f.visititems(one)
    return out


mode, path = sys.argv[1], sys.argv[2]
if mode == "dump":
    with h5py.File(path, "r") as f:
        print(json.dumps(attrs(f), sort_keys=True, default=repr))
elif mode == "pytables":
    import tables

    n = 0
    with tables.open_file(path, "r") as f:
        for node in f.walk_nodes("/"):
            a = node._v_attrs
            for k in a._f_list("all"):
                a[k]
                n += 1
    print(n)
elif mode == "drain":
    with h5py.File(path, "r+") as f:
        objs = ["/"]
        f.visititems(lambda n, o: objs.append("/" + n) if not isinstance(o, h5py.Datatype) else None)
        # libhdf5 first edits on its own (replacing with equal values, adding messages
        # equal to shared ones): it decrements and finds in the indexes we wrote.
        for p in objs:
            a = f[p].attrs
            for k in list(a)[:3]:
                a[k] = a[k]
            a["units"] = "mm"
            a["note"] = "shared"
            a["fresh"] = np.arange(3)
        for p in objs:
            for k in list(f[p].attrs):
                del f[p].attrs[k]
        for k in list(f):
            del f[k]
else:
    raise SystemExit(f"unknown mode {mode}")
