//! `.npz` exports past the classic zip limits (zip64, APPNOTE 4.3.14/4.5.3), read back by numpy:
//! - a `data.npy` member over 4 GiB (a sparse 4.3 GB dataset: unwritten chunks read as the fill
//!   value; `#[ignore]`d, 70 s), streamed: numpy reads the member's header, every byte passes zipfile's CRC check
//!   and equals the fill value; the exporter's peak RSS stays under 64 MiB;
//! - zip64 records forced on every member and the end record (`PYMODAQ_H5_NPZ_ZIP64=1`, the
//!   layout used past 4 GiB offsets and 65535 members) load with `np.load` equal to the
//!   classic archive, and `unzip -t`/`zipfile.testzip` find no error.

mod common;

use std::process::Command;

use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, WriteOptions, Writer};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
}

const NODE: &str = "/RawData/Scan000/Detector000/Data1D/CH00/Data00";

#[test]
fn forced_zip64_records_load_in_numpy_equal() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("npz64-small");
    let src = common::root().join("fixtures/pymodaq/pt_extended.h5");
    let (a, b) = (dir.join("a.npz"), dir.join("b.npz"));
    let st = bin()
        .arg("export")
        .arg(&src)
        .arg(NODE)
        .arg("-o")
        .arg(&a)
        .status()
        .unwrap();
    assert!(st.success());
    let st = bin()
        .env("PYMODAQ_H5_NPZ_ZIP64", "1")
        .arg("export")
        .arg(&src)
        .arg(NODE)
        .arg("-o")
        .arg(&b)
        .status()
        .unwrap();
    assert!(st.success());
    common::run_stdout(
        Command::new(py)
            .arg("-c")
            .arg(
                "import sys, zipfile, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert sorted(a.files) == sorted(b.files) and len(a.files) >= 3, (a.files, b.files)
for k in a.files:
    assert np.array_equal(a[k], b[k]), k
z = zipfile.ZipFile(sys.argv[2])
assert z.testzip() is None
# The zip64 layout really is there: end locator and 0xFFFFFFFF markers.
raw = open(sys.argv[2], 'rb').read()
assert b'PK\\x06\\x06' in raw and b'PK\\x06\\x07' in raw
assert b['data'].shape == (3, 4, 6)
print('ok', len(a.files))",
            )
            .arg(&a)
            .arg(&b),
        "numpy reads both npz files",
    );
}

/// Peak RSS (VmHWM, KiB) of a finished child, sampled while it runs.
fn run_peak(mut cmd: Command) -> (u64, bool) {
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let mut peak = 0u64;
    loop {
        if let Some(kb) = common::vm_hwm_kib(pid) {
            peak = peak.max(kb);
        }
        if let Some(st) = child.try_wait().unwrap() {
            return (peak, st.success());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Writes and reads 4.3 GB (about 70 s here): outside the CI budget, run it with
/// `cargo test --profile ci --test cli_npz_zip64 -- --ignored`.
#[test]
#[ignore]
fn a_member_over_4_gib_is_zip64_and_numpy_reads_it() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("npz64-big");
    let h5 = dir.join("sparse.h5");
    // 4.3 GB of uint8, nothing written: every chunk reads as the fill value 7.
    const N: u64 = 4_300_000_000;
    {
        let mut w = Writer::create(&h5, WriteOptions::default()).unwrap();
        w.create_dataset(
            "/big",
            DatasetBuilder::new(Dtype::U8)
                .shape(&[N])
                .chunks(&[1 << 22])
                .fill_value(&[7]),
        )
        .unwrap();
        w.close().unwrap();
    }
    let npz = dir.join("big.npz");
    let mut cmd = bin();
    cmd.arg("export")
        .arg(&h5)
        .arg("/big")
        .arg("-o")
        .arg(&npz)
        .arg("-q");
    let (peak_kib, ok) = run_peak(cmd);
    assert!(ok, "export failed");
    assert!(
        peak_kib < 64 * 1024,
        "peak RSS {} MiB exporting a 4.3 GB member",
        peak_kib / 1024
    );
    let out = Command::new(py)
        .arg("-c")
        .arg(
            "import sys, zipfile, numpy as np
z = zipfile.ZipFile(sys.argv[1])
info = z.getinfo('data.npy')
assert info.file_size > 2**32, info.file_size
with z.open('data.npy') as f:
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(f)
    assert shape == (4300000000,) and dtype == np.uint8, (shape, dtype)
    n = 0
    while True:
        block = f.read(1 << 26)
        if not block:
            break
        a = np.frombuffer(block, np.uint8)
        assert a.min() == 7 and a.max() == 7
        n += a.size
    assert n == 4300000000, n
# zipfile checked the CRC at the end of the member; the small members load with np.load.
d = np.load(sys.argv[1], mmap_mode=None)
assert str(d['data_label']) == 'big', d['data_label']
print('ok')",
        )
        .arg(&npz)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&npz);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
