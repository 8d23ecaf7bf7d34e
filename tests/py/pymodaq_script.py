#!/usr/bin/env python3
"""Saver scripts (`pymodaq-h5-script/1`, spec/pymodaq-write.md) through PyMoDAQ's REAL savers.

  pymodaq_script.py run SCRIPT.json OUT.h5     replay the script with pymodaq_data 5.x savers
  pymodaq_script.py gen SEED OUT.json [BACKEND] write a random script (random savers, shapes,
                                               dtypes, axes, errors, attributes)
  pymodaq_script.py struct FILE.h5             print the file's structure as JSON: per node the
                                               attributes with their HDF5 storage (string kind,
                                               dataspace) and value, per dataset dtype, shape,
                                               maxshape, filters and a hash of the values

tests/pymodaq_write.rs runs each script through our `pymodaq-h5 script` and through `run`, then
compares what PyMoDAQ loads from both files (5.x with both backends, 4.4) and their structures.
"""
import base64
import datetime as _dt
import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")


# ---------------------------------------------------------------------------------------------
# JSON values -> Python objects (the load-json attribute encoding)


def py_value(v):
    if isinstance(v, dict):
        if "$tuple" in v:
            return tuple(py_value(x) for x in v["$tuple"])
        if "$bytes_b64" in v:
            return base64.b64decode(v["$bytes_b64"])
        if "$dict" in v:
            return {k: py_value(x) for k, x in v["$dict"].items()}
        raise ValueError(f"unknown object {v}")
    if isinstance(v, list):
        return [py_value(x) for x in v]
    return v


def num(x):
    if isinstance(x, str):
        return {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}[x]
    return x


def array(a):
    dt = np.dtype(a["dtype"])
    vals = a["values"]
    if dt.kind == "c":
        vals = [complex(num(v[0]), num(v[1])) if isinstance(v, list) else num(v) for v in vals]
    elif dt.kind == "f":
        vals = [num(v) for v in vals]
    return np.array(vals, dtype=dt).reshape(a["shape"])


# ---------------------------------------------------------------------------------------------
# run


def run(script_path, out):
    import pymodaq_data.data as pdata
    import pymodaq_data.h5modules.saving as psaving
    from pymodaq_data.data import Axis, DataDistribution, DataToExport, DataWithAxes
    from pymodaq_data.h5modules import data_saving as ds

    script = json.loads(Path(script_path).read_text())
    date, time_ = script["date"], script["time"]

    class FixedDateTime(_dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls.combine(_dt.date.fromisoformat(date), _dt.time.fromisoformat(time_))

    class FakeDatetimeModule:
        datetime = FixedDateTime
        date = _dt.date
        time = _dt.time
        timedelta = _dt.timedelta

    psaving.datetime = FakeDatetimeModule

    def axis(a):
        return Axis(a.get("label", ""), units=a.get("units", ""),
                    data=np.array([num(v) for v in a["data"]["values"]], dtype=float),
                    index=a.get("index", 0), spread_order=a.get("spread_order", 0))

    def dwa(d):
        kw = {k: py_value(v) for k, v in (d.get("extra_attributes") or {}).items() if k != "path"}
        obj = DataWithAxes(
            d["name"], source=d.get("source", "raw"), data=[array(a) for a in d["data"]],
            units=d.get("units", ""), labels=d.get("labels") or [],
            origin=py_value(d.get("origin", "")),
            distribution=d.get("distribution", "uniform"),
            nav_indexes=tuple(d.get("nav_indexes") or ()),
            axes=[axis(a) for a in d.get("axes") or []],
            errors=[array(a) for a in d["errors"]] if d.get("errors") else None, **kw)
        if "timestamp" in d:
            obj.timestamp = num(d["timestamp"])
        return obj

    def dte(d):
        obj = DataToExport(d.get("name", "data"), data=[dwa(x) for x in d["data"]])
        if "timestamp" in d:
            obj.timestamp = num(d["timestamp"])
        return obj

    saver = psaving.H5SaverLowLevel(save_type=script.get("save_type", "custom"),
                                    backend=script.get("backend", "tables"))
    if script.get("compression") is not None:
        saver.define_compression("zlib", script["compression"])
    out = Path(out)
    if out.exists():
        out.unlink()
    md = {k: py_value(v) for k, v in (script.get("metadata") or {}).items()}
    saver.init_file(out, new_file=True, metadata=md or None,
                    swmr_mode=bool(script.get("swmr", False)))
    savers = {}
    for op in script["ops"]:
        name = op["op"]
        w = op.get("where")
        settings = py_value(op.get("settings", ""))
        meta = {k: py_value(v) for k, v in (op.get("metadata") or {}).items()}
        if name == "add_log":
            saver.add_log(op["msg"])
        elif name in ("add_det_group", "add_act_group", "add_scan_group", "add_ch_group"):
            getattr(saver, name)(w, title=op.get("title", ""), settings_as_xml=settings,
                                 metadata=meta)
        elif name == "add_incremental_group":
            saver.add_incremental_group(op["group_type"], w, op.get("title", ""), settings, meta)
        elif name == "get_set_group":
            saver.get_set_group(w, op["name"], title=op.get("title", ""))
        elif name == "add_axis":
            ds.AxisSaverLoader(saver).add_axis(w, axis(op["axis"]),
                                               enlargeable=op.get("enlargeable", False))
        elif name == "add_data":
            cls = {"data": ds.DataSaverLoader, "bkg": ds.BkgSaver}[op.get("saver", "data")]
            kw = {k: py_value(v) for k, v in (op.get("kw") or {}).items()}
            cls(saver).add_data(w, dwa(op["dwa"]), save_axes=op.get("save_axes", True), **kw)
        elif name == "dte_add_data":
            kw = {k: py_value(v) for k, v in (op.get("kw") or {}).items()}
            ds.DataToExportSaver(saver).add_data(w, dte(op["dte"]),
                                                 settings_as_xml=op.get("settings", ""), **kw)
        elif name == "dte_add_bkg":
            ds.DataToExportSaver(saver).add_bkg(w, dte(op["dte"]))
        elif name == "enl_add_data":
            s = savers.setdefault(op["id"], ds.DataEnlargeableSaver(
                saver, enl_axis_names=tuple(op.get("names", ["nav axis"])),
                enl_axis_units=tuple(op.get("units", [""]))))
            av = op.get("axis_values")
            s.add_data(w, dwa(op["dwa"]), axis_values=[num(x) for x in av] if av else None)
        elif name == "dte_enl_add_data":
            s = savers.setdefault(op["id"], ds.DataToExportEnlargeableSaver(
                saver, enl_axis_names=tuple(op.get("names", ["nav axis"])),
                enl_axis_units=tuple(op.get("units", [""]))))
            s.add_data(w, dte(op["dte"]), axis_values=[num(x) for x in op["axis_values"]])
        elif name == "dte_timed_add_data":
            s = savers.setdefault(op["id"], ds.DataToExportTimedSaver(saver))
            s.add_data(w, dte(op["dte"]))
        elif name == "ext_add_data":
            s = savers.setdefault(op["id"], ds.DataExtendedSaver(saver, tuple(op["shape"])))
            s.add_data(w, dwa(op["dwa"]), indexes=tuple(op["indexes"]),
                       distribution=DataDistribution[op.get("distribution", "uniform")])
        elif name in ("dte_ext_add_nav_axes", "dte_ext_add_data"):
            s = savers.setdefault(op["id"], ds.DataToExportExtendedSaver(saver, tuple(op["shape"])))
            if name == "dte_ext_add_nav_axes":
                s.add_nav_axes(w, [axis(a) for a in op["axes"]])
            else:
                s.add_data(w, dte(op["dte"]), indexes=tuple(op["indexes"]),
                           distribution=DataDistribution[op.get("distribution", "uniform")])
        elif name == "flush":
            saver.flush()
        else:
            raise ValueError(f"unknown op {name}")
    saver.close_file()


# ---------------------------------------------------------------------------------------------
# gen: random scripts

UNITS = ["", "V", "mm", "nm", "s", "K", "W", "eV"]
DTYPES = ["float64", "float64", "float32", "int32", "uint16", "int64", "uint8", "complex128",
          "bool"]
WORDS = ["spectrum", "power", "cam", "trace", "temp", "Zoé", "signal 2", "x'y", 'q"uote',
         "日本", "ref"]


def gen(seed, backend="tables"):
    r = np.random.default_rng(seed)
    t = [1715940000.0]

    def ts():
        t[0] += 0.5
        return t[0]

    def word():
        return str(r.choice(WORDS))

    def values(shape, dtype):
        n = int(np.prod(shape))
        dt = np.dtype(dtype)
        if dt.kind == "f":
            v = r.normal(size=n)
            if n > 2 and r.random() < 0.2:
                v[1] = np.nan
            return [float(x) if np.isfinite(x) else "nan" for x in v.astype(dt)]
        if dt.kind == "c":
            return [[float(a), float(b)] for a, b in zip(r.normal(size=n), r.normal(size=n))]
        if dt.kind == "b":
            return [bool(x) for x in r.integers(0, 2, size=n)]
        info = np.iinfo(dt)
        return [int(x) for x in r.integers(max(info.min, -1000), min(info.max, 1000), size=n,
                                           endpoint=True)]

    def arr(shape, dtype):
        return {"shape": list(shape), "dtype": dtype, "values": values(shape, dtype)}

    def ax(n, index, linear=None, spread_order=0):
        linear = r.random() < 0.5 if linear is None else linear
        if linear or n == 1:
            v = [float(x) for x in np.linspace(r.uniform(-5, 5), r.uniform(5, 10), n)]
        else:
            v = sorted(float(x) for x in r.uniform(0, 100, size=n))
        return {"label": word(), "units": str(r.choice(UNITS)), "index": index,
                "spread_order": spread_order, "data": {"values": v}}

    def extra():
        e = {}
        for _ in range(int(r.integers(0, 3))):
            kind = int(r.integers(0, 6))
            k = f"x_{int(r.integers(0, 99))}"
            e[k] = [1.25, 7, "txt é", {"$tuple": [1, "a"]}, None, True][kind]
        return e

    def dwa(dim=None, nav=False, with_axes=True):
        dim = dim if dim is not None else int(r.integers(0, 3))
        shape = [[1], [int(r.integers(2, 9))], [int(r.integers(2, 5)), int(r.integers(2, 6))]][dim]
        dtype = str(r.choice(DTYPES))
        n = int(r.integers(1, 3))
        d = {"name": word(), "units": str(r.choice(UNITS)), "source": str(r.choice(["raw", "calculated"])),
             "origin": str(r.choice(["", "det", "scope"])), "timestamp": ts(),
             "data": [arr(shape, dtype) for _ in range(n)]}
        if r.random() < 0.5:
            d["labels"] = [f"l{i}" for i in range(n)]
        if with_axes and dim > 0:
            d["axes"] = [ax(s, i) for i, s in enumerate(shape) if r.random() < 0.7]
        if dtype.startswith("float") and r.random() < 0.3:
            d["errors"] = [arr(shape, dtype) for _ in range(n)]
        d["extra_attributes"] = extra()
        return d

    def dte(nmin=1, nmax=4, dims=None):
        data = []
        names = set()
        for _ in range(int(r.integers(nmin, nmax + 1))):
            d = dwa(dim=None if dims is None else int(r.choice(dims)))
            if (d["name"], d["origin"]) in names:
                continue
            names.add((d["name"], d["origin"]))
            data.append(d)
        return {"name": "dte", "timestamp": ts(), "data": data}

    ops = [{"op": "add_log", "msg": word()}]
    ndet = 0
    for _ in range(int(r.integers(1, 4))):
        kind = int(r.integers(0, 10))
        where = "/RawData"
        g = f"/RawData/Detector{ndet:03d}"
        ops.append({"op": "add_det_group", "where": where, "title": word(),
                    "settings": "<All_settings />" if r.random() < 0.5 else "",
                    "metadata": extra()})
        ndet += 1
        if kind == 0:  # DataSaverLoader into a fixed group, with background
            grp = g + "/G"
            ops.append({"op": "get_set_group", "where": g, "name": "G", "title": word()})
            d = dwa()
            ops.append({"op": "add_data", "where": grp, "dwa": d})
            if r.random() < 0.5:
                b = dict(d, data=[arr(x["shape"], x["dtype"]) for x in d["data"]])
                b.pop("errors", None)
                ops.append({"op": "add_data", "saver": "bkg", "save_axes": False, "where": grp,
                            "dwa": b})
        elif kind == 1:  # DataToExportSaver
            ops.append({"op": "dte_add_data", "where": g, "dte": dte(),
                        "settings": "<s/>" if r.random() < 0.5 else "",
                        "kw": {"run": int(r.integers(0, 9))} if r.random() < 0.5 else {}})
        elif kind == 2:  # DataToExportEnlargeableSaver
            nax = int(r.integers(1, 3))
            names = [word() for _ in range(nax)]
            units = [str(r.choice(UNITS)) for _ in range(nax)]
            base = dte(dims=[0, 1])
            for i in range(int(r.integers(1, 5))):
                step = {"name": "d", "timestamp": ts(), "data": [
                    dict(x, timestamp=ts(), data=[arr(a["shape"], a["dtype"]) for a in x["data"]],
                         errors=None) for x in base["data"]]}
                ops.append({"op": "dte_enl_add_data", "id": f"e{ndet}", "names": names,
                            "units": units, "where": g, "dte": step,
                            "axis_values": [float(r.normal()) for _ in range(nax)]})
        elif kind == 3:  # DataToExportTimedSaver
            base = dte(dims=[0])
            for i in range(int(r.integers(1, 5))):
                step = {"name": "d", "timestamp": ts(), "data": [
                    dict(x, timestamp=ts(), data=[arr(a["shape"], a["dtype"]) for a in x["data"]],
                         errors=None) for x in base["data"]]}
                ops.append({"op": "dte_timed_add_data", "id": f"t{ndet}", "where": g, "dte": step})
        elif kind == 5:  # other group kinds and stand-alone axes (enlargeable too)
            ops.append({"op": "add_act_group", "where": "/RawData", "title": word(),
                        "settings": {"$bytes_b64": "PGEvPg=="}})
            ops.append({"op": "add_ch_group", "where": g, "title": word()})
            ops.append({"op": "get_set_group", "where": g, "name": "Axes", "title": ""})
            for i in range(int(r.integers(1, 4))):
                ops.append({"op": "add_axis", "where": g + "/Axes",
                            "axis": ax(int(r.integers(1, 12)), 0)})
            if r.random() < 0.5:
                ops.append({"op": "add_axis", "where": g + "/Axes", "enlargeable": True,
                            "axis": ax(2, 0, linear=True)})
        elif kind == 6:  # DataEnlargeableSaver directly, with enlargeable axis values
            names = [word()]
            d = dwa(dim=int(r.integers(0, 2)))
            d.pop("errors", None)
            for i in range(int(r.integers(1, 5))):
                step = dict(d, timestamp=ts(), data=[arr(a["shape"], a["dtype"]) for a in d["data"]])
                ops.append({"op": "enl_add_data", "id": f"d{ndet}", "names": names, "units": ["mm"],
                            "where": g, "dwa": step, "axis_values": [float(i) * 0.1]})
        elif kind == 7:  # DataExtendedSaver directly, spread distribution
            n = int(r.integers(2, 6))
            d = dwa(dim=0)
            d.pop("errors", None)
            for k in range(n):
                step = dict(d, data=[arr(a["shape"], a["dtype"]) for a in d["data"]])
                ops.append({"op": "ext_add_data", "id": f"s{ndet}", "shape": [n], "where": g,
                            "dwa": step, "indexes": [k], "distribution": "spread"})
        elif kind == 8:  # spread data (two spread axes) and ND data with navigation axes
            n = int(r.integers(2, 7))
            ops.append({"op": "add_data", "where": g, "dwa": {
                "name": word(), "distribution": "spread", "timestamp": ts(),
                "data": [arr([n], "float64")], "nav_indexes": [0],
                "axes": [ax(n, 0, linear=False, spread_order=0),
                         ax(n, 0, linear=False, spread_order=1)]}})
            shape = [int(r.integers(2, 4)), int(r.integers(2, 4)), int(r.integers(2, 5))]
            ops.append({"op": "get_set_group", "where": g, "name": "ND", "title": ""})
            ops.append({"op": "add_data", "where": g + "/ND", "dwa": {
                "name": word(), "source": "calculated", "timestamp": ts(),
                "data": [arr(shape, str(r.choice(["float64", "complex128"])))],
                "nav_indexes": [0, 1], "axes": [ax(m, i) for i, m in enumerate(shape)]}})
        elif kind == 9:  # DataToExportSaver with backgrounds
            d = dte(dims=[0, 1])
            ops.append({"op": "dte_add_data", "where": g, "dte": d})
            bkg = {"name": "bkg", "timestamp": ts(), "data": [
                dict(x, data=[arr(a["shape"], a["dtype"]) for a in x["data"]], errors=None)
                for x in d["data"][:1]]}
            ops.append({"op": "dte_add_bkg", "where": g, "dte": bkg})
        else:  # DataToExportExtendedSaver: a scan, maybe interrupted
            shape = [int(r.integers(2, 4)), int(r.integers(1, 4))][: int(r.integers(1, 3))]
            scan = "/RawData/Scan000"
            if not any(o.get("op") == "add_scan_group" for o in ops):
                ops.insert(1, {"op": "add_scan_group", "where": "/RawData", "title": "scan"})
            ops.append({"op": "dte_ext_add_nav_axes", "id": f"x{ndet}", "shape": shape,
                        "where": scan, "axes": [ax(n, i) for i, n in enumerate(shape)]})
            base = dte(dims=[0, 1])
            pts = [list(p) for p in np.ndindex(*shape)]
            stop = len(pts) if r.random() < 0.7 else int(r.integers(1, len(pts) + 1))
            for p in pts[:stop]:
                step = {"name": "d", "timestamp": ts(), "data": [
                    dict(x, data=[arr(a["shape"], a["dtype"]) for a in x["data"]],
                         errors=[arr(a["shape"], a["dtype"]) for a in x["errors"]]
                         if x.get("errors") else None) for x in base["data"]]}
                ops.append({"op": "dte_ext_add_data", "id": f"x{ndet}", "shape": shape,
                            "where": g, "dte": step, "indexes": p})
        if r.random() < 0.5:
            ops.append({"op": "add_log", "msg": word()})
    # Groups are named in order: scans live under Scan000, detectors under RawData.
    return {"format": "pymodaq-h5-script/1", "backend": backend,
            "compression": int(r.integers(1, 6)) if r.random() < 0.3 else None,
            "save_type": str(r.choice(["detector", "scan", "logger", "custom"])),
            "metadata": extra(), "date": "2024-05-17", "time": "12:00:00.123456",
            "pymodaq_version": "0.0.0", "pymodaq_data_version": "5.3.0", "ops": ops}


# ---------------------------------------------------------------------------------------------
# struct


def struct(path):
    import h5py

    out = {}

    def attr_info(obj):
        res = {}
        for k in sorted(obj.attrs.keys()):
            a = obj.attrs.get_id(k)
            t = a.get_type()
            sp = a.get_space()
            cls = t.get_class()
            if cls == h5py.h5t.STRING:
                kind = "vlen-str" if t.is_variable_str() else "fixed-str"
            else:
                kind = {h5py.h5t.INTEGER: f"int{t.get_size() * 8}",
                    h5py.h5t.FLOAT: f"float{t.get_size() * 8}",
                        h5py.h5t.ENUM: "enum", h5py.h5t.BITFIELD: "bitfield"}.get(cls, str(cls))
            v = obj.attrs[k]
            if isinstance(v, bytes):
                v = v.decode("utf-8", "replace")
            elif isinstance(v, h5py.Empty):
                v = None
            elif isinstance(v, np.generic):
                v = v.item()
            res[k] = [kind, sp.get_simple_extent_type(), v if not isinstance(v, np.ndarray) else v.tolist()]
        return res

    def visit(name, obj):
        p = "/" + name if name else "/"
        e = {"attrs": attr_info(obj)}
        if isinstance(obj, h5py.Dataset):
            e["dtype"] = str(obj.dtype)
            e["shape"] = list(obj.shape)
            e["maxshape"] = list(obj.maxshape) if obj.maxshape else None
            e["chunks"] = list(obj.chunks) if obj.chunks else None
            e["compression"] = [obj.compression, obj.compression_opts, obj.shuffle]
            if obj.dtype.kind != "O":
                e["sha256"] = hashlib.sha256(np.ascontiguousarray(obj[()]).tobytes()).hexdigest()
        out[p] = e

    with h5py.File(path, "r") as f:
        visit("", f)
        f.visititems(visit)
    return out


NEXUS_HINTS = {"NX_class", "signal", "axes", "auxiliary_signals", "default", "long_name"}


def compare(ours, theirs, load_only=False):
    """Differences between what PyMoDAQ loads from our file and from its own, and (unless
    load_only) between their structures, minus the documented layout choices."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "pymodaq_load", Path(__file__).resolve().parents[2] / "fixtures/gen/pymodaq_load.py")
    pl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pl)
    import logging

    logging.disable(logging.CRITICAL)
    out = []

    def diff(x, y, p):
        if type(x) is not type(y):
            out.append(f"{p}: ours {json.dumps(x)[:200]} != theirs {json.dumps(y)[:200]}")
        elif isinstance(x, dict):
            for k in sorted(set(x) | set(y)):
                if k not in x or k not in y:
                    out.append(f"{p}/{k}: only in {'ours' if k in x else 'theirs'}")
                else:
                    diff(x[k], y[k], f"{p}/{k}")
        elif isinstance(x, list):
            if len(x) != len(y):
                out.append(f"{p}: {len(x)} items != {len(y)}")
            for i, (u, v) in enumerate(zip(x, y)):
                diff(u, v, f"{p}[{i}]")
        elif x != y and not (x != x and y != y):
            out.append(f"{p}: ours {json.dumps(x)[:200]} != theirs {json.dumps(y)[:200]}")

    def drop_hints(attrs):
        # Our files carry NeXus hints by default (InitOptions::nexus_hints): set aside exactly
        # those names, in our file only (PyMoDAQ's own files must have none of them).
        names = set()

        def texts(v):  # every string inside the `axes` value, however it was encoded
            if isinstance(v, str):
                names.add(v[2:-1] if v.startswith(("b'", 'b"')) else v)
            elif isinstance(v, dict):
                if isinstance(v.get("$bytes_b64"), str):
                    import base64

                    names.add(base64.b64decode(v["$bytes_b64"]).decode("utf-8", "replace"))
                for x in v.values():
                    texts(x)
            elif isinstance(v, list):
                for x in v:
                    texts(x)

        texts(attrs.get("axes"))
        for k in list(attrs):
            if k in NEXUS_HINTS or (k.endswith("_indices") and k[: -len("_indices")] in names):
                del attrs[k]

    def strip(doc):
        if isinstance(doc, dict):
            if isinstance(doc.get("attrs"), dict):
                drop_hints(doc["attrs"])
            for v in doc.values():
                strip(v)
        elif isinstance(doc, list):
            for v in doc:
                strip(v)

    cleanup = []
    a, _ = pl.build(ours, True, None, cleanup)
    b, _ = pl.build(theirs, True, None, cleanup)
    # Compare the JSON documents (numpy scalar types are not part of the contract).
    a = json.loads(json.dumps(a, allow_nan=False))
    b = json.loads(json.dumps(b, allow_nan=False))
    a["file"] = b["file"] = ""
    strip(a["tree"])
    diff(a, b, "load")
    if not load_only:
        sa = json.loads(json.dumps(struct(ours), default=str))
        sb = json.loads(json.dumps(struct(theirs), default=str))
        strip(sa)
        n = len(out)
        diff(sa, sb, "struct")
        allowed = []
        for d in out[n:]:
            # Documented choices (spec/pymodaq-write.md): the Logger's chunk size, and
            # pre-filled scan arrays chunked with a fill value instead of h5py's contiguous
            # array written in full.
            if d.startswith("struct//RawData/Logger/chunks"):
                continue
            if "/chunks:" in d and d.endswith("!= theirs null"):
                continue
            allowed.append(d)
        out[n:] = allowed
    return out


def main(argv):
    cmd = argv[1]
    if cmd == "run":
        run(argv[2], argv[3])
    elif cmd == "gen":
        backend = argv[4] if len(argv) > 4 else "tables"
        Path(argv[3]).write_text(json.dumps(gen(int(argv[2]), backend), ensure_ascii=False))
    elif cmd == "compare":
        diffs = compare(argv[2], argv[3], load_only="--load-only" in argv)
        for d in diffs:
            print(d)
        return 1 if diffs else 0
    elif cmd == "struct":
        print(json.dumps(struct(argv[2]), ensure_ascii=False, default=str))
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
