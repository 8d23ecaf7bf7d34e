//! What a finished write promises to survive ([`super::WriteOptions::durability`]).

/// What [`super::Writer::close`] makes the file survive.
///
/// Under both, every [`super::Writer::flush`] and `close` leaves a file that opens with
/// every acknowledged row whenever the writing process is killed (the commit order of
/// module `writer::commit`); [`super::Writer::sync`] adds an `fsync` at any point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Crash-consistent against a killed process: the bytes are handed to the operating
    /// system and `close` does not `fsync` (what h5py and PyTables do). A power loss or an
    /// operating-system crash soon after may lose the last writes.
    Flush,
    /// Also against power loss: `close` ends with an `fsync` of the file.
    #[default]
    Sync,
}
