//! Where file bytes come from: a file on disk (positional reads, no lock) or memory.
//!
//! Nothing HDF5-specific lives here; the engine only asks for `(offset, length)` windows.

use std::io;
use std::sync::Arc;

/// Random-access, read-only byte source.
pub trait Storage: Send + Sync {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Fill `buf` from absolute `offset`; a short source is an `UnexpectedEof` error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Whether the source is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Bytes held in memory.
#[derive(Clone)]
pub struct MemStorage(Arc<[u8]>);

impl MemStorage {
    /// Wrap owned bytes.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        MemStorage(bytes.into())
    }
}

impl Storage for MemStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| eof())?;
        let end = start.checked_add(buf.len()).ok_or_else(eof)?;
        let src = self.0.get(start..end).ok_or_else(eof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "read past end of data")
}

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

impl Storage for FileStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_exact_at(&self.file, offset, buf)
    }
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
            return Err(eof());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}
