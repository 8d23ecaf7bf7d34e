//! The HDF5 writer (PyTables structure family by default).
