#!/usr/bin/env python3
"""Real PyMoDAQ against our `load --json` (tests/pymodaq_interop.rs drives it).

  pymodaq_check.py gen OUTDIR      write PyMoDAQ files with the real savers (pymodaq_data 5.x),
                                   through both backends: DataToExportSaver (0D/1D/2D, labels,
                                   units, error bars, backgrounds), the enlargeable saver with
                                   NavAxes, the extended (scan) saver, spread data, a node whose
                                   CLASS was deleted, an empty enlargeable axis, the Logger
  pymodaq_check.py compare OUTDIR  for each X.h5 with our X.ours.json next to it, load X.h5 with
                                   PyMoDAQ's DataLoader / AxisSaverLoader and compare every
                                   data node, axis node and load_all entry field by field;
                                   exit 1 listing the differences
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
from pymodaq_data.data import Axis, DataRaw, DataToExport
from pymodaq_data.h5modules.data_saving import (DataLoader, DataToExportEnlargeableSaver,
                                                DataToExportExtendedSaver, DataToExportSaver)
from pymodaq_data.h5modules.saving import H5SaverLowLevel


def gen(out):
    for backend in ("h5py", "tables"):
        h = H5SaverLowLevel(backend=backend)
        h.init_file(Path(out) / f"savers_{backend}.h5", new_file=True)
        s = DataToExportSaver(h)
        d1 = DataRaw("spec", data=[np.arange(10.) ** 2, np.ones(10)],
                     axes=[Axis("wl", "nm", data=np.linspace(500, 600, 10), index=0)],
                     labels=["a", "b"], errors=[np.ones(10) * .1, np.ones(10) * .2])
        d0 = DataRaw("pt", data=[np.array([1.5])], units="V")
        d2 = DataRaw("img", data=[np.arange(12, dtype=np.uint16).reshape(3, 4)],
                     axes=[Axis("y", "", data=np.array([0., 1., 4.]), index=0)])
        dte = DataToExport("dte", data=[d1, d0, d2])
        g = h.get_set_group("/RawData", "Det")
        s.add_data(g, dte)
        s.add_bkg(g, dte)
        es = DataToExportEnlargeableSaver(h, enl_axis_names=["t"], enl_axis_units=["s"])
        g2 = h.get_set_group("/RawData", "Enl")
        for i in range(3):
            es.add_data(g2, DataToExport("e", data=[DataRaw("x", data=[np.array([float(i)])])]), axis_values=[i * 0.5])
        h.add_log("hello")
        h.add_log("world é")
        h.close_file()

        path = Path(out) / f"scan_{backend}.h5"
        h = H5SaverLowLevel(backend=backend)
        h.init_file(path, new_file=True)
        sv = DataToExportExtendedSaver(h, extended_shape=(3, 2))
        g = h.get_set_group("/RawData", "Scan")
        sv.add_nav_axes(g, [Axis("x", "mm", data=np.array([0., 1., 3.]), index=0),
                            Axis("y", "mm", data=np.array([5., 6.]), index=1)])
        for i in range(3):
            for j in range(2):
                sv.add_data(g, DataToExport("d", data=[DataRaw("sp", data=[np.arange(4.) + i],
                                                               axes=[Axis("w", "", data=np.linspace(0, 1, 4), index=0)])]),
                            indexes=(i, j))
        sp = DataRaw("spread", distribution="spread", data=[np.arange(5.)], nav_indexes=(0,),
                     axes=[Axis("a", "", data=np.array([0., 2, 1, 5, 3]), index=0, spread_order=0),
                           Axis("b", "", data=np.array([1., 0, 4, 2, 3]), index=0, spread_order=1)])
        DataToExportSaver(h).add_data(h.get_set_group("/RawData", "Spread"), DataToExport("s", data=[sp]))
        es = DataToExportEnlargeableSaver(h, enl_axis_names=["t"], enl_axis_units=["s"])
        es.add_data(h.get_set_group("/RawData", "Empty"), DataToExport("e", data=[DataRaw("x", data=[np.array([1.])])]),
                    axis_values=[0.])
        h.close_file()
        with h5py.File(path, "a") as f:
            k = [x for x in f["RawData/Spread"]][0]
            del f[f"RawData/Spread/{k}/CH00/Data00"].attrs["CLASS"]   # an interrupted write
            f["RawData/Empty/NavAxes/Axis00"].resize((0,))            # an empty enlargeable axis


def arr(a):
    a = np.asarray(a)
    le = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"))
    return {"shape": list(a.shape), "dtype": a.dtype.name, "sha256": hashlib.sha256(le.tobytes()).hexdigest()}


def axis(a):
    d = a.get_data()
    return {"label": a.label, "units": a.units, "index": a.index, "spread_order": a.spread_order, "size": a.size,
            "linear": a._data is None, "values": [float(f"{v:.12g}") for v in d[:64]]}


def dwa(d):
    return {"name": d.name, "source": d.source.name, "dim": d.dim.name, "distribution": d.distribution.name,
            "shape": list(d.shape), "nav_indexes": list(d.nav_indexes), "sig_indexes": list(d.sig_indexes),
            "labels": list(d.labels), "units": d.units, "axes": [axis(a) for a in d.axes],
            "data": [arr(x) for x in d.data],
            "errors": None if d.errors is None else [arr(x) for x in d.errors], "extra": sorted(d.extra_attributes)}


def reference(h5):
    # PyMoDAQ opens in append mode to read a node missing CLASS: work on a copy.
    tmp = tempfile.mktemp(suffix=".h5")
    shutil.copy(h5, tmp)
    out = {"nodes": {}}
    with DataLoader(H5SaverLowLevel.from_file(tmp, mode="a")) as L:
        for n in sorted(L.walk_nodes("/"), key=lambda n: n.path):
            kind = n.attrs["data_type"] if "data_type" in n.attrs else None
            if kind in ("data", "data_enlargeable", "bkg", "error"):
                try:
                    e = {"dwa": dwa(L.load_data(n.path))}
                except Exception as ex:  # noqa: BLE001
                    e = {"error": type(ex).__name__}
                try:
                    e["bkg"] = dwa(L.load_data(n.path, with_bkg=True))
                except Exception as ex:  # noqa: BLE001
                    e["bkg"] = type(ex).__name__
                out["nodes"][n.path] = e
            elif kind == "axis":
                try:
                    out["nodes"][n.path] = {"axis": axis(L._axis_loader.load_axis(n.path))}
                except Exception as ex:  # noqa: BLE001
                    out["nodes"][n.path] = {"error": type(ex).__name__}
        try:
            out["load_all"] = [dwa(d) for d in L.load_all("/")]
        except Exception as ex:  # noqa: BLE001
            out["load_all"] = type(ex).__name__
    os.remove(tmp)
    return json.loads(json.dumps(out, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


def ours_dwa(d):
    return {"name": d["name"], "source": d["source"], "dim": d["dim"], "distribution": d["distribution"],
            "shape": d["shape"], "nav_indexes": d["nav_indexes"], "sig_indexes": d["sig_indexes"],
            "labels": d["labels"], "units": d["units"],
            "axes": [dict(label=a["label"], units=a["units"], index=a["index"], spread_order=a["spread_order"],
                          size=a["size"], linear=a["linear"], values=a["data"].get("values", a["data"].get("head")))
                     for a in d["axes"]],
            "data": [{k: x[k] for k in ("shape", "dtype", "sha256")} for x in d["data"]],
            "errors": None if d["errors"] is None else [{k: x[k] for k in ("shape", "dtype", "sha256")} for x in d["errors"]],
            "extra": sorted(d["extra_attributes"])}


def err_type(e):
    return e.split(":")[0] if isinstance(e, str) else e


def compare(outdir):
    bad, checked = [], 0
    for h5 in sorted(Path(outdir).glob("*.h5")):
        ours = json.load(open(h5.with_suffix(".ours.json")))
        ref = reference(h5)
        seen = set()
        for e in ours["data_nodes"]:
            r = ref["nodes"].get(e["path"])
            seen.add(e["path"])
            if r is None:
                bad.append(f"{h5.name}: {e['path']}: not a data node for PyMoDAQ")
                continue
            o = ours_dwa(e["dwa"]) if "dwa" in e else err_type(e.get("error"))
            rr = r.get("dwa", r.get("error"))
            if o != rr:
                bad.append(f"{h5.name}: {e['path']}: ours {o}\n    PyMoDAQ {rr}")
            if isinstance(r.get("bkg"), dict) and "dwa_with_bkg" in e:
                if ours_dwa(e["dwa_with_bkg"]) != r["bkg"]:
                    bad.append(f"{h5.name}: {e['path']} with_bkg differs")
            checked += 1
        for e in ours["axis_nodes"]:
            r = ref["nodes"].get(e["path"])
            seen.add(e["path"])
            a = e.get("axis")
            o = dict(label=a["label"], units=a["units"], index=a["index"], spread_order=a["spread_order"],
                     size=a["size"], linear=a["linear"], values=a["data"].get("values")) if a else err_type(e["error"])
            rr = (r or {}).get("axis", (r or {}).get("error"))
            if o != rr:
                bad.append(f"{h5.name}: axis {e['path']}: ours {o} PyMoDAQ {rr}")
            checked += 1
        missing = set(ref["nodes"]) - seen
        if missing:
            bad.append(f"{h5.name}: nodes PyMoDAQ loads that we do not list: {sorted(missing)}")
        la, rla = ours["load_all"], ref["load_all"]
        if isinstance(rla, str) or isinstance(la, dict):
            if not (isinstance(rla, str) and isinstance(la, dict) and err_type(la.get("error")) == rla):
                bad.append(f"{h5.name}: load_all ours {la} PyMoDAQ {rla}")
        else:
            if [ours_dwa(x) for x in la] != rla:
                bad.append(f"{h5.name}: load_all differs")
        checked += 1
    print(f"checked {checked} entries, {len(bad)} differences")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    cmd, outdir = sys.argv[1], sys.argv[2]
    if cmd == "gen":
        gen(outdir)
    else:
        sys.exit(compare(outdir))
