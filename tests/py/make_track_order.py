"""Write an h5py file with creation-ordered (track_order) and plain link groups, for
tests/write_track_order.rs. Usage: make_track_order.py OUT.h5 LIBVER (earliest | latest).

  /t   track_order, compact: groups z, a, m, soft link "soft" -> /t/a, external link "ext",
       attributes zz, aa (compact, creation order tracked)
  /td  track_order, dense: groups n11 .. n0, soft "s", external "e"; attributes a9 .. a0
       (dense, creation-order index)
  /u   plain group: groups p11 .. p0 and soft link "s" (dense links with libver latest,
       a symbol table otherwise)
The root tracks creation order (File(track_order=True)).
"""
import sys

import h5py

out, libver = sys.argv[1], sys.argv[2]
with h5py.File(out, "w", libver=libver, track_order=True) as f:
    t = f.create_group("t", track_order=True)
    for n in ["z", "a", "m"]:
        t.create_group(n)
    t["soft"] = h5py.SoftLink("/t/a")
    t["ext"] = h5py.ExternalLink("other.h5", "/x")
    t.attrs["zz"] = 1
    t.attrs["aa"] = 2
    td = f.create_group("td", track_order=True)
    for i in range(12):
        td.create_group(f"n{11 - i}")
    td["s"] = h5py.SoftLink("/td/n0")
    td["e"] = h5py.ExternalLink("other.h5", "/y")
    for i in range(10):
        td.attrs[f"a{9 - i}"] = i
    u = f.create_group("u", track_order=False)
    for i in range(12):
        u.create_group(f"p{11 - i}")
    u["s"] = h5py.SoftLink("/u/p0")
