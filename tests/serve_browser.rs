//! The embedded viewer in a real headless Chromium (Debian's package): a PyMoDAQ scan, a
//! detector file with error bars, and a `record` file still being written. Screenshots are
//! decoded and checked (not blank, a plot drawn in the plot colours, error bars), the DOM gives
//! the axis labels with units, and the growing file's plot gains points without a reload.

mod common;
mod serve_common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium missing (scripts/test.sh installs Debian's package)"
    );
    eprintln!("NOTICE: no chromium; viewer test skipped");
    None
}

fn run_chromium(bin: &Path, profile: &Path, url: &str, extra: &[&str], budget_ms: u32) -> Vec<u8> {
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1300,900")
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .args(extra)
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .expect("run chromium");
    out.stdout
}

/// A decoded RGB(A) PNG (8-bit, non-interlaced: what Chromium writes).
struct Image {
    w: usize,
    h: usize,
    px: Vec<[u8; 3]>,
}

fn decode_png(bytes: &[u8]) -> Image {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut w, mut h, mut ctype) = (0usize, 0usize, 0u8);
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("len")) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().expect("w")) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().expect("h")) as usize;
                assert_eq!(data[8], 8, "bit depth");
                ctype = data[9];
                assert_eq!(data[12], 0, "interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let bpp = match ctype {
        2 => 3,
        6 => 4,
        other => panic!("PNG colour type {other}"),
    };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .expect("inflate");
    let stride = w * bpp;
    let mut prev = vec![0u8; stride];
    let mut px = Vec::with_capacity(w * h);
    for y in 0..h {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let filter = line[0];
        let mut cur = line[1..].to_vec();
        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] as i32 } else { 0 };
            let b = prev[i] as i32;
            let c = if i >= bpp { prev[i - bpp] as i32 } else { 0 };
            let add = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("PNG filter {f}"),
            };
            cur[i] = (cur[i] as i32 + add) as u8;
        }
        for x in 0..w {
            px.push([cur[x * bpp], cur[x * bpp + 1], cur[x * bpp + 2]]);
        }
        prev = cur;
    }
    Image { w, h, px }
}

fn near(p: [u8; 3], c: [u8; 3], tol: i32) -> bool {
    (0..3).all(|i| (p[i] as i32 - c[i] as i32).abs() <= tol)
}

impl Image {
    fn count(&self, f: impl Fn([u8; 3]) -> bool) -> usize {
        self.px.iter().filter(|&&p| f(p)).count()
    }
    fn distinct(&self) -> usize {
        let mut s: Vec<[u8; 3]> = self.px.clone();
        s.sort();
        s.dedup();
        s.len()
    }
}

fn attr<'a>(dom: &'a str, id: &str) -> &'a str {
    let key = format!("id=\"{id}\">");
    let at = dom.find(&key).map(|i| i + key.len()).unwrap_or(dom.len());
    let end = dom[at..].find('<').map_or(dom.len(), |e| at + e);
    &dom[at..end]
}

fn body_data<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("data-{name}=\"");
    let at = dom.find(&key)? + key.len();
    let end = dom[at..].find('"')? + at;
    Some(&dom[at..end])
}

struct Check<'a> {
    file: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    extra: &'a str,
}

#[test]
fn viewer_plots_scan_detector_and_live_recording() {
    let Some(bin) = chromium() else { return };
    let dir = common::temp_dir("serve-browser");
    let exe = env!("CARGO_BIN_EXE_pymodaq-h5");
    // A PyMoDAQ scan.
    std::fs::copy(
        common::root().join("fixtures/pymodaq/pt_extended.h5"),
        dir.join("scan.h5"),
    )
    .expect("copy");
    // A detector file with error bars, through `import`.
    let x: Vec<f64> = (0..30).map(|i| 500.0 + i as f64).collect();
    let y: Vec<f64> = (0..30).map(|i| (i * i) as f64).collect();
    let desc = serde_json::json!({"format": "pymodaq-h5-import/1", "module": {"type": "detector", "title": "Spectrometer"},
        "data": [{"name": "spectro", "units": "counts", "labels": ["intensity"],
            "data": [{"shape": [30], "dtype": "float64", "values": y}],
            "errors": [{"shape": [30], "dtype": "float64", "values": vec![20.0; 30]}],
            "axes": [{"label": "wavelength", "units": "nm", "index": 0, "data": {"values": x}}]}]});
    std::fs::write(dir.join("spectro.json"), desc.to_string()).expect("write");
    let st = Command::new(exe)
        .arg("import")
        .arg(dir.join("spectro.json"))
        .arg(dir.join("spectro.h5"))
        .status()
        .expect("import");
    assert!(st.success());
    // A recording in progress: one line every 20 ms, each flushed (Chromium's virtual time
    // runs ahead of the wall clock: the file must grow during the few real milliseconds of
    // each poll's requests).
    let mut rec = Command::new(exe)
        .arg("record")
        .arg(dir.join("rec.h5"))
        .args([
            "--names",
            "T,P",
            "--units",
            "K,mbar",
            "--flush-every",
            "1",
            "--quiet",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("record");
    let mut stdin = rec.stdin.take().expect("stdin");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let feeder = std::thread::spawn(move || {
        let mut i = 0u32;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            if writeln!(stdin, "{} {}", 290.0 + f64::from(i % 7), 1000 + i)
                .and_then(|_| stdin.flush())
                .is_err()
            {
                break;
            }
            i += 1;
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(600));
    let s = serve_common::serve(&["--dir", dir.to_str().expect("utf-8")]);
    let profile = dir.join("profile");

    let checks = [
        Check {
            file: "scan.h5",
            x_label: "yaxis (mm)",
            y_label: "xaxis (mm)",
            extra: "&path=/RawData/Scan000/Detector000/Data0D/CH00/Data00",
        },
        Check {
            file: "scan.h5",
            x_label: "pix",
            y_label: "CH00",
            extra: "&path=/RawData/Scan000/Detector000/Data1D/CH00/Data00&mode=line",
        },
        Check {
            file: "spectro.h5",
            x_label: "wavelength (nm)",
            y_label: "intensity (counts)",
            extra: "",
        },
        Check {
            file: "rec.h5",
            x_label: "time (s)",
            y_label: "CH00 (K)",
            extra: "",
        },
    ];
    for c in &checks {
        let url = format!("{}/viewer/?file={}{}", s.base, c.file, c.extra);
        let dom =
            String::from_utf8_lossy(&run_chromium(&bin, &profile, &url, &["--dump-dom"], 4000))
                .into_owned();
        assert_eq!(
            body_data(&dom, "rendered"),
            Some("1"),
            "{url}: not rendered; status {}",
            attr(&dom, "status")
        );
        assert!(
            attr(&dom, "xlabel").starts_with(c.x_label),
            "{url}: x label {:?}",
            attr(&dom, "xlabel")
        );
        assert!(
            attr(&dom, "ylabel").contains(c.y_label),
            "{url}: y label {:?}",
            attr(&dom, "ylabel")
        );
        let shot = dir.join("shot.png");
        let _ = std::fs::remove_file(&shot);
        run_chromium(
            &bin,
            &profile,
            &url,
            &[&format!("--screenshot={}", shot.display())],
            4000,
        );
        let img = decode_png(&std::fs::read(&shot).expect("screenshot"));
        assert!(img.w >= 1000 && img.h >= 800, "{}x{}", img.w, img.h);
        assert!(
            img.distinct() > 30,
            "{url}: screenshot nearly blank ({} colours)",
            img.distinct()
        );
        let line = img.count(|p| near(p, [31, 119, 180], 30));
        let image = img.count(|p| {
            near(p, [68, 1, 84], 40)
                || near(p, [33, 145, 140], 40)
                || near(p, [253, 231, 37], 40)
                || near(p, [59, 82, 139], 30)
                || near(p, [94, 201, 98], 40)
        });
        if c.extra.contains("Data0D") {
            assert!(image > 20_000, "{url}: no image drawn ({image} px)");
        } else {
            assert!(line > 300, "{url}: no line drawn ({line} px)");
        }
        if c.file == "spectro.h5" {
            let red = img.count(|p| near(p, [214, 39, 40], 40));
            assert!(red > 150, "error bars missing ({red} px)");
        }
    }

    // The growing file: one page load, watched for 60 virtual seconds (200 polls, each a real
    // request); the points grow.
    let url = format!("{}/viewer/?file=rec.h5&poll=300", s.base);
    let dom = String::from_utf8_lossy(&run_chromium(&bin, &profile, &url, &["--dump-dom"], 60_000))
        .into_owned();
    let hist: Vec<u64> = body_data(&dom, "history")
        .unwrap_or("")
        .split(',')
        .filter_map(|v| v.parse().ok())
        .collect();
    assert!(
        hist.len() >= 2,
        "no live update: history {hist:?}, status {}",
        attr(&dom, "status")
    );
    assert!(hist.last() > hist.first(), "points did not grow: {hist:?}");
    assert!(hist.windows(2).all(|w| w[1] >= w[0]), "{hist:?}");

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = feeder.join();
    let _ = rec.wait();
}
