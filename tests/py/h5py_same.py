"""Rewrite FILE as h5py writes it (same groups, attributes, data, chunk shapes and filters),
to compare file sizes. Usage: h5py_same.py SRC DST [LIBVER]; prints both sizes and the ratio.
LIBVER (h5py's libver, e.g. latest) defaults to h5py's default."""
import sys, h5py, os
src, dst = sys.argv[1], sys.argv[2]
libver = sys.argv[3] if len(sys.argv) > 3 else None
with h5py.File(src, "r") as f, h5py.File(dst, "w", libver=libver) as g:
    for k, v in f.attrs.items(): g.attrs[k] = v
    def visit(name, o):
        if isinstance(o, h5py.Group):
            grp = g.require_group(name)
        else:
            kw = {}
            if o.chunks:
                kw = dict(chunks=o.chunks, maxshape=o.maxshape)
                if o.compression: kw.update(compression=o.compression, compression_opts=o.compression_opts, shuffle=o.shuffle)
            grp = g.create_dataset(name, data=o[()], **kw)
        for k, v in o.attrs.items(): grp.attrs[k] = v
    f.visititems(visit)
print(os.path.getsize(src), os.path.getsize(dst), f"{os.path.getsize(src)/os.path.getsize(dst)-1:+.1%}")
