//! `plot`: the images decoded (size, not blank, series counted by their palette colours, colour
//! bar present) and the SVG curves checked against the data (point count, position of the
//! extremes) for 1-D data, channels overlaid with error bars, 2-D images, scans summed over
//! their navigation axes, 0-D scans drawn as maps; errors and the overwrite rule.

mod common;

use common::pmd;

use std::process::Output;

use pymodaq_h5::hdf5::read::{File, Node};

const PALETTE: [(u8, u8, u8); 3] = [(31, 119, 180), (255, 127, 14), (44, 160, 44)];
const VIRIDIS_LO: (u8, u8, u8) = (68, 1, 84);
const VIRIDIS_HI: (u8, u8, u8) = (253, 231, 37);

fn plot(file: &str, node: &str, out: &std::path::Path, extra: &[&str]) -> Output {
    common::bin()
        .args(["plot", file, node, "-o"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// [`plot`], which must succeed (its error output in the failure).
fn plot_ok(file: &str, node: &str, out: &std::path::Path, extra: &[&str]) -> Output {
    let o = plot(file, node, out, extra);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

struct Img {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

impl Img {
    fn load(p: &std::path::Path) -> Img {
        let dec = png::Decoder::new(std::fs::File::open(p).unwrap());
        let mut r = dec.read_info().unwrap();
        let mut px = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut px).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        px.truncate(info.buffer_size());
        Img {
            w: info.width,
            h: info.height,
            px,
        }
    }
    fn at(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = ((y * self.w + x) * 3) as usize;
        (self.px[i], self.px[i + 1], self.px[i + 2])
    }
    fn count(&self, c: (u8, u8, u8), x0: u32) -> usize {
        (0..self.h)
            .flat_map(|y| (x0..self.w).map(move |x| (x, y)))
            .filter(|&(x, y)| self.at(x, y) == c)
            .count()
    }
    fn distinct(&self, x0: u32) -> usize {
        let mut s = std::collections::HashSet::new();
        for y in 0..self.h {
            for x in x0..self.w {
                s.insert(self.at(x, y));
            }
        }
        s.len()
    }
}

/// The palette colours drawn (more than a legend's worth of pixels each).
fn series_in(img: &Img) -> usize {
    PALETTE.iter().filter(|&&c| img.count(c, 0) > 150).count()
}

/// A colour bar: the strip right of the plot holds both viridis ends and a gradient.
fn has_colour_bar(img: &Img) -> bool {
    let x0 = img.w - 110;
    img.count(VIRIDIS_LO, x0) > 20 && img.count(VIRIDIS_HI, x0) > 20 && img.distinct(x0) > 100
}

/// The polylines of a series colour in an SVG: (number of polylines, their points).
fn polylines(svg: &str, colour: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{colour}\"")))
        .map(|p| {
            let pts = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            pts.split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

fn read(file: &str, node: &str) -> (Vec<f64>, Vec<u64>) {
    let f = File::open(file).unwrap();
    let Node::Dataset(d) = f.get(node).unwrap() else {
        panic!()
    };
    (d.read::<f64>().unwrap(), d.shape().to_vec())
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap()
}

#[test]
fn one_d_lines_channels_and_error_bars() {
    let dir = common::temp_dir("cli-plot-1d");
    let out = dir.join("a.png");
    plot_ok(
        &pmd("pt_dte.h5"),
        "/RawData/Detector000/Data1D/CH00/Data00",
        &out,
        &[],
    );
    let img = Img::load(&out);
    assert_eq!((img.w, img.h), (1000, 650));
    assert!(img.distinct(0) > 20, "blank");
    assert_eq!(series_in(&img), 1);

    // Two channels with error bars (PyMoDAQ loads the group's arrays together).
    let out = dir.join("b.png");
    let node = "/RawData/Detector000/Data1D/Data00";
    let o = plot_ok(&pmd("pt_lowlevel.h5"), node, &out, &["--size", "800x500"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("wrote {} (2 line(s))\n", out.display())
    );
    let img = Img::load(&out);
    assert_eq!((img.w, img.h), (800, 500));
    assert_eq!(series_in(&img), 2);

    // The SVG: each series one curve with a point per value plus its legend line; the curve's
    // highest point (smallest y pixel) is the data's maximum.
    let svg_path = dir.join("b.svg");
    assert_eq!(
        plot(&pmd("pt_lowlevel.h5"), node, &svg_path, &[])
            .status
            .code(),
        Some(0)
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    for (k, (colour, data)) in [("#1F77B4", "Data00"), ("#FF7F0E", "Data01")]
        .iter()
        .enumerate()
    {
        let lines = polylines(&svg, colour);
        assert_eq!(lines.len(), 2, "series {k}: curve + legend");
        let (v, _) = read(
            &pmd("pt_lowlevel.h5"),
            &format!("/RawData/Detector000/Data1D/{data}"),
        );
        let curve = &lines[0];
        assert_eq!(curve.len(), v.len());
        let top = (0..curve.len())
            .min_by(|&a, &b| curve[a].1.total_cmp(&curve[b].1))
            .unwrap();
        assert_eq!(top, argmax(&v), "series {k}");
        // x increases with the axis.
        assert!(curve.windows(2).all(|w| w[1].0 >= w[0].0));
    }
}

#[test]
fn images_scans_and_maps() {
    let dir = common::temp_dir("cli-plot-2d");
    // 2-D: an image with a colour bar, no line colours.
    let out = dir.join("img.png");
    plot_ok(
        &pmd("h5py_dte.h5"),
        "/RawData/Detector000/Data2D/CH00/Data00",
        &out,
        &[],
    );
    let img = Img::load(&out);
    assert!(has_colour_bar(&img));
    assert_eq!(series_in(&img), 0);

    // A 1-D signal scanned over 3x4 points: the sum over the navigation axes, one curve whose
    // maximum is where the summed data's is.
    let node = "/RawData/Scan000/Detector000/Data1D/CH00/Data00";
    let svg_path = dir.join("sum.svg");
    plot_ok(&pmd("pt_extended.h5"), node, &svg_path, &[]);
    let (v, shape) = read(&pmd("pt_extended.h5"), node);
    let n = shape[2] as usize;
    let mut sum = vec![0.0; n];
    for (i, x) in v.iter().enumerate() {
        sum[i % n] += x;
    }
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let lines = polylines(&svg, "#1F77B4");
    assert_eq!(lines[0].len(), n);
    let top = (0..n)
        .min_by(|&a, &b| lines[0][a].1.total_cmp(&lines[0][b].1))
        .unwrap();
    assert_eq!(top, argmax(&sum));
    // One navigation position: that spectrum.
    plot_ok(
        &pmd("pt_extended.h5"),
        node,
        &dir.join("at.svg"),
        &["--at", "2,1"],
    );
    let svg = std::fs::read_to_string(dir.join("at.svg")).unwrap();
    let lines = polylines(&svg, "#1F77B4");
    let at: Vec<f64> = v[(2 * 4 + 1) * n..(2 * 4 + 2) * n].to_vec();
    let top = (0..n)
        .min_by(|&a, &b| lines[0][a].1.total_cmp(&lines[0][b].1))
        .unwrap();
    assert_eq!(top, argmax(&at));
    let o = plot(
        &pmd("pt_extended.h5"),
        node,
        &dir.join("bad.svg"),
        &["--at", "9,0"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("out of range"));

    // 0-D data of a 3x4 scan: a map over the two navigation axes.
    let out = dir.join("map.png");
    let o = plot_ok(
        &pmd("h5py_extended.h5"),
        "/RawData/Scan000/Detector000/Data0D/CH00/Data00",
        &out,
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("wrote {} (4x3 image)\n", out.display())
    );
    assert!(has_colour_bar(&Img::load(&out)));
}

#[test]
fn refusals() {
    let dir = common::temp_dir("cli-plot-err");
    let node = "/RawData/Detector000/Data1D/CH00/Data00";
    let o = plot(&pmd("pt_dte.h5"), node, &dir.join("x.jpg"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("use a .png or .svg file name"));
    let out = dir.join("x.png");
    std::fs::write(&out, b"keep").unwrap();
    let o = plot(&pmd("pt_dte.h5"), node, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep");
    assert_eq!(
        plot(&pmd("pt_dte.h5"), node, &out, &["--force"])
            .status
            .code(),
        Some(0)
    );
    let plain = common::root().join("fixtures/hdf5/h5py_default_types.h5");
    let o = plot(&plain.to_string_lossy(), "/x", &dir.join("y.png"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a PyMoDAQ file"));
    // Nothing but the replaced file is left (no temporary files).
    assert_eq!(std::fs::read_dir(&*dir).unwrap().count(), 1);
}

/// `show` and `plot` of plain HDF5 datasets (no PyMoDAQ attributes, any file): `show` gives
/// min/max/mean equal to numpy's for every numeric dataset of two h5py files (big-endian,
/// float16, chunked and filtered ones among them), says "not numbers" for the others; a 3-D
/// array is shown and plotted at a position of its leading dimension or summed over it, drawn
/// against its indexes.
#[test]
fn plain_hdf5_datasets_are_shown_and_plotted_against_their_indexes() {
    let show = |file: &str, node: &str, extra: &[&str]| -> String {
        let o = common::bin()
            .args(["show", file, node])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{node}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let stat = |text: &str, what: &str| -> f64 {
        let v = text
            .split(&format!("{what} "))
            .nth(1)
            .unwrap_or_else(|| panic!("no {what} in {text}"));
        v.split([',', '\n']).next().unwrap().trim().parse().unwrap()
    };
    let close = |a: f64, b: f64| {
        a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-5 * b.abs().max(1e-300)
    };
    if let Some(py) = common::python() {
        let mut checked = 0;
        for name in ["h5py_default_types.h5", "h5py_default_layouts.h5"] {
            let f = common::root().join("fixtures/hdf5").join(name);
            let f = f.to_string_lossy().into_owned();
            // numpy's view of every dataset: numeric (min, max, mean over non-NaN) or not.
            let out = std::process::Command::new(&py)
                .args([
                    "-c",
                    r#"
import sys, h5py, numpy as np
def visit(n, o):
    if not isinstance(o, h5py.Dataset) or 'data_type' in o.attrs:
        return
    try:
        v = o[()]
    except Exception:
        return
    if isinstance(v, h5py.Empty) or np.asarray(v).size == 0:
        print('E', '/' + n)
        return
    v = np.asarray(v)
    if v.dtype.kind in 'iufb' and v.dtype.fields is None and v.size:
        x = v.astype(np.float64).ravel()
        x = x[~np.isnan(x)]
        if x.size:
            print('N', '/' + n, repr(float(x.min())), repr(float(x.max())), repr(float(x.mean())))
    elif v.dtype.kind in 'SOUV':
        print('S', '/' + n)
h5py.File(sys.argv[1], 'r').visititems(visit)
"#,
                    &f,
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            for line in String::from_utf8(out.stdout).unwrap().lines() {
                let p: Vec<&str> = line.split(' ').collect();
                let text = show(&f, p[1], &[]);
                assert!(
                    text.contains("plain HDF5 dataset (not PyMoDAQ data): "),
                    "{text}"
                );
                if p[0] == "E" {
                    assert!(text.contains("values: none (empty)"), "{}: {text}", p[1]);
                    continue;
                }
                if p[0] == "S" {
                    assert!(text.contains("values: not numbers"), "{}: {text}", p[1]);
                    continue;
                }
                // The mean of values summing to about 0 is compared at the values' scale.
                let scale: f64 = p[2]
                    .parse::<f64>()
                    .unwrap()
                    .abs()
                    .max(p[3].parse::<f64>().unwrap().abs());
                for (what, theirs) in [("min", p[2]), ("max", p[3]), ("mean", p[4])] {
                    let theirs: f64 = theirs.parse().unwrap();
                    let ours = stat(&text, what);
                    let ok = close(ours, theirs)
                        || (what == "mean" && (ours - theirs).abs() <= 1e-9 * scale);
                    assert!(ok, "{name} {}: {what} {ours} vs numpy {theirs}", p[1]);
                }
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} numeric datasets compared");
    }

    // A 3-D array written by our writer: value at (i, j, k) = 100 i + 10 j + k.
    use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, WriteOptions, Writer};
    let dir = common::temp_dir("cli-plot-plain");
    let path = dir.join("cube.h5");
    {
        let mut w = Writer::create(&path, WriteOptions::default()).unwrap();
        let ds = w
            .create_dataset("/cube", DatasetBuilder::new(Dtype::F64).shape(&[4, 5, 6]))
            .unwrap();
        let v: Vec<f64> = (0..4)
            .flat_map(|i| {
                (0..5).flat_map(move |j| (0..6).map(move |k| (100 * i + 10 * j + k) as f64))
            })
            .collect();
        w.write(&ds, &v).unwrap();
        w.close().unwrap();
    }
    let p = path.to_string_lossy().into_owned();
    let text = show(&p, "/cube", &["--at", "2"]);
    assert!(text.contains("(4, 5, 6) float64"), "{text}");
    assert!(text.contains("at position [2]: shape (5, 6)"), "{text}");
    assert_eq!(
        (stat(&text, "min"), stat(&text, "max")),
        (200.0, 245.0),
        "{text}"
    );
    assert_eq!(stat(&text, "mean"), 222.5, "{text}");
    let text = show(&p, "/cube", &["--at", "3,4"]);
    assert_eq!(
        (stat(&text, "min"), stat(&text, "max")),
        (340.0, 345.0),
        "{text}"
    );
    let text = show(&p, "/cube", &[]);
    assert_eq!(
        (stat(&text, "min"), stat(&text, "max")),
        (0.0, 345.0),
        "{text}"
    );
    // Out of range or too many indexes: one line, exit 1.
    for at in ["4", "1,2,3"] {
        let o = common::bin()
            .args(["show", &p, "/cube", "--at", at])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "--at {at}");
        assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    }
    // plot: the 2-D position as a 6x5 image, the sum over the leading dimension too, one row
    // of it as a line.
    let png = dir.join("c.png");
    let o = plot_ok(&p, "/cube", &png, &["--at", "1"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("wrote {} (6x5 image)\n", png.display())
    );
    assert!(has_colour_bar(&Img::load(&png)));
    let o = plot_ok(&p, "/cube", &png, &["--force"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("wrote {} (6x5 image)\n", png.display())
    );
    let svg = dir.join("l.svg");
    let o = plot_ok(&p, "/cube", &svg, &["--at", "3,4"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("wrote {} (1 line(s))\n", svg.display())
    );
    let s = std::fs::read_to_string(&svg).unwrap();
    let lines = polylines(&s, "#1F77B4");
    // The curve (the legend's sample is a 2-point line): 6 points rising left to right.
    let curve = &lines[0];
    assert_eq!(curve.len(), 6, "{lines:?}");
    assert!(
        curve.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 < w[0].1),
        "{curve:?}"
    );
    // A group or a missing node of a plain file: what show and plot take.
    let plain = common::root().join("fixtures/hdf5/h5py_default_layouts.h5");
    for node in ["/chunked", "/nope"] {
        let o = plot(&plain.to_string_lossy(), node, &dir.join("z.png"), &[]);
        assert_eq!(o.status.code(), Some(1));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains("`show` and `plot` take any numeric dataset"),
            "{e}"
        );
    }
}

/// A group (`Data1D`, a detector): the 1-D channels under it overlaid, one series per array
/// (the issue's "several arrays and channels overlaid"), each against its own axis; a group
/// whose channels are images or maps is refused in one line.
#[test]
fn channels_of_a_group_are_overlaid() {
    let dir = common::temp_dir("cli-plot-overlay");
    let file = pmd("pmd44_pt_modules.h5");
    let svg_path = dir.join("o.svg");
    let o = plot_ok(&file, "/RawData/Detector000/Data1D", &svg_path, &[]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("wrote {} (2 line(s))\n", svg_path.display())
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    for (k, (colour, data)) in [("#1F77B4", "CH00/Data00"), ("#FF7F0E", "CH01/Data00")]
        .iter()
        .enumerate()
    {
        let lines = polylines(&svg, colour);
        assert_eq!(lines.len(), 2, "series {k}: curve + legend");
        let (v, _) = read(&file, &format!("/RawData/Detector000/Data1D/{data}"));
        assert_eq!(lines[0].len(), v.len(), "series {k}");
        let top = (0..v.len())
            .min_by(|&a, &b| lines[0][a].1.total_cmp(&lines[0][b].1))
            .unwrap();
        assert_eq!(top, argmax(&v), "series {k}");
    }
    // Legend: each series named by its channel.
    assert!(
        svg.contains("fit: CH00") && svg.contains("trace: CH00"),
        "legend"
    );
    let png = dir.join("o.png");
    plot_ok(&file, "/RawData/Detector000/Data1D", &png, &[]);
    assert_eq!(series_in(&Img::load(&png)), 2);
    // Images are not overlaid.
    let o = plot(
        &pmd("pt_extended.h5"),
        "/RawData/Scan000/Detector000/Data0D",
        &dir.join("m.png"),
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("not drawn as lines"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!dir.join("m.png").exists());
}
