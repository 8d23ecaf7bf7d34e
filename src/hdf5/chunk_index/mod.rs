//! Chunk indexes (spec VII, and the v1 B-tree of III.A.1).
