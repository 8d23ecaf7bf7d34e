//! Parallel decode of chunk row bands: each band (the chunks sharing a first row) owns a
//! disjoint slice of the output, and the cores take bands one at a time from a shared
//! queue, so a core slowed down by other work (or bands that inflate more slowly) does not
//! leave the other idle at the end, as a fixed half-and-half split did.

use std::sync::Mutex;

use crate::error::{Error, Result};

/// Run `f(band, region, buffers)` for every `(region, band)` on up to `threads` threads;
/// each thread keeps its own pair of reusable buffers. The first error stops the others
/// (after their current band) and is returned.
pub(super) fn run<B: Send + Sync>(
    jobs: Vec<(&mut [u8], B)>,
    threads: usize,
    f: impl Fn(&B, &mut [u8], &mut (Vec<u8>, Vec<u8>)) -> Result<()> + Sync,
) -> Result<()> {
    let threads = threads.min(jobs.len()).max(1);
    let queue = Mutex::new(jobs.into_iter());
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (queue, failed, f) = (&queue, &failed, &f);
                s.spawn(move || -> Result<()> {
                    let mut bufs = (Vec::new(), Vec::new());
                    loop {
                        if failed.load(std::sync::atomic::Ordering::Relaxed) {
                            return Ok(());
                        }
                        let next = match queue.lock() {
                            Ok(mut q) => q.next(),
                            Err(_) => {
                                return Err(Error::Usage("chunk decoder queue poisoned".into()))
                            }
                        };
                        let Some((region, band)) = next else {
                            return Ok(());
                        };
                        if let Err(e) = f(&band, region, &mut bufs) {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                            return Err(e);
                        }
                    }
                })
            })
            .collect();
        let mut first = Ok(());
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(Error::Usage("chunk decoder thread panicked".into())));
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}
