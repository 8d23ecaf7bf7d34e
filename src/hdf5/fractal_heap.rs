//! Fractal heaps (in progress).
