//! Drawing a [`Plot`] with plotters (pure Rust; text from the DejaVu Sans font embedded in the
//! binary, `assets/fonts/`): lines with legend and error bars, images and scatter plots with a
//! colour bar. PNG through the bitmap backend, SVG through the SVG backend.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The font, embedded: no font lookup on the machine (a lab PC may have none; font-kit would
/// link C libraries).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// One curve.
pub struct Series {
    pub name: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub err: Option<Vec<f64>>,
}

/// What to draw.
pub enum Plot {
    Lines(Lines),
    /// `z[iy * x.len() + ix]`; `x`, `y` the pixel centres.
    Image(Field),
    /// One point per `(x[i], y[i])`, coloured by `z[i]`.
    Scatter(Field),
}

/// Curves over one x axis, with a legend.
pub struct Lines {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

/// Values `z` over `(x, y)`, drawn with a colour bar.
pub struct Field {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub z_label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub z: Vec<f64>,
}

/// The series colours, in order (matplotlib's tab10): tests count series by them.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// Viridis, sampled: value in [0, 1] to a colour.
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let p = t * (STOPS.len() - 1) as f64;
    let i = (p.floor() as usize).min(STOPS.len() - 2);
    let f = p - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

macro_rules! d {
    ($e:expr) => {
        $e.map_err(|e| anyhow::anyhow!("drawing: {e}"))?
    };
}

/// Draw `p` to `path` (PNG or SVG by `svg`), `size` in pixels.
pub fn draw(p: &Plot, path: &Path, svg: bool, size: (u32, u32)) -> anyhow::Result<()> {
    register_font();
    if svg {
        let root = SVGBackend::new(path, size).into_drawing_area();
        draw_on(p, &root)?;
        d!(root.present());
    } else {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        draw_on(p, &root)?;
        d!(root.present());
    }
    Ok(())
}

/// Tick labels as C's `%g` (`5e-07`, `0.25`, `1.5e+06`): tiny axis steps stay readable. Ticks
/// computed as sums carry float noise (0.30000000000000004, 2.2e-16 for 0): 6 digits drop the
/// first, and a value below a billionth of the span is 0.
fn ticker((lo, hi): (f64, f64)) -> impl Fn(&f64) -> String {
    let eps = (hi - lo).abs() * 1e-9;
    move |v: &f64| {
        if v.abs() <= eps {
            "0".into()
        } else {
            crate::pmd::g6(*v)
        }
    }
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// The frame every plot shares: caption, margins, axis descriptions, tick labels (and the
/// mesh lines unless `mesh` is false).
fn framed<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    xr: (f64, f64),
    yr: (f64, f64),
    mesh: bool,
) -> anyhow::Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let mut chart = d!(ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1));
    let (tx, ty) = (ticker(xr), ticker(yr));
    let mut style = chart.configure_mesh();
    if !mesh {
        style.disable_mesh();
    }
    d!(style
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&tx)
        .y_label_formatter(&ty)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw());
    Ok(chart)
}

fn draw_on<DB: DrawingBackend>(p: &Plot, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
    d!(root.fill(&WHITE));
    match p {
        Plot::Lines(Lines {
            title,
            x_label,
            y_label,
            series,
        }) => {
            let xr = range(series.iter().flat_map(|s| s.x.iter().copied()));
            let yr = padded(range(series.iter().flat_map(|s| {
                let e = s.err.as_deref();
                s.y.iter().enumerate().flat_map(move |(i, &y)| {
                    let de = e.and_then(|e| e.get(i)).copied().unwrap_or(0.0);
                    [y - de, y + de]
                })
            })));
            let mut chart = framed(root, title, x_label, y_label, xr, yr, true)?;
            for (k, s) in series.iter().enumerate() {
                let (r, g, b) = PALETTE[k % PALETTE.len()];
                let colour = RGBColor(r, g, b);
                let pts: Vec<(f64, f64)> =
                    s.x.iter()
                        .zip(&s.y)
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .map(|(x, y)| (*x, *y))
                        .collect();
                let style = colour.stroke_width(2);
                d!(chart.draw_series(LineSeries::new(pts, style)))
                    .label(s.name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                if let Some(err) = &s.err {
                    let bars: Vec<_> =
                        s.x.iter()
                            .zip(&s.y)
                            .zip(err)
                            .filter(|((x, y), e)| x.is_finite() && y.is_finite() && e.is_finite())
                            .map(|((x, y), e)| {
                                ErrorBar::new_vertical(*x, y - e, *y, y + e, colour.filled(), 6)
                            })
                            .collect();
                    d!(chart.draw_series(bars));
                }
            }
            d!(chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .draw());
        }
        Plot::Image(Field {
            title,
            x_label,
            y_label,
            z_label,
            x,
            y,
            z,
        }) => {
            let (main, bar) = root.split_horizontally(root.dim_in_pixel().0.saturating_sub(110));
            let edges = |c: &[f64]| -> Vec<f64> {
                // Pixel edges halfway between centres (extended at both ends).
                let n = c.len();
                let mut e = Vec::with_capacity(n + 1);
                for i in 0..=n {
                    let v = if n == 1 {
                        c[0] + if i == 0 { -0.5 } else { 0.5 }
                    } else if i == 0 {
                        c[0] - (c[1] - c[0]) / 2.0
                    } else if i == n {
                        c[n - 1] + (c[n - 1] - c[n - 2]) / 2.0
                    } else {
                        (c[i - 1] + c[i]) / 2.0
                    };
                    e.push(v);
                }
                e
            };
            anyhow::ensure!(!x.is_empty() && !y.is_empty(), "nothing to plot");
            let (xe, ye) = (edges(x), edges(y));
            let xr = range(xe.iter().copied());
            let yr = range(ye.iter().copied());
            let zr = range(z.iter().copied());
            let mut chart = framed(&main, title, x_label, y_label, xr, yr, false)?;
            let nx = x.len();
            let cells = (0..y.len()).flat_map(|iy| (0..nx).map(move |ix| (ix, iy)));
            d!(chart.draw_series(cells.map(|(ix, iy)| {
                let v = z.get(iy * nx + ix).copied().unwrap_or(f64::NAN);
                let c = if v.is_finite() {
                    viridis((v - zr.0) / (zr.1 - zr.0)).filled()
                } else {
                    RGBColor(255, 255, 255).filled()
                };
                Rectangle::new([(xe[ix], ye[iy]), (xe[ix + 1], ye[iy + 1])], c)
            })));
            colour_bar(&bar, zr, z_label)?;
        }
        Plot::Scatter(f) => {
            let (x, y, z) = (&f.x, &f.y, &f.z);
            let (main, bar) = root.split_horizontally(root.dim_in_pixel().0.saturating_sub(110));
            let xr = padded(range(x.iter().copied()));
            let yr = padded(range(y.iter().copied()));
            let zr = range(z.iter().copied());
            let mut chart = framed(&main, &f.title, &f.x_label, &f.y_label, xr, yr, true)?;
            d!(chart.draw_series(
                x.iter()
                    .zip(y)
                    .zip(z)
                    .filter(|((a, b), _)| a.is_finite() && b.is_finite())
                    .map(|((a, b), v)| {
                        let c = if v.is_finite() {
                            viridis((v - zr.0) / (zr.1 - zr.0)).filled()
                        } else {
                            RGBColor(200, 200, 200).filled()
                        };
                        Circle::new((*a, *b), 6, c)
                    })
            ));
            colour_bar(&bar, zr, &f.z_label)?;
        }
    }
    Ok(())
}

/// A vertical colour bar with its scale and label.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
    label: &str,
) -> anyhow::Result<()> {
    let mut chart = d!(ChartBuilder::on(area)
        .margin_top(45)
        .margin_bottom(57)
        .margin_right(8)
        .y_label_area_size(0)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, lo..hi));
    d!(chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(label)
        .y_label_formatter(&ticker((lo, hi)))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .draw());
    let n = 256;
    d!(chart.draw_series((0..n).map(|i| {
        let a = lo + (hi - lo) * i as f64 / n as f64;
        let b = lo + (hi - lo) * (i + 1) as f64 / n as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            viridis(i as f64 / (n - 1) as f64).filled(),
        )
    })));
    Ok(())
}
