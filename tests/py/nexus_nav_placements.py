"""Where could NeXus hints put a scan's navigation axes so h5web plots against them, while
PyMoDAQ loads the file exactly as before? The evidence behind spec/cli.md ("Navigation axes").

h5web (and the NeXus rule) resolve `signal` and each `axes` entry as a direct child of the
NXdata group, so plotting a scan against its navigation axes needs the axes (a link or a copy)
beside the signal, or a view group holding links to both. This script writes each candidate
placement into a copy of a PyMoDAQ scan, loads original and copy through PyMoDAQ and reports
what differs.

Usage:
  nexus_nav_placements.py build FIXTURE_DIR OUT_DIR       (h5py) writes OUT_DIR/VARIANT__FIXTURE.h5
  nexus_nav_placements.py load BACKEND FILE...            PyMoDAQ's view of each file (JSON list)
  nexus_nav_placements.py matrix FIXTURE_DIR OUT_DIR [PY44]
      builds, loads with pymodaq_data 5.x (tables and h5py backends; PyMoDAQ 4.4's tables
      backend through PY44 when given) and prints {variant: {backend: "equal" | [what differs]}}.

PyMoDAQ's view of a file: the load-json document of fixtures/gen/pymodaq_load.py (tree,
load_data of every data node, load_axis of every axis, DataLoader.load_all('/'); NeXus hint
attributes set aside), plus H5Backend.walk_nodes('/') and get_children of every group.
"""
import json
import logging
import os
import shutil
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures", "gen"))

FIXTURES = ["pt_extended", "h5py_extended"]
CH = "/RawData/Scan000/Detector000/Data1D/CH00"
NAV = "/RawData/Scan000/NavAxes"
VARIANTS = [
    "soft_visible",  # soft links beside the signal (the first attempt)
    "soft_hidden",  # the same under PyTables-hidden names (^_[pi]_)
    "hard_hidden",  # hard links, hidden names
    "copy_visible",  # copies of the axis values, CLASS but no data_type (AXISNAME_indices rule)
    "copy_hidden",  # the same, hidden names
    "copy_hidden_noclass",  # hidden copies without CLASS
    "root_visible_hard",  # NXentry/NXdata view at the root, hard links to signal and axes
    "root_hidden_hard",  # the same view under a hidden name
    "root_hidden_soft",  # the hidden view with soft links
]
HINTS = {"NX_class", "signal", "axes", "auxiliary_signals", "default", "long_name"}


def build(fixture_dir, out_dir):
    import h5py
    import numpy as np

    s = np.bytes_
    os.makedirs(out_dir, exist_ok=True)

    def nxdata(g, axes):
        g.attrs["NX_class"] = s("NXdata")
        g.attrs["signal"] = s("Data00")
        g.attrs["axes"] = np.array([s(a) for a in axes])
        for dim, a in enumerate(axes):
            g.attrs[a + "_indices"] = np.int64(dim)

    out = []
    for fx in FIXTURES:
        for v in VARIANTS:
            path = os.path.join(out_dir, f"{v}__{fx}.h5")
            shutil.copyfile(os.path.join(fixture_dir, fx + ".h5"), path)
            with h5py.File(path, "r+") as f:
                ch, nav = f[CH], f[NAV]
                if v.startswith(("soft", "hard", "copy")):
                    pre = "nav_" if v.endswith("visible") else "_i_nav_"
                    names = []
                    for n in ("Axis00", "Axis01"):
                        name = pre + n
                        names.append(name)
                        if v.startswith("hard"):
                            ch[name] = nav[n]
                        elif v.startswith("soft"):
                            ch[name] = h5py.SoftLink(f"{NAV}/{n}")
                        else:
                            d = ch.create_dataset(name, data=nav[n][()])
                            d.attrs["long_name"] = s(n)
                            if not v.endswith("noclass"):
                                d.attrs["CLASS"] = s("CARRAY")
                    nxdata(ch, names + ["Axis00"])
                else:
                    top_name = "_i_nexus" if "hidden" in v else "nexus"
                    top = f.create_group(top_name)
                    top.attrs["CLASS"] = s("GROUP")
                    top.attrs["NX_class"] = s("NXentry")
                    view = top.create_group("CH00")
                    view.attrs["CLASS"] = s("GROUP")
                    link = (lambda p: h5py.SoftLink(p)) if v.endswith("soft") else (lambda p: f[p])
                    view["Data00"] = link(f"{CH}/Data00")
                    view["Axis00"] = link(f"{CH}/Axis00")
                    view["nav_Axis00"] = link(f"{NAV}/Axis00")
                    view["nav_Axis01"] = link(f"{NAV}/Axis01")
                    nxdata(view, ["nav_Axis00", "nav_Axis01", "Axis00"])
                    f.attrs["default"] = s(top_name)
                    top.attrs["default"] = s("CH00")
            out.append(path)
    return out


def err(e):
    return f"{type(e).__name__}: {e}"


def view(path, backend):
    """PyMoDAQ's view of `path` through `backend` (never raises: errors are values)."""
    import pymodaq_load
    from pathlib import Path

    res = {}
    try:
        doc, _ = pymodaq_load.build(path, True, backend, [])
        doc.pop("file", None)
        for e in doc["tree"]:
            if "attrs" in e:
                e["attrs"] = {
                    k: v for k, v in e["attrs"].items() if k not in HINTS and not k.endswith("_indices")
                }
        res["load_json"] = doc
    except Exception as e:  # noqa: BLE001
        res["load_json"] = err(e)
    try:
        from pymodaq_data.h5modules.saving import H5SaverLowLevel

        saver = H5SaverLowLevel(backend=backend)
        saver.init_file(Path(path), mode="r")
        copy_dir = None
    except ImportError:  # PyMoDAQ 4.4 opens in append mode: on a copy
        import tempfile

        from pymodaq.utils.h5modules.saving import H5SaverLowLevel

        copy_dir = tempfile.mkdtemp(prefix="nav_placements44_")
        copy = Path(copy_dir) / "c.h5"
        shutil.copyfile(path, copy)
        saver = H5SaverLowLevel(backend=backend)
        saver.init_file(copy)
    try:
        try:
            res["walk_nodes"] = [n.path for n in saver.walk_nodes("/")]
        except Exception as e:  # noqa: BLE001
            res["walk_nodes"] = err(e)
        try:
            res["get_children"] = {
                g.path: sorted(saver.get_children(g)) for g in saver.walk_groups("/")
            }
        except Exception as e:  # noqa: BLE001
            res["get_children"] = err(e)
    finally:
        saver.close_file()
        if copy_dir:
            shutil.rmtree(copy_dir, ignore_errors=True)
    return res


def load(backend, files):
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    real, sys.stdout = sys.stdout, sys.stderr  # PyMoDAQ prints
    try:
        docs = [view(p, backend) for p in files]
    finally:
        sys.stdout = real
    return docs


def differs(a, b):
    """The top-level parts of two views that differ (and the load_json sections)."""
    out = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if k == "load_json" and isinstance(x, dict) and isinstance(y, dict):
            out += [f"load_json.{s}" for s in sorted(set(x) | set(y)) if x.get(s) != y.get(s)]
        elif x != y:
            out.append(k if not isinstance(y, str) else f"{k} ({y[:90]})")
    return out


def matrix(fixture_dir, out_dir, py44=None):
    files = build(fixture_dir, out_dir)
    originals = [os.path.join(fixture_dir, fx + ".h5") for fx in FIXTURES]
    runs = {}
    for backend in ("tables", "h5py"):
        runs[backend] = load(backend, originals + files)
    if py44:
        out = subprocess.run(
            [py44, os.path.abspath(__file__), "load", "tables", *originals, *files],
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        if out.returncode != 0:
            raise SystemExit(f"PyMoDAQ 4.4: {out.stderr[-2000:]}")
        runs["4.4 tables"] = json.loads(out.stdout)
    result = {}
    for v in VARIANTS:
        result[v] = {}
        for backend, docs in runs.items():
            diffs = set()
            for i, fx in enumerate(FIXTURES):
                orig = docs[i]
                new = docs[len(FIXTURES) + files.index(os.path.join(out_dir, f"{v}__{fx}.h5"))]
                diffs.update(differs(orig, new))
            result[v][backend] = sorted(diffs) or "equal"
    return result


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "build" and len(sys.argv) == 4:
        print("\n".join(build(sys.argv[2], sys.argv[3])))
    elif cmd == "load" and len(sys.argv) >= 4:
        print(json.dumps(load(sys.argv[2], sys.argv[3:]), default=str))
    elif cmd == "matrix" and len(sys.argv) in (4, 5):
        m = matrix(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
        print(json.dumps(m, indent=1))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
