//! The chunk shapes PyTables and h5py choose by themselves, so that files written in either
//! flavour are laid out like the ones PyMoDAQ writes through that library.

/// PyTables' `Leaf._calc_chunkshape` for a CArray (`expected_rows` = its rows) or an EArray
/// (`expected_rows` = 1000, `EXPECTED_ROWS_EARRAY`), main dimension 0, `item_size` bytes per
/// element. A 0-d shape gives `[1]`.
pub fn pytables_chunkshape(shape: &[u64], expected_rows: u64, item_size: u64) -> Vec<u64> {
    if shape.is_empty() {
        return vec![1];
    }
    let item_size = item_size.max(1);
    let row_size = shape
        .iter()
        .skip(1)
        .fold(item_size, |a, &d| a.saturating_mul(d));
    let expected_mb = expected_rows.saturating_mul(row_size) / (1024 * 1024);
    let chunksize = pytables_calc_chunksize(expected_mb as f64);
    let chunk_items = (chunksize / item_size).max(1);
    let mut chunk: Vec<u64> = shape.to_vec();
    chunk[0] = 1;
    let n: u64 = chunk.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    if n <= chunk_items {
        chunk[0] = chunk_items / n.max(1);
        return chunk;
    }
    for j in 0..chunk.len() {
        chunk[j] = 1;
        let n: u64 = chunk.iter().fold(1u64, |a, &d| a.saturating_mul(d));
        if n <= chunk_items {
            chunk[j] = chunk_items / n.max(1);
            return chunk;
        }
    }
    if let Some(last) = chunk.last_mut() {
        *last = chunk_items;
    }
    chunk
}

/// PyTables' `VLArray._calc_chunkshape` (rows of `base_size`-byte elements, 1000 expected rows).
pub fn pytables_vlarray_chunkshape(base_size: u64) -> Vec<u64> {
    let base_size = base_size.max(1);
    let expected_mb = 1000.0 * base_size as f64 / (1024.0 * 1024.0);
    vec![(pytables_calc_chunksize(expected_mb) / base_size).max(1)]
}

/// `tables.leaf.calc_chunksize`: 8 KiB scaled by the decade of the expected size, times 8.
fn pytables_calc_chunksize(expected_mb: f64) -> u64 {
    let mb = expected_mb.clamp(1.0, 1e7);
    // int(log10(mb)) is at most 7 after the clamp.
    let zone = mb.log10().trunc() as u32;
    8 * 1024 * (1u64 << zone) * 8
}

/// h5py's `filters.guess_chunk(shape, maxshape, typesize)` (zero extents count as 1024).
pub fn h5py_guess_chunk(shape: &[u64], type_size: u64) -> Vec<u64> {
    const BASE: f64 = 16.0 * 1024.0;
    const MIN: f64 = 8.0 * 1024.0;
    const MAX: f64 = 1024.0 * 1024.0;
    if shape.is_empty() {
        return Vec::new();
    }
    let mut chunks: Vec<f64> = shape
        .iter()
        .map(|&d| if d == 0 { 1024.0 } else { d as f64 })
        .collect();
    let ts = type_size.max(1) as f64;
    let product = |c: &[f64]| c.iter().product::<f64>();
    let dset_size = product(&chunks) * ts;
    let target = (BASE * 2f64.powf((dset_size / (1024.0 * 1024.0)).log10())).clamp(MIN, MAX);
    let n = chunks.len();
    let mut idx = 0usize;
    loop {
        let bytes = product(&chunks) * ts;
        if (bytes < target || (bytes - target).abs() / target < 0.5) && bytes < MAX {
            break;
        }
        if product(&chunks) == 1.0 {
            break;
        }
        let i = idx % n;
        chunks[i] = (chunks[i] / 2.0).ceil();
        idx += 1;
    }
    chunks.iter().map(|&c| c as u64).collect()
}

/// Chunks for a pre-sized scan array of `shape` whose first `scan_rank` dimensions are the
/// scan: one scan point's data per chunk, several consecutive points along the last scan
/// dimension while a chunk stays under 64 KiB, so each point writes whole chunks or fills one.
pub fn scan_point_chunks(shape: &[u64], scan_rank: usize, item_size: u64) -> Vec<u64> {
    let rank = scan_rank.min(shape.len());
    let mut chunk: Vec<u64> = shape.to_vec();
    for c in chunk.iter_mut().take(rank) {
        *c = 1;
    }
    let point = shape
        .iter()
        .skip(rank)
        .fold(item_size.max(1), |a, &d| a.saturating_mul(d.max(1)));
    if rank > 0 {
        let per = ((64 * 1024) / point).max(1);
        chunk[rank - 1] = shape[rank - 1].clamp(1, per);
    }
    chunk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytables_carray_chunkshapes_match_pytables_3_11() {
        // Printed by PyTables 3.11.1 `create_carray(obj=np.zeros(shape, dtype)).chunkshape`.
        assert_eq!(pytables_chunkshape(&[5], 5, 8), vec![8192]);
        assert_eq!(pytables_chunkshape(&[1], 1, 8), vec![8192]);
        assert_eq!(pytables_chunkshape(&[6, 9], 6, 2), vec![3640, 9]);
        assert_eq!(pytables_chunkshape(&[3, 4, 5], 3, 16), vec![204, 4, 5]);
        assert_eq!(pytables_chunkshape(&[4, 5], 4, 4), vec![3276, 5]);
        assert_eq!(pytables_chunkshape(&[2000, 2000], 2000, 8), vec![8, 2000]);
        assert_eq!(pytables_chunkshape(&[100, 2048], 100, 8), vec![4, 2048]);
    }

    #[test]
    fn pytables_earray_and_vlarray_chunkshapes_match_pytables_3_11() {
        assert_eq!(pytables_chunkshape(&[0, 1], 1000, 8), vec![8192, 1]);
        assert_eq!(pytables_chunkshape(&[0, 8], 1000, 8), vec![1024, 8]);
        assert_eq!(pytables_chunkshape(&[0, 2, 3], 1000, 8), vec![1365, 2, 3]);
        assert_eq!(
            pytables_chunkshape(&[0, 512, 512], 1000, 2),
            vec![1, 256, 512]
        );
        assert_eq!(pytables_vlarray_chunkshape(1), vec![65536]);
    }

    #[test]
    fn scan_chunks_hold_whole_points() {
        assert_eq!(scan_point_chunks(&[100, 100, 2048], 2, 8), vec![1, 4, 2048]);
        assert_eq!(
            scan_point_chunks(&[100, 100, 64, 64], 2, 8),
            vec![1, 2, 64, 64]
        );
        assert_eq!(scan_point_chunks(&[100, 100], 2, 8), vec![1, 100]);
        assert_eq!(
            scan_point_chunks(&[5, 1024, 1024], 1, 8),
            vec![1, 1024, 1024]
        );
    }

    #[test]
    fn h5py_chunks_match_h5py_3_16() {
        assert_eq!(h5py_guess_chunk(&[0, 1], 8), vec![1024, 1]);
        assert_eq!(h5py_guess_chunk(&[0, 8], 8), vec![256, 4]);
        assert_eq!(h5py_guess_chunk(&[0, 2, 3], 8), vec![512, 1, 2]);
        // A vlen dtype is an object dtype for h5py: 8 bytes per element.
        assert_eq!(h5py_guess_chunk(&[0], 8), vec![1024]);
        assert_eq!(h5py_guess_chunk(&[80], 8), vec![80]);
        assert_eq!(h5py_guess_chunk(&[6, 9], 8), vec![6, 9]);
    }
}
