"""Check the files tests/write_continue_all.rs continued, in h5py (normal, and swmr=True when
the superblock is v3).

Usage: check_continued.py MANIFEST.json. MANIFEST is a list of
  {"orig", "cont", "extended": {path: [old_rows, k, how]}, "attr", "new_group", "new_values"}
For each entry, every object reached from the root of ORIG (hard links, depth first) is
compared with the same path in CONT, using h5py_dump's rendering (the exact bytes of
fixed-size values, h5py's conversion for variable-length ones):
  - its attributes are unchanged, plus ATTR = "continued PATH" (PATH: one of its paths);
  - groups list the same members in the same order (the root: plus NEW_GROUP);
    soft and external links are unchanged;
  - datasets keep their type, layout, chunks, filters, fill value and maxshape; their shape
    is unchanged, or grows by k rows for the extended ones, whose first old_rows rows are
    the old values and whose k new rows are: "copy" the old rows 0.. repeated, "zero" zero
    bytes (0, empty strings and sequences, null references), "vlen" "ab" (strings) or two
    zero elements (sequences);
  - object references still point at the same objects;
  - NEW_GROUP/d holds NEW_VALUES.
Prints "ok N" or exits 1 listing every difference.
"""
import json
import os
import sys

import h5py
import numpy as np
from h5py import h5o, h5s, h5t

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gen"))
import h5py_dump as D  # noqa: E402

errors = []


def err(msg):
    errors.append(msg)


def readers(ds, shape, start):
    """read_raw/read_converted for values_entry over rows [start, start + shape[0])."""
    dsid = ds.id
    vt = D.value_type(dsid.get_type())

    def read_raw(rows):
        a, b = rows if rows is not None else (0, shape[0] if shape else 0)
        if not shape:
            buf = D.raw_buffer(shape, vt.get_size())
            dsid.read(h5s.ALL, h5s.ALL, buf, mtype=vt)
            return buf
        count = (b - a,) + tuple(shape[1:])
        fspace = dsid.get_space()
        fspace.select_hyperslab((start + a,) + (0,) * (len(shape) - 1), count)
        buf = D.raw_buffer(count, vt.get_size())
        if b > a:
            dsid.read(h5s.create_simple(count), fspace, buf, mtype=vt)
        return buf

    def read_converted(rows):
        if not shape:
            return ds[()]
        a, b = rows if rows is not None else (0, shape[0])
        return ds[start + a:start + b]

    return vt, read_raw, read_converted


def values(ds, shape, start):
    vt, rr, rc = readers(ds, shape, start)
    return D.values_entry(vt, list(shape), rr, rc)


def is_zero(x):
    if x is None:
        return True
    if isinstance(x, (bytes, str)):
        return len(x) == 0
    if isinstance(x, h5py.Reference) or isinstance(x, h5py.RegionReference):
        return not bool(x)
    if isinstance(x, np.void) and x.dtype.names:
        return all(is_zero(x[n]) for n in x.dtype.names)
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "O" or x.dtype.names:
            return all(is_zero(e) for e in x.ravel())
        return not x.tobytes().strip(b"\0")
    if isinstance(x, np.generic):
        return not np.asarray(x).tobytes().strip(b"\0")
    return x == 0


def ref_names(f, ds, rows):
    out = []
    for r in np.asarray(ds[:rows] if ds.shape else ds[()]).ravel():
        try:
            out.append(f[r].name if r else None)
        except Exception as e:  # noqa: BLE001
            out.append("error " + str(e))
    return out


def aliases(f, obj):
    """Every path of the object (objects linked twice)."""
    out = set()
    addr = h5o.get_info(obj.id).addr

    def visit(name, o):
        if h5o.get_info(o.id).addr == addr:
            out.add("/" + name)
    try:
        f.visititems(visit)
    except Exception:  # noqa: BLE001
        pass
    return out


def compare(fo, fc, o, c, path, entry, seen):
    name = entry["orig"]
    oa, _ = D.dump_attrs(o)
    ca, _ = D.dump_attrs(c)
    attr = entry["attr"]
    got = ca.pop(attr, None)
    if got is None:
        if path in entry["tagged_set"]:
            err(f"{name}: {path}: no {attr}")
    elif path not in entry["tagged_set"] and not entry["tagged_set"] & aliases(fc, c):
        err(f"{name}: {path}: {attr} on an object we did not tag")
    else:
        v = got.get("value")
        if isinstance(v, dict):  # h5py_dump's form of non-ASCII-safe text
            v = v.get("text")
        if not (isinstance(v, str) and v.startswith("continued /")):
            err(f"{name}: {path}@{attr} = {got}")
    ext = entry["extended"].get(path)
    if ext is not None and "NROWS" in oa and "NROWS" in ca:
        # PyTables Tables count their rows in NROWS too: grown with them.
        want = dict(oa["NROWS"], value=oa["NROWS"].get("value", 0) + ext[1])
        if ca["NROWS"] != want:
            err(f"{name}: {path}@NROWS = {ca['NROWS']}, want {want}")
        ca["NROWS"] = oa["NROWS"]
    if oa != ca:
        keys = [k for k in set(oa) | set(ca) if oa.get(k) != ca.get(k)]
        err(f"{name}: {path}: attributes differ: {keys[:5]} {[oa.get(k) for k in keys[:2]]} {[ca.get(k) for k in keys[:2]]}")
    if isinstance(o, h5py.Group):
        om = list(o)
        cm = list(c)
        if path == "/":
            new = entry["new_group"].lstrip("/")
            if new not in cm:
                err(f"{name}: no {new}")
            cm = [m for m in cm if m != new]
        if om != cm:
            err(f"{name}: {path}: members {om[:8]} != {cm[:8]}")
            return
        for m in om:
            child = path.rstrip("/") + "/" + m
            lo = o.get(m, getlink=True)
            lc = c.get(m, getlink=True)
            if type(lo) is not type(lc):
                err(f"{name}: {child}: link {lo} became {lc}")
                continue
            if isinstance(lo, h5py.SoftLink):
                if lo.path != lc.path:
                    err(f"{name}: {child}: soft link {lo.path} != {lc.path}")
                continue
            if isinstance(lo, h5py.ExternalLink):
                if (lo.filename, lo.path) != (lc.filename, lc.path):
                    err(f"{name}: {child}: external link changed")
                continue
            try:
                oc = o[m]
            except Exception:  # noqa: BLE001 - h5py cannot open it either
                continue
            addr = h5o.get_info(oc.id).addr
            if addr in seen:
                continue
            seen.add(addr)
            try:
                cc = c[m]
            except Exception as e:  # noqa: BLE001
                err(f"{name}: {child}: h5py cannot open the continued object: {e}")
                continue
            compare(fo, fc, oc, cc, child, entry, seen)
        return
    if not isinstance(o, h5py.Dataset):
        return
    try:
        od, _ = D.dump_dataset(o)
    except Exception:  # noqa: BLE001
        return
    if "error" in od:
        return
    cd, _ = D.dump_dataset(c)
    ext = entry["extended"].get(path)
    shape = list(od["shape"] or [])
    want_shape = shape if ext is None else [shape[0] + ext[1]] + shape[1:]
    if list(cd["shape"] or []) != want_shape:
        err(f"{name}: {path}: shape {cd['shape']} != {want_shape}")
        return
    for k in ("maxshape", "dataspace", "type", "layout", "chunks", "filters", "fillvalue"):
        if od.get(k) != cd.get(k):
            err(f"{name}: {path}: {k} {od.get(k)} != {cd.get(k)}")
    if od.get("dataspace") == "null":
        return
    if ext is None:
        vo = {k: v for k, v in od.items() if k in ("value", "sha256_le", "nbytes", "first", "sum", "len")}
        vc = {k: v for k, v in cd.items() if k in ("value", "sha256_le", "nbytes", "first", "sum", "len")}
        if vo != vc:
            err(f"{name}: {path}: values differ")
    else:
        old, k, how = ext
        if values(c, shape, 0) != values(o, shape, 0):
            err(f"{name}: {path}: old rows differ")
        new_shape = [k] + shape[1:]
        if how == "copy":
            n0 = min(old, k)
            src = readers(o, [n0] + shape[1:], 0)[1](None).tobytes()
            want = (src * k)[:len(src) // n0 * k]
            if readers(c, new_shape, old)[1](None).tobytes() != want:
                err(f"{name}: {path}: copied rows differ")
        elif how == "zero":
            if D.has_vlen(o.id.get_type()):
                got = c[old:old + k]
                ok = is_zero(np.asarray(got))
            else:
                got = readers(c, new_shape, old)[1](None).tobytes()
                ok = not got.strip(b"\0")
            if not ok:
                err(f"{name}: {path}: new rows not zero: {got!r}"[:300])
        else:
            for e in c[old:old + k]:
                if isinstance(e, (bytes, str)):
                    ok = (e.decode() if isinstance(e, bytes) else e) == "ab"
                else:
                    ok = len(e) == 2 and not np.asarray(e).tobytes().strip(b"\0")
                if not ok:
                    err(f"{name}: {path}: new vlen row {e!r}")
    t = o.id.get_type()
    if t.get_class() == h5t.REFERENCE:
        rows = shape[0] if shape else 0
        if ref_names(fo, o, rows) != ref_names(fc, c, rows):
            err(f"{name}: {path}: references point elsewhere")


def main():
    with open(sys.argv[1]) as fh:
        manifest = json.load(fh)
    for entry in manifest:
        entry["tagged_set"] = set(entry["tagged"])
        modes = [False]
        if D.superblock_version(entry["cont"]) == 3:
            modes.append(True)
        for swmr in modes:
            before = len(errors)
            try:
                with h5py.File(entry["orig"], "r") as fo, h5py.File(entry["cont"], "r", swmr=swmr) as fc:
                    compare(fo, fc, fo, fc, "/", entry, {h5o.get_info(fo.id).addr})
                    d = fc[entry["new_group"] + "/d"][...].tolist()
                    if d != entry["new_values"]:
                        err(f"{entry['orig']}: new dataset {d}")
            except Exception as e:  # noqa: BLE001
                err(f"{entry['orig']}: h5py swmr={swmr}: {type(e).__name__}: {e}")
            for i in range(before, len(errors)):
                errors[i] = f"[swmr={swmr}] " + errors[i]
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("ok", len(manifest))


if __name__ == "__main__":
    main()
