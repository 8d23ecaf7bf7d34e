//! Opening read-only performs no write and takes no lock: after a full walk the file's bytes
//! and modification time are unchanged, and while our reader holds the file open another
//! handle can take an exclusive lock on it (Windows readers and writers are never blocked).

mod common;

use std::time::Duration;

#[test]
fn reading_writes_nothing_and_locks_nothing() {
    let dir = common::temp_dir("readonly");
    for name in ["pt_carray_zoo.h5", "h5py_latest_dense.h5", "pt_vlarray.h5"] {
        let src = common::root().join("fixtures/hdf5").join(name);
        let path = dir.join(name);
        std::fs::copy(&src, &path).unwrap();
        let before = std::fs::read(&path).unwrap();
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));

        let f = pymodaq_h5::hdf5::read::File::open(&path).unwrap();
        pymodaq_h5::dump::dump_file(&f, name).unwrap();
        // While our handle is open, an exclusive lock is still available to others.
        let other = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        other.try_lock().expect("our reader must not hold a lock");
        other.unlock().unwrap();
        drop(f);

        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "{name}: bytes changed by reading"
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            mtime,
            "{name}: mtime changed"
        );
    }
}
