//! v1 B-trees (group nodes and chunk indexes): node building, identical nodes reused.

use super::*;

impl Writer {
    pub(super) fn cached_write(
        &mut self,
        cache: &mut HashMap<Vec<u8>, u64>,
        bytes: Vec<u8>,
    ) -> Result<u64> {
        let a = match cache.get(&bytes) {
            Some(a) => *a,
            None => {
                let a = self.alloc_write(&bytes)?;
                cache.insert(bytes, a);
                a
            }
        };
        if let Some(t) = &mut self.commit.touched {
            t.push(a);
        }
        Ok(a)
    }

    /// Build a v1 B-tree over `level` (lo key, hi key, child) entries; non-root nodes are
    /// written (or reused); returns the root node bytes.
    pub(super) fn build_tree(
        &mut self,
        cache: &mut HashMap<Vec<u8>, u64>,
        node_type: u8,
        mut level: Vec<(Vec<u8>, Vec<u8>, u64)>,
        key_size: usize,
        k: usize,
    ) -> Result<Vec<u8>> {
        let mut depth = 0u8;
        loop {
            if level.len() <= 2 * k {
                let mut keys = Vec::with_capacity(level.len() + 1);
                match level.first() {
                    Some(f) => keys.push(f.0.clone()),
                    None => keys.push(vec![0u8; key_size]),
                }
                keys.extend(level.iter().map(|e| e.1.clone()));
                let children: Vec<u64> = level.iter().map(|e| e.2).collect();
                return Ok(encode_btree_node(
                    self.sizes, node_type, depth, &keys, &children, key_size, k,
                ));
            }
            let mut next = Vec::new();
            for node in level.chunks(2 * k) {
                let mut keys = vec![node[0].0.clone()];
                keys.extend(node.iter().map(|e| e.1.clone()));
                let children: Vec<u64> = node.iter().map(|e| e.2).collect();
                let bytes =
                    encode_btree_node(self.sizes, node_type, depth, &keys, &children, key_size, k);
                let a = self.cached_write(cache, bytes)?;
                let lo = node[0].0.clone();
                let hi = node[node.len() - 1].1.clone();
                next.push((lo, hi, a));
            }
            level = next;
            depth = depth
                .checked_add(1)
                .ok_or_else(|| usage("B-tree too deep"))?;
        }
    }
}
