"""What PyMoDAQ itself gives for the CLI's human views (tests/cli_browse.rs).

attrs FILE NODE...: for each node, `## NODE` then `name = str(value)` for every attribute as
  PyMoDAQ's backend decodes it (`backends.get_attr`); settings XML rendered as an indented
  `name "title" (type) = value` tree (ElementTree), the CLI's format.
show FILE NODE [bkg]: `DataLoader.load_data` then one line per array and per axis, numpy's
  nanmin/nanmax/nanmean with C's %g.
"""
import logging
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

logging.disable(logging.CRITICAL)
from pymodaq_data.h5modules import backends as bk  # noqa: E402
from pymodaq_data.h5modules.data_saving import DataLoader  # noqa: E402
from pymodaq_data.h5modules.saving import H5SaverLowLevel  # noqa: E402


def open_saver(path):
    import h5py

    with h5py.File(path, "r") as f:
        backend = "tables" if "PYTABLES_FORMAT_VERSION" in f.attrs else "h5py"
    s = H5SaverLowLevel(backend=backend)
    s.init_file(Path(path), mode="r")
    return s, backend


def xml_lines(el, depth, out):
    name = el.tag
    ty = el.get("type", "")
    title = el.get("title")
    title = f' "{title}"' if title is not None and title != name else ""
    pad = "  " * depth
    kids = list(el)
    if ty == "group" or kids:
        out.append(f"{pad}{name}{title} (group)")
        for k in kids:
            xml_lines(k, depth + 1, out)
    else:
        ty = f" ({ty})" if ty else ""
        out.append(f"{pad}{name}{title}{ty} = {(el.text or '').strip()}")


def attrs(path, nodes):
    s, backend = open_saver(path)
    for node in nodes:
        print(f"## {node}")
        raw = s.h5file.get_node(node) if backend == "tables" else s.h5file[node]
        names = raw._v_attrs._v_attrnames if backend == "tables" else list(raw.attrs.keys())
        values = bk.get_attr(raw, None, backend)
        for k in names:
            v = values[k]
            text = v.decode() if isinstance(v, bytes) else str(v)
            if text.lstrip().startswith("<"):
                root = ET.fromstring(text.strip())
                lines = []
                for c in root:
                    xml_lines(c, 0, lines)
                if not lines:
                    lines = [f"{root.tag} (empty)"]
                print(f"{k} =")
                for line in lines:
                    print(f"  {line}")
            else:
                print(f"{k} = {text}")
    s.close_file()


def show(path, node, with_bkg):
    s, _ = open_saver(path)
    d = DataLoader(s).load_data(node, with_bkg=with_bkg)
    for lab, a in zip(d.labels, d.data):
        a = np.asarray(a, dtype=float)
        nan = int(np.isnan(a).sum())
        extra = f", {nan} NaN (not measured)" if nan else ""
        print(f"    {lab}: min {np.nanmin(a):g}, max {np.nanmax(a):g}, mean {np.nanmean(a):g}{extra}")
    for ax in d.axes:
        lab = f"{ax.label} ({ax.units})" if ax.units else ax.label
        print(f"    [{ax.index}] {lab}: {ax.size} values")
    print(f"shape {tuple(d.shape)} dim {d.dim.name} distribution {d.distribution.name}")
    s.close_file()


if __name__ == "__main__":
    if sys.argv[1] == "attrs":
        attrs(sys.argv[2], sys.argv[3:])
    else:
        show(sys.argv[2], sys.argv[3], len(sys.argv) > 4)
