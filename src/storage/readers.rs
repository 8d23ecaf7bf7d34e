//! Whether anyone else has a new file open: the writer's cool-down ([`COOL`] in the free
//! space module) protects a reader that opened the file before a commit and still follows
//! the places that commit freed. When nobody else has the file open, no such reader exists,
//! and freed space can be reused (or cut off at close) at once.
//!
//! On Linux, a file the writer creates is watched with inotify from its creation (under a
//! temporary name nobody else knows) for opens and closes: every `open` of it by any local
//! process queues an event before that `open` returns, so once the queue is read after a
//! commit, a reader counted as closed is gone, and a reader not yet counted opened after the
//! commit and reads the committed state, which references none of the freed places.
//!
//! The watch is used only where it sees every reader: local disk filesystems (ext2/3/4,
//! XFS, Btrfs, F2FS, tmpfs). On network and overlay filesystems, when inotify is not
//! available, after a queue overflow, and for files opened with `Writer::open` (readers may
//! have opened them before the watch), the writer cools down as before. Not seen, and so
//! not protected but by the caller: readers through the kernel NFS server of the writing
//! machine (NFSv3 reads without opening).
//!
//! [`COOL`]: crate::hdf5::write

use std::path::Path;

/// The opens and closes of one file by other processes (or other handles of this one).
pub struct ReaderWatch {
    #[cfg(target_os = "linux")]
    inner: linux::Watch,
}

impl ReaderWatch {
    /// A watch on the file at `path`, if this platform and its filesystem allow one that
    /// sees every local reader. Call it before anyone else can know the file.
    pub fn new(path: &Path) -> Option<ReaderWatch> {
        #[cfg(target_os = "linux")]
        {
            linux::Watch::new(path).map(|inner| ReaderWatch { inner })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = path;
            None
        }
    }

    /// Whether no other handle has the file open now (events read up to this instant) and
    /// the watch has missed nothing.
    pub fn quiet(&mut self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.inner.quiet()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::mem::MaybeUninit;
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

    /// Filesystems whose every reader opens through this kernel's VFS.
    const LOCAL: [i64; 7] = [
        0xEF53,      // ext2/3/4
        0x5846_5342, // XFS
        0x9123_683E, // Btrfs
        0xF2F5_2010, // F2FS
        0x0102_1994, // tmpfs
        0x2FC1_2FC1, // ZFS
        0x8584_58F6, // ramfs
    ];

    pub struct Watch {
        /// Always `Some` until dropped.
        fd: Option<OwnedFd>,
        open: i64,
        healthy: bool,
    }

    impl Watch {
        pub fn new(path: &Path) -> Option<Watch> {
            let fs = rustix::fs::statfs(path).ok()?;
            #[allow(clippy::unnecessary_cast)] // f_type's width differs by architecture
            let kind = fs.f_type as i64;
            if !LOCAL.contains(&kind) {
                return None;
            }
            let fd = inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok()?;
            let what = WatchFlags::OPEN | WatchFlags::CLOSE_WRITE | WatchFlags::CLOSE_NOWRITE;
            inotify::add_watch(&fd, path, what).ok()?;
            Some(Watch {
                fd: Some(fd),
                open: 0,
                healthy: true,
            })
        }

        pub fn quiet(&mut self) -> bool {
            let Some(fd) = &self.fd else {
                return false;
            };
            let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
            let mut r = inotify::Reader::new(fd, &mut buf);
            while self.healthy {
                let ev = match r.next() {
                    Ok(ev) => ev.events(),
                    Err(rustix::io::Errno::AGAIN) => break,
                    Err(_) => {
                        self.healthy = false;
                        break;
                    }
                };
                if ev.contains(ReadFlags::OPEN) {
                    self.open += 1;
                }
                if ev.intersects(ReadFlags::CLOSE_WRITE | ReadFlags::CLOSE_NOWRITE) {
                    self.open -= 1;
                }
                // Events lost, or the watch gone (file deleted, filesystem unmounted).
                if ev
                    .intersects(ReadFlags::QUEUE_OVERFLOW | ReadFlags::IGNORED | ReadFlags::UNMOUNT)
                {
                    self.healthy = false;
                }
            }
            self.healthy && self.open <= 0
        }
    }

    impl Drop for Watch {
        /// Closing an inotify instance waits for the kernel to retire its watch (an RCU
        /// grace period, 10-15 ms measured): done on a thread of its own, so a writer's
        /// close does not wait for it.
        fn drop(&mut self) {
            if let Some(fd) = self.fd.take() {
                let closer = std::thread::Builder::new().name("inotify-close".into());
                // If no thread can be started, the handle is closed here (and waits).
                let _ = closer.spawn(move || drop(fd));
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn sees_other_handles_open_and_close() {
        let dir = std::env::temp_dir();
        let p = dir.join(format!("pymodaq_h5_readers_{}", std::process::id()));
        let mine = std::fs::File::create(&p).unwrap();
        let Some(mut w) = ReaderWatch::new(&p) else {
            eprintln!("no watch on this filesystem: skipped");
            std::fs::remove_file(&p).unwrap();
            return;
        };
        assert!(w.quiet());
        let r = std::fs::File::open(&p).unwrap();
        assert!(!w.quiet(), "a reader is open");
        let r2 = std::fs::File::open(&p).unwrap();
        drop(r);
        assert!(!w.quiet(), "one reader is still open");
        drop(r2);
        assert!(w.quiet(), "every reader closed");
        drop(mine);
        std::fs::remove_file(&p).unwrap();
        assert!(!w.quiet(), "the watch is gone with the file");
    }
}
