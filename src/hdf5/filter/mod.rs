//! Filters of the pipeline (spec IV.A.2.l).
