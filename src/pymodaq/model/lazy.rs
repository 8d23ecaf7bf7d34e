//! Array bytes held in memory, or read from the file on first touch (the arrays of a
//! [`DataLoader::lazy`](crate::pymodaq::load::DataLoader::lazy) loader): `load_all` of a big
//! scan then reads only metadata; each array's bytes are read (chunks decoded on all cores)
//! when first asked for and kept, or streamed slab by slab ([`NdArray::slabs`]) without
//! being kept.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};

use super::NdArray;

/// Where a lazy array's bytes come from: a block of elements in C order (a dataset's
/// hyperslab, say), read as little-endian bytes.
pub trait ArraySource: Send + Sync + std::fmt::Debug {
    /// The block's shape (its C-order element count is the array's).
    fn shape(&self) -> &[u64];
    /// The little-endian C-order bytes of the sub-block `sel` (one range per dimension of
    /// [`ArraySource::shape`], relative to the block).
    fn read(&self, sel: &[Range<u64>]) -> Result<Vec<u8>>;
}

/// An array's bytes: in memory, or a source read once on first touch.
#[derive(Clone)]
pub(crate) enum Bytes {
    Owned(Vec<u8>),
    Lazy(Arc<Lazy>),
}

pub(crate) struct Lazy {
    source: Box<dyn ArraySource>,
    cell: OnceLock<Vec<u8>>,
}

impl Bytes {
    pub(crate) fn lazy(source: Box<dyn ArraySource>) -> Bytes {
        Bytes::Lazy(Arc::new(Lazy {
            source,
            cell: OnceLock::new(),
        }))
    }

    /// The bytes, read now if lazy and not yet read (a failed read is not kept: the next
    /// touch tries again).
    pub(crate) fn try_get(&self) -> Result<&[u8]> {
        match self {
            Bytes::Owned(v) => Ok(v),
            Bytes::Lazy(l) => {
                if let Some(v) = l.cell.get() {
                    return Ok(v);
                }
                let full: Vec<Range<u64>> = l.source.shape().iter().map(|&n| 0..n).collect();
                let v = l.source.read(&full)?;
                // Another thread may have won the race: either copy is the same bytes.
                let _ = l.cell.set(v);
                l.cell
                    .get()
                    .map(Vec::as_slice)
                    .ok_or_else(|| Error::Usage("lazy array not stored".into()))
            }
        }
    }

    /// The bytes; empty when a lazy read fails (see [`NdArray::try_le_bytes`]).
    pub(crate) fn get(&self) -> &[u8] {
        self.try_get().unwrap_or(&[])
    }

    /// The bytes if in memory (owned, or lazy and already read).
    pub(crate) fn resident(&self) -> Option<&[u8]> {
        match self {
            Bytes::Owned(v) => Some(v),
            Bytes::Lazy(l) => l.cell.get().map(Vec::as_slice),
        }
    }

    pub(crate) fn is_pending(&self) -> bool {
        self.resident().is_none()
    }

    /// The bytes, moved out when owned.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        match self {
            Bytes::Owned(v) => v,
            lazy => lazy.get().to_vec(),
        }
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.get() == other.get()
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bytes::Owned(v) => v.fmt(f),
            Bytes::Lazy(l) => match l.cell.get() {
                // Once read, as the bytes (a read lazy array prints as an eager one).
                Some(v) => v.fmt(f),
                None => f.debug_struct("Lazy").field("source", &l.source).finish(),
            },
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        // As the plain byte vector it replaced (a sequence of u8).
        let b = self.try_get().map_err(serde::ser::Error::custom)?;
        s.collect_seq(b)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Bytes, D::Error> {
        Vec::<u8>::deserialize(d).map(Bytes::Owned)
    }
}

/// The pieces of [`NdArray::slabs`].
pub struct Slabs<'a> {
    plan: Plan<'a>,
}

enum Plan<'a> {
    /// In memory: consecutive slices of `step` bytes.
    Resident { bytes: &'a [u8], step: usize },
    /// Hyperslabs of the source: dimensions before `k - 1` one index at a time, dimension
    /// `k - 1` by runs of `run`, the rest whole; `pos` is the next slab's corner.
    Source {
        source: &'a dyn ArraySource,
        k: usize,
        run: u64,
        pos: Option<Vec<u64>>,
    },
}

impl<'a> Slabs<'a> {
    pub(crate) fn new(bytes: &'a Bytes, elem: usize, max_bytes: usize) -> Slabs<'a> {
        let elem = elem.max(1);
        if let Some(b) = bytes.resident() {
            let step = (max_bytes / elem).max(1) * elem;
            return Slabs {
                plan: Plan::Resident { bytes: b, step },
            };
        }
        let Bytes::Lazy(l) = bytes else {
            return Slabs {
                plan: Plan::Resident {
                    bytes: &[],
                    step: 1,
                },
            };
        };
        let source = l.source.as_ref();
        let shape = source.shape();
        // trailing(k): bytes of one index of dimensions 0..k; the smallest k whose
        // trailing block fits `max_bytes` (k = rank: one element).
        let trailing = |k: usize| {
            shape
                .get(k..)
                .unwrap_or(&[])
                .iter()
                .fold(elem as u64, |a, &n| a.saturating_mul(n))
        };
        let max = max_bytes as u64;
        let k = (0..=shape.len())
            .find(|&k| trailing(k) <= max)
            .unwrap_or(shape.len());
        let empty = shape.contains(&0);
        let (k, run, pos) = if k == 0 {
            // Everything fits in one piece.
            (0, 1, (!empty).then(Vec::new))
        } else {
            let run = (max / trailing(k).max(1)).max(1);
            (k, run, (!empty).then(|| vec![0u64; k]))
        };
        Slabs {
            plan: Plan::Source {
                source,
                k,
                run,
                pos,
            },
        }
    }
}

impl<'a> Iterator for Slabs<'a> {
    type Item = Result<Cow<'a, [u8]>>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.plan {
            Plan::Resident { bytes, step } => {
                if bytes.is_empty() {
                    return None;
                }
                let (head, tail) = bytes.split_at((*step).min(bytes.len()));
                *bytes = tail;
                Some(Ok(Cow::Borrowed(head)))
            }
            Plan::Source {
                source,
                k,
                run,
                pos,
            } => {
                let corner = pos.take()?;
                let shape = source.shape();
                let k = *k;
                let mut sel: Vec<Range<u64>> = shape.iter().map(|&n| 0..n).collect();
                if k > 0 {
                    for d in 0..k {
                        let (Some(s), Some(&c), Some(&n)) =
                            (sel.get_mut(d), corner.get(d), shape.get(d))
                        else {
                            return None;
                        };
                        *s = if d + 1 == k {
                            c..c.saturating_add(*run).min(n)
                        } else {
                            c..c + 1
                        };
                    }
                    // Advance the corner: dimension k-1 by `run`, carrying into the others.
                    let mut next = corner;
                    let mut d = k;
                    let mut done = true;
                    while d > 0 {
                        d -= 1;
                        let step = if d + 1 == k { *run } else { 1 };
                        let n = shape.get(d).copied().unwrap_or(0);
                        if let Some(c) = next.get_mut(d) {
                            *c = c.saturating_add(step);
                            if *c < n {
                                done = false;
                                break;
                            }
                            *c = 0;
                        }
                    }
                    if !done {
                        *pos = Some(next);
                    }
                }
                Some(source.read(&sel).map(Cow::Owned))
            }
        }
    }
}

/// Read every array of `arrays` not yet in memory, on up to the machine's cores (each
/// array's own chunks are decoded in parallel too); the first error is returned.
pub fn read_all(arrays: &[&NdArray]) -> Result<()> {
    let pending: Vec<&NdArray> = arrays
        .iter()
        .copied()
        .filter(|a| a.bytes.is_pending())
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(pending.len());
    if threads <= 1 {
        for a in pending {
            a.try_le_bytes()?;
        }
        return Ok(());
    }
    let queue = Mutex::new(pending.into_iter());
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let queue = &queue;
                s.spawn(move || -> Result<()> {
                    loop {
                        let next = match queue.lock() {
                            Ok(mut q) => q.next(),
                            Err(_) => return Err(Error::Usage("array queue poisoned".into())),
                        };
                        let Some(a) = next else {
                            return Ok(());
                        };
                        a.try_le_bytes()?;
                    }
                })
            })
            .collect();
        let mut first = Ok(());
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(Error::Usage("array reader thread panicked".into())));
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pymodaq::model::DType;

    /// Element i (C order) is the byte i % 251, over `shape`; counts reads.
    #[derive(Debug)]
    struct Counting {
        shape: Vec<u64>,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl ArraySource for Counting {
        fn shape(&self) -> &[u64] {
            &self.shape
        }
        fn read(&self, sel: &[Range<u64>]) -> Result<Vec<u8>> {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut out = Vec::new();
            let n: u64 = self.shape.iter().product();
            for i in 0..n {
                let mut rest = i;
                let mut inside = true;
                for d in (0..self.shape.len()).rev() {
                    let x = rest % self.shape[d];
                    rest /= self.shape[d];
                    inside &= sel[d].contains(&x);
                }
                if inside {
                    out.push((i % 251) as u8);
                }
            }
            Ok(out)
        }
    }

    #[test]
    fn slabs_cover_the_bytes_in_bounded_pieces() {
        for shape in [vec![], vec![0, 4], vec![7], vec![3, 4, 5], vec![2, 1, 9, 3]] {
            let src = Counting {
                shape: shape.clone(),
                reads: Default::default(),
            };
            let full: Vec<u8> = src
                .read(&shape.iter().map(|&n| 0..n).collect::<Vec<_>>())
                .unwrap();
            let ushape: Vec<usize> = shape.iter().map(|&n| n as usize).collect();
            let a = NdArray::lazy(DType::UInt8, ushape, Box::new(src)).unwrap();
            for max in [1, 2, 5, 12, 19, 60, 1000] {
                let pieces: Vec<Vec<u8>> = a.slabs(max).map(|p| p.unwrap().into_owned()).collect();
                assert!(
                    pieces.iter().all(|p| !p.is_empty() && p.len() <= max),
                    "{shape:?} {max}"
                );
                assert_eq!(pieces.concat(), full, "{shape:?} {max}");
                assert!(a.is_pending());
            }
            assert_eq!(a.le_bytes(), full.as_slice());
            assert!(!a.is_pending());
            // Once read, slabs are slices of the kept bytes.
            assert_eq!(
                a.slabs(5)
                    .map(|p| p.unwrap().into_owned())
                    .collect::<Vec<_>>()
                    .concat(),
                full
            );
        }
    }

    #[test]
    fn lazy_shape_must_match_the_source() {
        let src = Counting {
            shape: vec![3, 4],
            reads: Default::default(),
        };
        assert!(NdArray::lazy(DType::UInt8, vec![13], Box::new(src)).is_err());
    }

    #[test]
    fn read_once_and_shared_by_clones() {
        let a = NdArray::lazy(
            DType::UInt8,
            vec![12],
            Box::new(Counting {
                shape: vec![12],
                reads: Default::default(),
            }),
        )
        .unwrap();
        let b = a.clone();
        assert_eq!(a.len(), 12);
        assert!(b.is_pending());
        read_all(&[&a, &b]).unwrap();
        assert_eq!(a, b);
        assert!(!b.is_pending());
        let Bytes::Lazy(l) = &a.bytes else {
            panic!("not lazy")
        };
        let reads = format!("{:?}", l.source);
        assert!(reads.contains("reads: 1"), "{reads}");
    }
}
