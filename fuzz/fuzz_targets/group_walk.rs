//! Group walk: open the bytes as a file and list every group's links recursively (symbol
//! tables with B-tree v1 + local heap, compact links, dense links in fractal heap + B-tree
//! v2), opening each object and its attributes, without reading dataset values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::read::{File, Group, Node};
use pymodaq_h5::Limits;

fn walk(f: &File, g: &Group, depth: u32, budget: &mut u32) {
    if depth > 16 {
        return;
    }
    let _ = g.object().attributes();
    let Ok(links) = g.links() else {
        return;
    };
    for link in links {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let mut d = 0;
        match f.follow(g, &link, &mut d) {
            Ok(Node::Group(child)) => walk(f, &child, depth + 1, budget),
            Ok(Node::Dataset(ds)) => {
                let _ = ds.shape();
                let _ = ds.object().attributes();
            }
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::fuzzing();
    if let Ok(f) = File::from_bytes_with_limits(data.to_vec(), limits) {
        if let Ok(root) = f.root() {
            let mut budget = 2_000;
            walk(&f, &root, 0, &mut budget);
        }
    }
});
