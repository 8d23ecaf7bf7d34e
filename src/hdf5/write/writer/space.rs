//! File space: positional writes, allocation past the end of file, publishing the EOF
//! (steps 1 and 2 of the commit order).

use super::commit::PAGE;
use super::*;
use crate::hdf5::object_header::edit::placeholder_floor;

/// Unfiltered data blocks from this size up are page-aligned (see [`Writer::alloc_data`]).
const ALIGN_MIN: u64 = 64 * 1024;

impl Writer {
    pub(super) fn check(&self) -> Result<()> {
        if self.failed {
            return Err(usage(
                "an earlier storage error stopped this writer; the file holds its last \
                 committed state",
            ));
        }
        Ok(())
    }

    pub(super) fn put(&mut self, at: u64, data: &[u8]) -> Result<()> {
        // Files with narrow offsets address only so far (the top addresses are header
        // edits' placeholders): nothing is written once an allocation passed it (the
        // structure pointing there would hold a cut address).
        let end = at.saturating_add(data.len() as u64).max(self.eof);
        let top = placeholder_floor(self.sizes);
        if end.saturating_add(self.base) > top {
            self.failed = true;
            return Err(usage(format!(
                "the file's {}-byte addresses reach {top} bytes; this write would pass them",
                self.sizes.offsets,
            )));
        }
        if let Err(e) = self.st.write_at(at, data) {
            self.failed = true;
            return Err(e.into());
        }
        self.written_end = self.written_end.max(at + data.len() as u64);
        self.commit.wrote = true;
        Ok(())
    }

    pub(super) fn alloc(&mut self, n: usize) -> u64 {
        let n8 = pad8(n) as u64;
        if self.fs_page > 0 {
            return self.alloc_pages(n8);
        }
        if let Some(a) = self.free.take(n8) {
            return a;
        }
        let a = self.eof;
        self.eof = self.eof.saturating_add(pad8(n) as u64);
        a
    }

    /// Space for `n` bytes of unfiltered data (a raw chunk, a contiguous dataset). Large
    /// whole-page blocks taken past the end of the file start on a page boundary: the
    /// kernel then copies them into whole (and large) page-cache folios, 20-25 % less
    /// time per byte than the same write straddling pages. The gap before is fresh space
    /// nothing ever pointed at, so it is reusable at once for metadata.
    pub(super) fn alloc_data(&mut self, n: usize) -> u64 {
        let n8 = pad8(n) as u64;
        if self.fs_page > 0 {
            return self.alloc_pages(n8);
        }
        if n8 < ALIGN_MIN || !n8.is_multiple_of(PAGE) {
            return self.alloc(n);
        }
        if let Some(a) = self.free.take(n8) {
            return a;
        }
        let Some(aligned) = self.eof.checked_next_multiple_of(PAGE) else {
            return self.alloc(n);
        };
        if aligned > self.eof && self.free.add_fresh(self.eof, aligned - self.eof) {
            self.eof = aligned;
        }
        let a = self.eof;
        self.eof = self.eof.saturating_add(n8);
        a
    }

    /// Space in a paged file (libhdf5's paged aggregation, `fs_strategy='page'`): whole
    /// pages of its own past the end, so that no page holds both metadata and raw data and
    /// no block shares a page with another (libhdf5's page buffer caches metadata and raw
    /// pages apart and reads metadata by whole pages: a block crossing into another's page
    /// made it crash, "free(): invalid pointer", or fail checksums). The end of file stays
    /// a page multiple, as libhdf5 keeps it.
    fn alloc_pages(&mut self, n: u64) -> u64 {
        let page = self.fs_page;
        let a = self.eof.checked_next_multiple_of(page).unwrap_or(u64::MAX);
        let len = n.max(1).checked_next_multiple_of(page).unwrap_or(u64::MAX);
        self.eof = a.saturating_add(len);
        a
    }

    pub(super) fn alloc_data_write(&mut self, data: &[u8]) -> Result<u64> {
        let a = self.alloc_data(data.len());
        self.put(a, data)?;
        Ok(a)
    }

    pub(super) fn alloc_write(&mut self, data: &[u8]) -> Result<u64> {
        let a = self.alloc(data.len());
        self.put(a, data)?;
        Ok(a)
    }

    pub(super) fn ensure_len(&mut self) -> Result<()> {
        if self.written_end < self.eof {
            if let Err(e) = self.st.set_len(self.eof) {
                self.failed = true;
                return Err(e.into());
            }
            self.written_end = self.eof;
        }
        Ok(())
    }

    /// Step 2 of the commit order: the superblock EOF address covers all new space.
    pub(super) fn publish_eof(&mut self) -> Result<()> {
        if self.eof != self.committed_eof {
            self.ensure_len()?;
            self.write_eof()?;
            self.committed_eof = self.eof;
        }
        Ok(())
    }

    pub(super) fn read(&self, at: u64, n: usize) -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        self.st.read_at(at, &mut b)?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_raw_blocks_start_on_a_page_and_the_gap_serves_metadata() {
        for profile in [Profile::PyTables, Profile::Hdf5V110] {
            let (_m, mut w) = Writer::in_memory(profile);
            let eof = w.eof;
            assert_ne!(eof % PAGE, 0, "a fresh file's end is mid-page");
            // Below the threshold, or not whole pages: packed at the end, as before.
            let small = w.alloc_data(ALIGN_MIN as usize - 8);
            assert_eq!(small, eof);
            let odd = w.alloc_data(ALIGN_MIN as usize + 8);
            assert_eq!(odd, eof + ALIGN_MIN - 8);
            // A 64 KiB block starts on the next page boundary.
            let gap_at = w.eof;
            let big = w.alloc_data(ALIGN_MIN as usize);
            assert_eq!(big, gap_at.next_multiple_of(PAGE));
            assert_eq!(w.eof, big + ALIGN_MIN);
            // The skipped bytes are handed to the next small allocations.
            let meta = w.alloc(16);
            assert_eq!(meta, gap_at);
            // Consecutive page-multiple blocks stay aligned without gaps.
            let next = w.alloc_data(2 * ALIGN_MIN as usize);
            assert_eq!(next, big + ALIGN_MIN);
        }
    }
}
