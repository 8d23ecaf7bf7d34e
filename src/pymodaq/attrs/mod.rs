//! PyMoDAQ attribute encodings: the JSON envelope around Python literals, and pickled log lines.
