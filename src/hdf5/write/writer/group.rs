//! Groups: new objects and their parent links (symbol-table entries in the local heap
//! and v1 B-tree, or Link messages in the 1.10 profile), group commits.

use super::*;
use crate::hdf5::local_heap;

/// Chunk-0 room left for attributes after the fixed messages.
const ATTR_SLACK: usize = 512;

impl Writer {
    pub(super) fn new_group_object(
        &mut self,
        path: String,
        attrs: &[(&str, AttrValue)],
    ) -> Result<usize> {
        // Groups tracking creation order are link-message groups in both profiles (v2
        // headers, as libhdf5 writes h5py's `track_order` groups in superblock-v0 files).
        if self.profile.groups() == GroupFormat::Links || self.track_order {
            let order = links::LinkOrder {
                tracked: self.track_order,
                indexed: self.track_order,
                ..Default::default()
            };
            let g = Grp::of_links(BTreeMap::new(), order);
            return self.new_object(path, Kind::Group(g), attrs);
        }
        // Local heap: header + data segment holding the empty string at offset 0, then
        // the free block.
        let s = self.sizes;
        let seg_cap = 256u64;
        let heap_data = vec![0u8; 8];
        let hlen = local_heap::header_size(s) as usize;
        let heap = self.alloc(hlen);
        let seg_addr = self.alloc(seg_cap as usize);
        let (mut hb, seg) = heap_layout(s, &heap_data, seg_cap, seg_addr)?;
        hb.resize(pad8(hlen), 0);
        self.put(heap, &hb)?;
        self.put(seg_addr, &seg)?;
        // Group B-tree keys are offsets into the local heap: lengths.
        let bsize = btree_node_size(s, s.l(), self.k.internal);
        let root = encode_btree_node(
            s,
            0,
            0,
            &[Encoder::sized(s).length(0).take()],
            &[],
            s.l(),
            self.k.internal,
        );
        let btree = self.alloc(bsize);
        self.put(btree, &root)?;
        let g = Grp {
            btree,
            heap,
            seg_addr,
            seg_cap,
            heap_written: heap_data.len() as u64,
            heap_data,
            entries: BTreeMap::new(),
            cache: HashMap::new(),
            refuse: None,
            compact: false,
            order: Default::default(),
        };
        self.new_object(path, Kind::Group(g), attrs)
    }

    pub(super) fn new_object(
        &mut self,
        path: String,
        kind: Kind,
        attrs: &[(&str, AttrValue)],
    ) -> Result<usize> {
        let idx = self.objs.len();
        let kind_compact = match &kind {
            Kind::Group(g) => Some(g.compact),
            Kind::Dataset(_) => None,
        };
        self.objs.push(Obj {
            path: path.clone(),
            addr: UNDEF,
            cap0: 0,
            cont: None,
            attrs: Vec::new(),
            kind,
            ext: None,
            dense: dense::Dense {
                v2: self.profile.object_header() == HeaderVersion::V2
                    || matches!(&kind_compact, Some(true)),
                ..Default::default()
            },
        });
        let mut bodies = Vec::new();
        for (n, v) in attrs {
            bodies.push((n.to_string(), self.attr_body(n, v)?));
        }
        let hv = self.header_version(idx);
        let ess: usize = self
            .essentials(idx)?
            .iter()
            .map(|(_, b)| hv.message_len(b.len()))
            .sum();
        let attr_len: usize = bodies
            .iter()
            .filter(|(_, b)| !Self::attr_is_big(b))
            .map(|(_, b)| hv.message_len(b.len()))
            .sum();
        let cap0 = pad8(ess + 24 + attr_len.max(ATTR_SLACK));
        let addr = self.alloc(hv.header_len(cap0));
        let o = &mut self.objs[idx];
        o.addr = addr;
        o.cap0 = cap0;
        o.attrs = bodies;
        if self.wants_slot(idx) {
            self.alloc_slot(idx)?;
        }
        let (a, bytes) = self.header_bytes(idx)?;
        self.put(a, &bytes)?;
        self.paths.insert(path, idx);
        Ok(idx)
    }

    pub(super) fn group_entry(&self, idx: usize, name_off: u64) -> Result<Entry> {
        let o = &self.objs[idx];
        let mut scratch = [0u8; 16];
        let cache = match &o.kind {
            // Link-message groups have no symbol table to cache.
            Kind::Group(g) if !g.compact => {
                scratch = Entry::stab_scratch(self.sizes, g.btree, g.heap);
                1
            }
            _ => 0,
        };
        Ok(Entry {
            name_off,
            header: o.addr,
            cache,
            scratch,
        })
    }

    /// Where the new member `path` goes: (parent group, member name, full path); refused
    /// when the parent is no group or the name is taken.
    pub(super) fn new_member(&mut self, path: &str) -> Result<(usize, String, String)> {
        let (parent, name) = split_path(path)?;
        self.resolve(&parent)?;
        let pidx = self.group_idx(&parent)?;
        self.check_new_member(pidx, &name)?;
        let full = crate::hdf5::read::file::join_path(&parent, &name);
        if self.paths.contains_key(&full) {
            return Err(usage(format!("{full} already exists")));
        }
        Ok((pidx, name, full))
    }

    /// The attributes PyTables gives a new group (none outside its conventions).
    fn group_attrs(&self, title: &str) -> Vec<(&'static str, AttrValue)> {
        use crate::hdf5::write::pytables::{GROUP_CLASS, GROUP_VERSION};
        if !self.pytables {
            return Vec::new();
        }
        vec![
            ("CLASS", AttrValue::Ascii(GROUP_CLASS.into())),
            ("TITLE", AttrValue::Str(title.into())),
            ("VERSION", AttrValue::Ascii(GROUP_VERSION.into())),
        ]
    }

    pub(super) fn group_idx(&self, path: &str) -> Result<usize> {
        let p = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        match self.paths.get(p) {
            Some(&i) if matches!(self.objs[i].kind, Kind::Group(_)) => Ok(i),
            Some(_) => Err(usage(format!("{path}: not a group"))),
            None => Err(usage(format!("{path}: no such group"))),
        }
    }

    /// Link `child` (an object index) as `name` in group `gidx`, commit order included.
    pub(super) fn link(&mut self, gidx: usize, name: &str, child: usize) -> Result<()> {
        let key = name.as_bytes().to_vec();
        let Kind::Group(g) = &self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        if let Some(why) = &g.refuse {
            return Err(Error::unsupported(why.clone(), Some(self.objs[gidx].addr)));
        }
        if g.entries.contains_key(&key) {
            return Err(usage(format!("{name:?} already exists")));
        }
        if g.compact {
            let header = self.objs[child].addr;
            encode_link(self.sizes, &key, header)?; // refuse before anything changes
            self.ext_add_link(gidx, &key, header)?;
            let entry = Entry {
                name_off: 0,
                header,
                cache: 0,
                scratch: [0; 16],
            };
            if let Kind::Group(g) = &mut self.objs[gidx].kind {
                g.entries.insert(key.clone(), entry);
            }
            let r = self.commit_header(gidx);
            if r.is_err() {
                if let Kind::Group(g) = &mut self.objs[gidx].kind {
                    g.entries.remove(&key);
                }
            }
            return r;
        }
        // Name into the heap: in place, in the free block ending the segment (written by
        // the commit, once the heap header no longer calls that place free), or a new
        // bigger segment.
        let mut nb = key.clone();
        nb.push(0);
        nb.resize(pad8(nb.len()), 0);
        let (used, seg_addr, seg_cap) = (g.heap_data.len() as u64, g.seg_addr, g.seg_cap);
        let need = used + nb.len() as u64;
        let mut data = g.heap_data.clone();
        data.extend_from_slice(&nb);
        let (new_addr, new_cap) = if need <= seg_cap {
            (seg_addr, seg_cap)
        } else {
            // Room for the free block HDF5 needs after the names, and for later names.
            let cap = (need + local_heap::free_block(self.sizes)).max(seg_cap.saturating_mul(2));
            let (_, seg) = heap_layout(self.sizes, &data, cap, UNDEF)?;
            (self.alloc_write(&seg)?, cap)
        };
        let entry = self.group_entry(child, used)?;
        let Kind::Group(g) = &mut self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        if new_addr != seg_addr {
            g.heap_written = data.len() as u64;
        }
        g.heap_data = data;
        g.seg_addr = new_addr;
        g.seg_cap = new_cap;
        g.entries.insert(key, entry);
        self.commit_group(gidx)?;
        if new_addr != seg_addr && seg_addr != UNDEF {
            // The outgrown segment (ours, or the file's own in an opened file) is
            // unreferenced once the heap header names the new one: freed under the
            // group's index (datasets use theirs, headers the complement).
            for (a, l) in super::dense::aligned_within(vec![(seg_addr, seg_cap)]) {
                self.free.release(gidx, a, l);
            }
            self.free.stage(gidx);
            self.after_commit();
        }
        Ok(())
    }

    /// Write SNODs and non-root B-tree nodes at new space, then heap header and root.
    pub(super) fn commit_group(&mut self, gidx: usize) -> Result<()> {
        let Kind::Group(g) = &mut self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        let entries: Vec<Entry> = g.entries.values().copied().collect();
        let mut cache = std::mem::take(&mut g.cache);
        let (heap, btree, seg_addr, seg_cap) = (g.heap, g.btree, g.seg_addr, g.seg_cap);
        let (used, written) = (g.heap_data.len(), to_usize(g.heap_written)?);
        let unwritten = g.heap_data.get(written..).unwrap_or_default().to_vec();
        let (head, seg) = heap_layout(self.sizes, &g.heap_data, seg_cap, seg_addr)?;
        let free_block = seg.get(used..).unwrap_or_default();
        let fb = local_heap::free_block(self.sizes) as usize;
        let free_block = free_block
            .get(..free_block.len().min(fb))
            .unwrap_or_default()
            .to_vec();
        g.heap_written = used as u64;
        self.commit.touched = Some(Vec::new());
        let built = self.group_tree(&mut cache, &entries);
        let live: std::collections::HashSet<u64> = self
            .commit
            .touched
            .take()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let root = built?;
        // SNODs and nodes of earlier commits the new tree no longer uses: freed once the
        // root naming the new ones is written.
        let dead: Vec<(u64, u64)> = cache
            .iter()
            .filter(|(_, a)| !live.contains(a))
            .map(|(b, a)| (*a, b.len() as u64))
            .collect();
        cache.retain(|_, a| live.contains(a));
        if let Kind::Group(g) = &mut self.objs[gidx].kind {
            g.cache = cache;
        }
        self.publish_eof()?;
        // The heap: its new free block first (inside the committed free block, or past the
        // committed segment size: no committed state reads it), then the header naming it,
        // then the new names (where the committed header saw free space); the root last.
        if !free_block.is_empty() {
            self.put(seg_addr + used as u64, &free_block)?;
        }
        self.put(heap, &head)?;
        if !unwritten.is_empty() {
            self.put(seg_addr + written as u64, &unwritten)?;
        }
        self.put(btree, &root)?;
        if !dead.is_empty() {
            for (a, l) in dead {
                self.free.release(gidx, a, l);
            }
            self.free.stage(gidx);
            self.after_commit();
        }
        Ok(())
    }

    /// The SNODs (written, or reused when identical) and the root node bytes of a group
    /// holding `entries`.
    fn group_tree(
        &mut self,
        cache: &mut HashMap<Vec<u8>, u64>,
        entries: &[Entry],
    ) -> Result<Vec<u8>> {
        let s = self.sizes;
        let key = |off: u64| Encoder::sized(s).length(off).take();
        let mut level: Vec<(Vec<u8>, Vec<u8>, u64)> = Vec::new();
        let mut lo = 0u64;
        for snod in entries.chunks(2 * self.k.leaf) {
            let bytes = encode_snod_k(s, snod, self.k.leaf);
            let a = self.cached_write(cache, bytes)?;
            let hi = snod.last().map(|e| e.name_off).unwrap_or(0);
            level.push((key(lo), key(hi), a));
            lo = hi;
        }
        // Group B-tree keys are heap offsets (lengths).
        self.build_tree(cache, 0, level, s.l(), self.k.internal)
    }

    /// Create a group at `path` (its parent must exist).
    pub fn create_group(&mut self, path: &str) -> Result<()> {
        self.create_group_titled(path, "")
    }

    /// Create a group with a PyTables TITLE.
    pub fn create_group_titled(&mut self, path: &str, title: &str) -> Result<()> {
        self.check()?;
        let (pidx, name, full) = self.new_member(path)?;
        let attrs = self.group_attrs(title);
        let idx = self.new_group_object(full, &attrs)?;
        self.link(pidx, &name, idx)
    }
}

/// Creating many groups at once (`create_groups`): each parent's index rewritten once.
impl Writer {
    /// Create the groups at `paths` (parents first; each parent must exist or come earlier
    /// in `paths`), committing each parent group once: a group of 100,000 members is one
    /// rewrite of its index, not 100,000.
    pub fn create_groups(&mut self, paths: &[&str]) -> Result<()> {
        self.check()?;
        let mut touched: Vec<usize> = Vec::new();
        for path in paths {
            let (pidx, name, full) = self.new_member(path)?;
            let attrs = self.group_attrs("");
            let idx = self.new_group_object(full, &attrs)?;
            self.stage_link(pidx, name.as_bytes(), idx)?;
            if !touched.contains(&pidx) {
                touched.push(pidx);
            }
        }
        for pidx in touched {
            let compact = matches!(&self.objs[pidx].kind, Kind::Group(g) if g.compact);
            if compact {
                self.commit_header(pidx)?;
            } else {
                self.commit_staged_names(pidx)?;
            }
        }
        Ok(())
    }

    /// Add a member to a group's index without committing (`create_groups`).
    fn stage_link(&mut self, gidx: usize, key: &[u8], child: usize) -> Result<()> {
        let header = self.objs[child].addr;
        let Kind::Group(g) = &self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        if let Some(why) = &g.refuse {
            return Err(Error::unsupported(why.clone(), Some(self.objs[gidx].addr)));
        }
        if g.entries.contains_key(key) {
            return Err(usage(format!(
                "{:?} already exists",
                String::from_utf8_lossy(key)
            )));
        }
        let entry = if g.compact {
            encode_link(self.sizes, key, header)?;
            self.ext_add_link(gidx, key, header)?;
            Entry {
                name_off: 0,
                header,
                cache: 0,
                scratch: [0; 16],
            }
        } else {
            // The name goes to the local heap image; `commit_staged_names` writes it.
            let used = g.heap_data.len() as u64;
            let e = self.group_entry(child, used)?;
            let Kind::Group(g) = &mut self.objs[gidx].kind else {
                return Err(usage("not a group"));
            };
            let mut nb = key.to_vec();
            nb.push(0);
            nb.resize(pad8(nb.len()), 0);
            g.heap_data.extend_from_slice(&nb);
            e
        };
        if let Kind::Group(g) = &mut self.objs[gidx].kind {
            g.entries.insert(key.to_vec(), entry);
        }
        Ok(())
    }

    /// Symbol-table group: the whole local heap image to a new segment, then the index.
    fn commit_staged_names(&mut self, gidx: usize) -> Result<()> {
        let Kind::Group(g) = &self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        let used = g.heap_data.len() as u64;
        let (old_addr, old_cap) = (g.seg_addr, g.seg_cap);
        let cap = (used + local_heap::free_block(self.sizes)).max(old_cap.saturating_mul(2));
        let (_, seg) = heap_layout(self.sizes, &g.heap_data, cap, UNDEF)?;
        let a = self.alloc_write(&seg)?;
        if let Kind::Group(g) = &mut self.objs[gidx].kind {
            g.seg_addr = a;
            g.seg_cap = cap;
            g.heap_written = used;
        }
        self.commit_group(gidx)?;
        // The old segment is unreferenced once the heap header names the new one.
        if old_addr != UNDEF {
            for (a, l) in super::dense::aligned_within(vec![(old_addr, old_cap)]) {
                self.free.release(gidx, a, l);
            }
            self.free.stage(gidx);
            self.after_commit();
        }
        Ok(())
    }
}

/// The local heap header and data segment image of a segment of `cap` bytes at `seg_addr`
/// holding `names`: past them, the free block (HDF5's free list) where later names go in
/// place, when the rest holds one; else the header declares only the names.
fn heap_layout(s: Sizes, names: &[u8], cap: u64, seg_addr: u64) -> Result<(Vec<u8>, Vec<u8>)> {
    let used = names.len() as u64;
    if !s.length_fits(cap.max(used)) {
        return Err(usage(format!(
            "a group's names need a local heap of {} bytes, more than the file's {}-byte \
             lengths hold",
            cap.max(used),
            s.lengths
        )));
    }
    let mut seg = names.to_vec();
    let head = match cap.checked_sub(used) {
        Some(rest) if rest >= local_heap::free_block(s) => {
            seg.extend_from_slice(&local_heap::encode_free_block(s, rest));
            local_heap::encode_local_heap_free(s, cap, used, seg_addr)
        }
        _ => encode_local_heap(s, used, seg_addr),
    };
    seg.resize(to_usize(cap.max(used))?, 0);
    Ok((head, seg))
}
