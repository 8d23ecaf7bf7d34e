//! Version 2 B-trees (in progress).
