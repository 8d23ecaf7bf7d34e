//! Files on disk, read and written with positional I/O. No lock is taken, so writers,
//! readers (PyMoDAQ's viewers, h5py) and Windows readers never block each other.

use std::io;
use std::path::Path;

/// The directory `path` is in (`.` for a bare file name), where a temporary file that is
/// renamed onto `path` must go for the rename to be atomic.
pub fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

use super::{Storage, WriteStorage};

/// A file on disk, read with positional I/O. Takes no lock, so writers and Windows readers
/// are never blocked by us.
pub struct FileStorage {
    file: std::fs::File,
}

impl FileStorage {
    /// Open `path` read-only.
    pub fn open(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        Ok(FileStorage {
            file: std::fs::File::open(path)?,
        })
    }
}

/// `len` and `read_at` of both file storages: the length of `self.file`, positional reads.
macro_rules! file_reads {
    () => {
        fn len(&self) -> io::Result<u64> {
            Ok(self.file.metadata()?.len())
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
            read_exact_at(&self.file, offset, buf)
        }
    };
}

impl Storage for FileStorage {
    file_reads!();
}

/// Fill `buf` from `file` at `offset` without moving a shared cursor (positional I/O), so
/// several readers of one handle never race; a short file is `UnexpectedEof`.
#[cfg(unix)]
pub(crate) fn read_exact_at(file: &std::fs::File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

/// Fill `buf` from `file` at `offset` (Windows: `seek_read` until full).
#[cfg(windows)]
pub(crate) fn read_exact_at(
    file: &std::fs::File,
    mut offset: u64,
    mut buf: &mut [u8],
) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(super::eof());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// A file on disk written with positional I/O. Takes no lock, so readers (PyMoDAQ's
/// viewers, h5py) can open the file while we append.
pub struct FileWriteStorage {
    file: std::fs::File,
}

impl FileWriteStorage {
    /// Create (truncate) `path` for reading and writing.
    pub fn create(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(FileWriteStorage { file })
    }

    /// Open an existing `path` for reading and writing.
    pub fn open(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        Ok(FileWriteStorage { file })
    }
}

impl WriteStorage for FileWriteStorage {
    file_reads!();
    #[cfg(unix)]
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(data, offset)
    }
    #[cfg(windows)]
    fn write_at(&mut self, mut offset: u64, mut data: &[u8]) -> io::Result<()> {
        use std::os::windows::fs::FileExt;
        while !data.is_empty() {
            let n = self.file.seek_write(data, offset)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0"));
            }
            data = &data[n..];
            offset += n as u64;
        }
        Ok(())
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        self.file.set_len(n)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}
