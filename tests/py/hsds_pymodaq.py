#!/usr/bin/env python3
"""PyMoDAQ 5.x writing to HSDS through h5pyd, for tests/hsds.rs.

  hsds_pymodaq.py run SCRIPT.json URL     replay a saver script (tests/py/pymodaq_script.py) with
                                          PyMoDAQ's real savers, backend='h5pyd', into the domain
                                          URL = http://HOST:PORT/DOMAIN (replaced if it exists)
  hsds_pymodaq.py h5pyd URL FILE.h5       copy every object of the domain to FILE.h5 with h5pyd
                                          and h5py (attributes, dtypes, shapes, values)
  hsds_pymodaq.py kinds FILE.h5           write (h5py) a file of the objects beyond PyMoDAQ's:
                                          soft, external and second hard links, variable-length
                                          string datasets, padded compounds
  hsds_pymodaq.py kinds-domain URL        write the same kinds with h5pyd straight to a domain,
                                          plus object references (a dataset of them, null
                                          included, and attributes)
  hsds_pymodaq.py compare URL FILE.h5     h5pyd's reading of the domain against h5py's of the
                                          file, link by link, value by value (a reference: the
                                          same object): prints a JSON list of differences
                                          (empty when equal)
  hsds_pymodaq.py load-poll URL SECONDS   PyMoDAQ's `load --json --full` document of the domain,
                                          again and again for SECONDS (a live reader while a
                                          writer runs), as one JSON list on stdout
  hsds_pymodaq.py load-many URL...        PyMoDAQ's `load --json --full` document of each domain
                                          (fixtures/gen/pymodaq_load.py, backend h5pyd), as one
                                          JSON list on stdout ({"error": ...} for a domain
                                          PyMoDAQ cannot open): one Python start for many domains

Credentials come from HS_USERNAME / HS_PASSWORD.  PyMoDAQ 5.3 calls h5pyd.special_dtype(dtype)
positionally for the Logger, which h5pyd 1.0 refuses: it is mapped to h5pyd.vlen_dtype first;
its H5Backend.isopen asks h5pyd < 1.0's `id.http_conn`: see pymodaq_load.patch_h5pyd_isopen.
"""
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
sys.path.insert(0, str(Path(__file__).parent))


def split_url(url):
    scheme, rest = url.split("://", 1)
    host, _, domain = rest.partition("/")
    return f"{scheme}://{host}", "/" + domain


def patch_h5pyd():
    import h5pyd
    from pymodaq_data.h5modules import backends as bk

    sys.path.insert(0, str(Path(__file__).parents[2] / "fixtures" / "gen"))
    import pymodaq_load

    pymodaq_load.patch_h5pyd_isopen(bk)

    orig = h5pyd.special_dtype

    def special_dtype(*args, **kw):
        if args and not kw:
            return h5pyd.vlen_dtype(args[0])
        return orig(*args, **kw)

    h5pyd.special_dtype = special_dtype


def run(script_path, url):
    import pymodaq_script

    endpoint, domain = split_url(url)
    os.environ["HS_ENDPOINT"] = endpoint
    patch_h5pyd()
    script = json.loads(Path(script_path).read_text())
    script["backend"] = "h5pyd"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "script.json"
        p.write_text(json.dumps(script))
        pymodaq_script.run(str(p), domain)


def copy_to_file(url, out):
    import h5py
    import h5pyd

    endpoint, domain = split_url(url)
    with h5pyd.File(domain, "r", endpoint=endpoint) as src, h5py.File(out, "w") as dst:
        def attrs(s, d):
            for k in s.attrs:
                d.attrs[k] = s.attrs[k]

        def walk(s, d):
            attrs(s, d)
            for name in s:
                o = s[name]
                if isinstance(o, h5pyd.Group):
                    walk(o, d.create_group(name))
                else:
                    ds = d.create_dataset(name, data=o[()], dtype=o.dtype, maxshape=o.maxshape,
                                          chunks=o.chunks if o.maxshape != o.shape else None)
                    attrs(o, ds)

        walk(src, dst)


def write_kinds(out):
    import h5py
    import numpy as np

    with h5py.File(out, "w") as f:
        g = f.create_group("g")
        d = g.create_dataset("data", data=np.arange(6.0).reshape(2, 3))
        d.attrs["units"] = "V"
        f["soft"] = h5py.SoftLink("/g/data")
        f["dangling"] = h5py.SoftLink("/nowhere")
        f["ext"] = h5py.ExternalLink("other.h5", "/x/y")
        f["again"] = d  # a second hard link to /g/data
        f["g2"] = g  # and to a group
        sd = h5py.string_dtype("utf-8")
        f.create_dataset("names", data=np.array(["alpha", "Zoé", "", "x" * 300], dtype=object),
                         dtype=sd)
        f.create_dataset("grid", data=np.array([["a", "bb"], ["ccc", "é"]], dtype=object), dtype=sd)
        f.create_dataset("one", data="a scalar string", dtype=sd)
        f.create_dataset("log", shape=(2,), maxshape=(None,), dtype=sd, chunks=(4,),
                         data=np.array(["first", "second"], dtype=object))
        padded = np.dtype({"names": ["a", "b", "c"], "formats": ["i1", "<f8", "<u2"],
                           "offsets": [0, 8, 16], "itemsize": 24})
        vals = np.zeros(3, dtype=padded)
        vals["a"] = [1, -2, 3]
        vals["b"] = [0.5, -1.25, 1e300]
        vals["c"] = [7, 65535, 0]
        pd = f.create_dataset("padded", data=vals, fillvalue=np.array((9, 2.5, 4), dtype=padded))
        pd.attrs["one"] = vals[1]
        pd.attrs["all"] = vals
        nested = np.dtype({"names": ["p", "q"], "formats": [padded, "i1"],
                           "offsets": [0, 32], "itemsize": 40})
        nv = np.zeros(2, dtype=nested)
        nv["p"] = vals[:2]
        nv["q"] = [5, 6]
        f.create_dataset("nested", data=nv)
        f.attrs["tags"] = np.array(["x", "yy"], dtype=object).astype(sd)


def write_kinds_domain(url):
    import h5pyd
    import numpy as np

    endpoint, domain = split_url(url)
    with h5pyd.File(domain, "w", endpoint=endpoint) as f:
        g = f.create_group("g")
        d = g.create_dataset("data", data=np.arange(6.0).reshape(2, 3))
        d.attrs["units"] = "V"
        sub = g.create_group("sub")
        sub.attrs["n"] = 3
        f["soft"] = h5pyd.SoftLink("/g/data")
        f["rel"] = h5pyd.SoftLink("data")  # relative: resolves from the root, where nothing is
        g["rel"] = h5pyd.SoftLink("data")
        f["dangling"] = h5pyd.SoftLink("/nowhere")
        f["ext"] = h5pyd.ExternalLink("other.h5", "/x/y")
        f["again"] = d  # a second hard link to /g/data
        f["g2"] = g  # and to a group
        sub["up"] = g  # a cycle
        sd = h5pyd.string_dtype("utf-8")
        f.create_dataset("names", data=np.array(["alpha", "Zoé", "", "x" * 300], dtype=object),
                         dtype=sd)
        f.create_dataset("grid", data=np.array([["a", "bb"], ["ccc", "é"]], dtype=object),
                         dtype=sd)
        f.create_dataset("one", data="a scalar string", dtype=sd)
        many = np.array([f"line {i} " + "é" * (i % 7) for i in range(5000)], dtype=object)
        f.create_dataset("many", data=many, dtype=sd)
        log = f.create_dataset("log", shape=(2,), maxshape=(None,), dtype=sd, chunks=(4,))
        log[0:2] = np.array(["first", "second"], dtype=object)
        log.resize((3,))
        log[2] = "third"
        asc = h5pyd.string_dtype("ascii")
        f.create_dataset("ascii", data=np.array([b"ab", b"c"], dtype=object), dtype=asc)
        rt = h5pyd.special_dtype(ref=h5pyd.Reference)
        r = f.create_dataset("refs", (4,), dtype=rt)
        r[0] = g.ref
        r[1] = d.ref
        r[3] = sub.ref  # r[2] stays a null reference
        r2 = g.create_dataset("refgrid", (2, 2), dtype=rt)
        r2[0, 0] = f.ref
        r2[1, 1] = f["names"].ref
        f.attrs["aref"] = d.ref
        g.attrs["root"] = f.ref


def compare(url, path):
    import h5py
    import h5pyd
    import numpy as np

    endpoint, domain = split_url(url)
    diffs = []
    dom_ref = [None]

    def ref_id(v):
        """h5pyd 1.0 gives a reference as the object's id (`datasets/d-...` in dataset
        values, bare in attributes), b'' or '' for a null one."""
        v = v.decode() if isinstance(v, bytes) else str(v)
        return v.rsplit("/", 1)[-1]

    def same_refs(a, b):
        """h5pyd's ids against h5py's references: the same objects (null as null)."""
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        if a.shape != b.shape:
            return False
        f = dom_ref[0][1]
        for x, y in zip(a.reshape(-1), b.reshape(-1)):
            if not y:
                if ref_id(x) != "":
                    return False
                continue
            target = f[y].name
            if ref_id(x) != dom_ref[0][0][target].id.id:
                return False
        return True

    def same(a, b):
        dt = getattr(b, "dtype", None)
        if isinstance(b, h5py.Reference) or (dt is not None and h5py.check_dtype(ref=dt)):
            return same_refs(a, b)
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.names or b.dtype.names:
            if a.dtype.names != b.dtype.names or a.shape != b.shape:
                return False
            return all(same(a[n], b[n]) for n in a.dtype.names)
        if a.dtype.kind == "O" or b.dtype.kind == "O":
            dec = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[object])
            return a.shape == b.shape and bool(np.all(dec(a) == dec(b)))
        if a.dtype != b.dtype:
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))

    def attrs(name, x, y):
        if sorted(x.attrs) != sorted(y.attrs):
            diffs.append(f"{name}: attributes {sorted(x.attrs)} != {sorted(y.attrs)}")
            return
        for k in x.attrs:
            if not same(x.attrs[k], y.attrs[k]):
                diffs.append(f"{name} attribute {k}: {x.attrs[k]!r} != {y.attrs[k]!r}")

    with h5pyd.File(domain, "r", endpoint=endpoint) as dom, h5py.File(path, "r") as f:
        dom_ref[0] = (dom, f)
        attrs("/", dom, f)
        # h5py object address -> first path: a second hard link must be the same object
        # in the domain too (checked by id), and is not walked again (cycles).
        first = {h5py.h5o.get_info(f.id).addr: "/"}

        def walk(gd, gf, prefix):
            if sorted(gd) != sorted(gf):
                diffs.append(f"{prefix}: links {sorted(gd)} != {sorted(gf)}")
            for name in gf:
                p = prefix.rstrip("/") + "/" + name
                lf = gf.get(name, getlink=True)
                ld = gd.get(name, getlink=True)
                if isinstance(lf, h5py.SoftLink):
                    if not isinstance(ld, h5pyd.SoftLink) or ld.path != lf.path:
                        diffs.append(f"{p}: soft link to {lf.path}, domain has {ld!r}")
                    continue
                if isinstance(lf, h5py.ExternalLink):
                    if (not isinstance(ld, h5pyd.ExternalLink) or ld.path != lf.path
                            or ld.filename != lf.filename):
                        diffs.append(f"{p}: external link {lf.filename}:{lf.path}, domain has {ld!r}")
                    continue
                of, od = gf[name], gd[name]
                addr = h5py.h5o.get_info(of.id).addr
                if addr in first:
                    if od.id.id != dom[first[addr]].id.id:
                        diffs.append(f"{p}: not the same object as {first[addr]}")
                    continue
                first[addr] = p
                if isinstance(of, h5py.Group):
                    if not isinstance(od, h5pyd.Group):
                        diffs.append(f"{p}: not a group in the domain")
                        continue
                    attrs(p, od, of)
                    walk(od, of, p)
                    continue
                attrs(p, od, of)
                if od.shape != of.shape or od.maxshape != of.maxshape:
                    diffs.append(f"{p}: shape {od.shape}/{od.maxshape} != {of.shape}/{of.maxshape}")
                    continue
                vd, vf = od[()], of[()]
                if not same(vd, vf):
                    diffs.append(f"{p}: values {vd!r} != {vf!r}")
                if of.dtype.names and of.fillvalue is not None and not same(od.fillvalue, of.fillvalue):
                    diffs.append(f"{p}: fill value {od.fillvalue!r} != {of.fillvalue!r}")

        walk(dom, f, "/")
    print(json.dumps(diffs, ensure_ascii=False))


def load_many(urls):
    import logging

    sys.path.insert(0, str(Path(__file__).parents[2] / "fixtures" / "gen"))
    import pymodaq_load

    logging.disable(logging.CRITICAL)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    docs = []
    try:
        for url in urls:
            try:
                doc, _ = pymodaq_load.build(url, True, "h5pyd")
            except Exception as exc:  # reported, compared by the test
                doc = {"error": f"{type(exc).__name__}: {exc}"}
            docs.append(doc)
    finally:
        sys.stdout = real_stdout
    sys.stdout.write(json.dumps(docs, ensure_ascii=False, allow_nan=False) + "\n")


def load_poll(url, seconds):
    import logging
    import time

    sys.path.insert(0, str(Path(__file__).parents[2] / "fixtures" / "gen"))
    import pymodaq_load

    logging.disable(logging.CRITICAL)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    docs = []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            try:
                doc, _ = pymodaq_load.build(url, True, "h5pyd")
            except Exception as exc:  # reported, checked by the test
                doc = {"error": f"{type(exc).__name__}: {exc}"}
            docs.append(doc)
    finally:
        sys.stdout = real_stdout
    sys.stdout.write(json.dumps(docs, ensure_ascii=False, allow_nan=False) + "\n")


def main(argv):
    if argv[1] == "load-many":
        load_many(argv[2:])
    elif argv[1] == "load-poll":
        load_poll(argv[2], float(argv[3]))
    elif argv[1] == "kinds":
        write_kinds(argv[2])
    elif argv[1] == "kinds-domain":
        write_kinds_domain(argv[2])
    elif argv[1] == "compare":
        compare(argv[2], argv[3])
    elif argv[1] == "run":
        run(argv[2], argv[3])
    elif argv[1] == "h5pyd":
        copy_to_file(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
