//! Pickled log lines (placeholder).
