//! Progress on standard error: an indicatif bar for work that can take more than a second,
//! hidden when standard error is not a terminal or with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-counting bar (hidden unless standard error is a terminal and not `quiet`).
pub fn bytes(total: u64, what: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), target(quiet));
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn target(quiet: bool) -> ProgressDrawTarget {
    if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

/// A spinner counting the bytes written, for work whose total is not known beforehand
/// (`load`: the JSON document is computed as it is written).
pub fn written(what: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, target(quiet));
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {bytes} written, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_string());
    pb
}

/// `inner`, every byte written counted on `pb`.
pub struct Counting<'a, W: std::io::Write> {
    /// Where the bytes go.
    pub inner: &'a mut W,
    /// The bar advanced by each write.
    pub pb: &'a ProgressBar,
}

impl<W: std::io::Write> std::io::Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pb.inc(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
