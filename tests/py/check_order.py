"""Check member and attribute order, and links, of a file (tests/write_track_order.rs).

Usage: check_order.py FILE.h5 EXPECT.json. EXPECT holds
  "groups": [{"path", "members": [...]}]: h5py lists exactly these members in this order;
  "attrs": [{"path", "names": [...]}]: h5py lists exactly these attribute names in order;
  "soft": [{"path", "target"}], "external": [{"path", "file", "target"}]: links as found;
  "values": [{"path", "name", "value"}]: integer attribute values.
Checked by h5py normally and (superblock v3) with swmr=True. Prints "ok".
"""
import json
import sys

import h5py

path, exp_path = sys.argv[1], sys.argv[2]
with open(exp_path) as fh:
    exp = json.load(fh)

modes = [False]
with h5py.File(path, "r") as f:
    if f.id.get_create_plist().get_version()[0] == 3:
        modes.append(True)
for swmr in modes:
    with h5py.File(path, "r", swmr=swmr) as f:
        for g in exp.get("groups", []):
            got = list(f[g["path"]].keys())
            if got != g["members"]:
                sys.exit(f"swmr={swmr} {g['path']}: members {got[:30]} != {g['members'][:30]}")
        for a in exp.get("attrs", []):
            got = list(f[a["path"]].attrs.keys())
            if got != a["names"]:
                sys.exit(f"swmr={swmr} {a['path']}: attrs {got} != {a['names']}")
        for s in exp.get("soft", []):
            link = f.get(s["path"], getlink=True)
            if not isinstance(link, h5py.SoftLink) or link.path != s["target"]:
                sys.exit(f"{s['path']}: {link!r}")
        for e in exp.get("external", []):
            link = f.get(e["path"], getlink=True)
            if not isinstance(link, h5py.ExternalLink) or (link.filename, link.path) != (
                e["file"],
                e["target"],
            ):
                sys.exit(f"{e['path']}: {link!r}")
        for v in exp.get("values", []):
            got = int(f[v["path"]].attrs[v["name"]])
            if got != v["value"]:
                sys.exit(f"{v['path']}@{v['name']}: {got} != {v['value']}")
print("ok")
