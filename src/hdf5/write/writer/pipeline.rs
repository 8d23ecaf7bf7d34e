//! Compression pipelined with the writes: full chunks of filtered datasets go to a pool of
//! encoder threads (one per core) while the caller goes on appending; the writer thread
//! writes each encoded chunk past EOF as soon as it and every chunk submitted before it are
//! ready, so the file's bytes and their order are those of a serial writer.
//!
//! The commit order is unchanged: a chunk reaches the index only once its bytes are written,
//! and every commit drains the pipeline first (`drain_queue`), so no commit page can point
//! at a chunk still being compressed. Memory stays bounded: at most [`IN_FLIGHT`] bytes of
//! input are queued or being encoded; the input buffers are recycled.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::*;

/// Input bytes submitted but not yet written: a few chunks per core keep both cores busy
/// while the writer thread writes; more would only grow the resident set.
const IN_FLIGHT: usize = 8 << 20;

struct Job {
    seq: u64,
    pipeline: Arc<FilterPipeline>,
    data: Vec<u8>,
    at: u64,
}

struct Done {
    seq: u64,
    stored: Result<Vec<u8>>,
    /// The input buffer, handed back for reuse.
    input: Vec<u8>,
}

/// The encoder pool and the chunks in flight (threads start on the first submitted chunk).
#[derive(Default)]
pub(super) struct Pool {
    jobs: Option<Sender<Job>>,
    results: Option<Receiver<Done>>,
    threads: Vec<JoinHandle<()>>,
    next_seq: u64,
    next_write: u64,
    /// Where each chunk in flight goes (and its filter mask), by sequence number.
    meta: BTreeMap<u64, (DatasetId, Vec<u64>, usize, u32)>,
    /// Chunks encoded ahead of one submitted earlier.
    ready: BTreeMap<u64, Done>,
    in_flight: usize,
    spare: Vec<Vec<u8>>,
    /// The pipeline last submitted (shared by the jobs of one dataset without a clone each).
    last: Option<(DatasetId, Arc<FilterPipeline>)>,
}

impl Pool {
    fn start(&mut self) {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jtx, jrx) = channel::<Job>();
        let (rtx, rrx) = channel::<Done>();
        let jrx = Arc::new(Mutex::new(jrx));
        for _ in 0..n {
            let (jrx, rtx) = (Arc::clone(&jrx), rtx.clone());
            let spawned =
                std::thread::Builder::new()
                    .name("h5-encode".into())
                    .spawn(move || loop {
                        let job = match jrx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let stored = filter::encode_chunk(&job.pipeline, &job.data, job.at);
                        let done = Done {
                            seq: job.seq,
                            stored,
                            input: job.data,
                        };
                        if rtx.send(done).is_err() {
                            return;
                        }
                    });
            if let Ok(h) = spawned {
                self.threads.push(h);
            }
        }
        self.jobs = Some(jtx);
        self.results = Some(rrx);
    }

    /// A buffer holding a copy of `bytes`, reusing a returned input buffer when one is free.
    fn buffer(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut b = self.spare.pop().unwrap_or_default();
        b.clear();
        b.extend_from_slice(bytes);
        b
    }

    pub(super) fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the job channel ends the workers once their current chunk is done.
        self.jobs = None;
        for h in self.threads.drain(..) {
            let _ = h.join();
        }
    }
}

impl Writer {
    /// Queue a full chunk of a filtered dataset for encoding (a copy of `bytes`).
    pub(super) fn queue_chunk(
        &mut self,
        ds: DatasetId,
        origin: Vec<u64>,
        bytes: &[u8],
    ) -> Result<()> {
        let buf = self.pool.buffer(bytes);
        self.queue_chunk_owned(ds, origin, buf)
    }

    /// [`Writer::queue_chunk`] of a buffer the caller gives away.
    pub(super) fn queue_chunk_owned(
        &mut self,
        ds: DatasetId,
        origin: Vec<u64>,
        data: Vec<u8>,
    ) -> Result<()> {
        let mask = self.ds(ds)?.enc_mask;
        let pipeline = match &self.pool.last {
            Some((id, p)) if *id == ds => Arc::clone(p),
            _ => {
                let p = self
                    .ds(ds)?
                    .pipeline
                    .as_ref()
                    .map(|p| super::chunked::kept_filters(p, mask))
                    .ok_or_else(|| usage("internal: queued chunk of an unfiltered dataset"))?;
                let p = Arc::new(p);
                self.pool.last = Some((ds, Arc::clone(&p)));
                p
            }
        };
        if self.pool.jobs.is_none() {
            self.pool.start();
        }
        let seq = self.pool.next_seq;
        let len = data.len();
        let job = Job {
            seq,
            pipeline,
            data,
            at: self.eof,
        };
        let sent = self.pool.jobs.as_ref().map(|tx| tx.send(job).is_ok());
        if sent != Some(true) {
            return Err(usage("chunk encoder threads stopped"));
        }
        self.pool.next_seq += 1;
        self.pool.meta.insert(seq, (ds, origin, len, mask));
        self.pool.in_flight += len;
        // Write what is ready without waiting; wait only to keep memory bounded.
        self.write_encoded(false)?;
        while self.pool.in_flight > IN_FLIGHT {
            self.write_encoded(true)?;
        }
        Ok(())
    }

    /// Write every chunk in flight (all datasets) and index it: what must happen before
    /// anything reads an index or commits.
    pub(super) fn drain_pool(&mut self) -> Result<()> {
        while !self.pool.is_empty() {
            self.write_encoded(true)?;
        }
        Ok(())
    }

    /// Write the encoded chunks that are next in submission order; when `wait`, block until
    /// at least one has been written.
    fn write_encoded(&mut self, wait: bool) -> Result<()> {
        let mut must = wait;
        loop {
            let next = self.pool.next_write;
            let done = match self.pool.ready.remove(&next) {
                Some(d) => d,
                None => {
                    let Some(rx) = self.pool.results.as_ref() else {
                        return Ok(());
                    };
                    let got = if must {
                        rx.recv()
                            .map_err(|_| usage("chunk encoder threads stopped"))?
                    } else {
                        match rx.try_recv() {
                            Ok(d) => d,
                            Err(std::sync::mpsc::TryRecvError::Empty) => return Ok(()),
                            Err(_) => return Err(usage("chunk encoder threads stopped")),
                        }
                    };
                    self.pool.ready.insert(got.seq, got);
                    continue;
                }
            };
            let Some((ds, origin, len, mask)) = self.pool.meta.remove(&next) else {
                return Err(usage("internal: encoded chunk without a destination"));
            };
            self.pool.next_write += 1;
            self.pool.in_flight -= len;
            if self.pool.spare.len() < 4 {
                self.pool.spare.push(done.input);
            }
            let stored = done.stored?;
            let size = u32::try_from(stored.len()).map_err(|_| usage("chunk too big"))?;
            let addr = self.alloc_write(&stored)?;
            if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                c.index.insert(origin, ChunkRec { addr, size, mask });
            }
            must = false;
        }
    }
}
