//! Links a new file gets beyond one hard link per object: soft and external links, a
//! second hard link to an object already written, and the header address an object
//! reference stores. Soft and external links exist only as Link messages, so they need
//! groups of the 1.10 profile (`Profile::Hdf5V110`); a symbol-table group refuses them.
//! Their bodies go where the links of opened groups are kept as found (`links::LinkOrder`).
//! An object linked more than once gets a Reference Count message (HDF5 walks such
//! objects once, and a cycle terminates, only so): `Writer::more_links` counts the links
//! beyond the first.

use super::*;
use crate::hdf5::message::link::{encode_external_link, encode_soft_link};

impl Writer {
    /// Soft link `path` → `target` (a path in this file; need not exist).
    pub fn soft_link(&mut self, path: &str, target: &str) -> Result<()> {
        self.body_link(path, |name| encode_soft_link(name, target))
    }

    /// External link `path` → object `target` of the file `file`.
    pub fn external_link(&mut self, path: &str, file: &str, target: &str) -> Result<()> {
        self.body_link(path, |name| encode_external_link(name, file, target))
    }

    /// A second hard link `path` to the group or dataset at `existing` (the same object,
    /// not a copy). The object's header counts its links, which needs a v2 header (the
    /// HDF5 1.10 profile).
    pub fn hard_link(&mut self, path: &str, existing: &str) -> Result<()> {
        self.check()?;
        let child = self.resolve(existing)?;
        if self.header_version(child) != HeaderVersion::V2 || self.objs[child].ext.is_some() {
            return Err(Error::unsupported(
                format!("{path}: a second hard link needs an object of the HDF5 1.10 profile"),
                Some(self.objs[child].addr),
            ));
        }
        let (parent, name) = split_path(path)?;
        self.resolve(&parent)?;
        let pidx = self.group_idx(&parent)?;
        if self.objs[pidx].ext.is_some() {
            return Err(Error::unsupported(
                format!("{path}: a second hard link in a group of an opened file"),
                Some(self.objs[pidx].addr),
            ));
        }
        self.check_new_member(pidx, &name)?;
        self.link(pidx, &name, child)?;
        *self.more_links.entry(child).or_insert(0) += 1;
        let r = self.commit_header(child);
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// The Reference Count message (version 0, count) of an object linked more than once.
    pub(super) fn refcount_message(&self, idx: usize) -> Option<Vec<u8>> {
        let more = *self.more_links.get(&idx)?;
        let mut b = vec![0u8];
        b.extend_from_slice(&more.saturating_add(1).to_le_bytes());
        b.resize(8, 0);
        Some(b)
    }

    /// The object header address of the group or dataset at `path`: what an object
    /// reference to it stores.
    pub fn object_address(&mut self, path: &str) -> Result<u64> {
        let i = self.resolve(path)?;
        Ok(self.objs[i].addr)
    }

    fn body_link(&mut self, path: &str, body: impl FnOnce(&[u8]) -> Result<Vec<u8>>) -> Result<()> {
        self.check()?;
        let (pidx, name, _) = self.new_member(path)?;
        let o = &self.objs[pidx];
        let plain = matches!(&o.kind, Kind::Group(g) if g.compact && !g.order.tracked);
        if !plain || o.ext.is_some() {
            return Err(Error::unsupported(
                format!(
                    "{path}: soft and external links need a new group of the HDF5 1.10 profile \
                     (no creation order)"
                ),
                Some(o.addr),
            ));
        }
        let key = name.as_bytes().to_vec();
        let msg = body(&key)?;
        let entry = Entry {
            name_off: 0,
            header: UNDEF,
            cache: 0,
            scratch: [0; 16],
        };
        if let Kind::Group(g) = &mut self.objs[pidx].kind {
            g.entries.insert(key.clone(), entry);
            g.order
                .found
                .get_or_insert_with(BTreeMap::new)
                .insert(key.clone(), msg);
        }
        let r = self.commit_header(pidx);
        if r.is_err() {
            if let Kind::Group(g) = &mut self.objs[pidx].kind {
                g.entries.remove(&key);
                if let Some(f) = &mut g.order.found {
                    f.remove(&key);
                }
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::read::File;
    use crate::hdf5::write::MemWriteStorage;

    fn v110() -> WriteOptions {
        WriteOptions {
            profile: Profile::Hdf5V110,
            pytables: false,
            ..WriteOptions::default()
        }
    }

    /// Soft, external and second hard links, compact and dense (past 8 links), read back.
    #[test]
    fn soft_external_and_hard_links_read_back() {
        use crate::hdf5::read::{LinkKind, Node};
        for extra in [0usize, 20] {
            let m = MemWriteStorage::new();
            let mut w = Writer::with_storage(Box::new(m.clone()), v110()).unwrap();
            w.create_group("/g").unwrap();
            let d = w
                .create_dataset("/g/d", DatasetBuilder::new(Dtype::I32).shape(&[3]))
                .unwrap();
            w.write(&d, &[1i32, 2, 3]).unwrap();
            for i in 0..extra {
                w.create_group(&format!("/e{i:02}")).unwrap();
            }
            w.soft_link("/soft", "/g/d").unwrap();
            w.soft_link("/dangling", "/nowhere").unwrap();
            w.external_link("/ext", "other.h5", "/x/y").unwrap();
            w.hard_link("/again", "/g/d").unwrap();
            w.hard_link("/g/up", "/g").unwrap();
            assert!(w.soft_link("/soft", "/g").is_err());
            let addr = w.object_address("/g/d").unwrap();
            w.close().unwrap();
            let f = File::from_bytes(m.bytes()).unwrap();
            // HDF5 counts the links of an object linked twice (and walks a cycle once).
            let rc = |p: &str| f.get(p).unwrap().object().header.refcount;
            assert_eq!((rc("/g/d"), rc("/g"), rc("/soft")), (2, 2, 2));
            assert_eq!(rc("/"), 1);
            let links = f.root().unwrap().links().unwrap();
            let target = |n: &str| {
                links
                    .iter()
                    .find(|l| l.name == n)
                    .map(|l| l.kind.clone())
                    .unwrap()
            };
            assert_eq!(target("soft"), LinkKind::Soft("/g/d".into()));
            assert_eq!(target("dangling"), LinkKind::Soft("/nowhere".into()));
            assert_eq!(
                target("ext"),
                LinkKind::External {
                    file: "other.h5".into(),
                    path: "/x/y".into()
                }
            );
            assert_eq!(target("again"), LinkKind::Hard(addr));
            for p in ["/again", "/soft", "/g/up/d", "/g/up/up/d"] {
                let Node::Dataset(d) = f.get(p).unwrap() else {
                    panic!("{p}")
                };
                assert_eq!(d.read::<i32>().unwrap(), [1, 2, 3], "{p}");
            }
        }
        // Symbol-table groups cannot hold them.
        let m = MemWriteStorage::new();
        let mut w = Writer::with_storage(Box::new(m), WriteOptions::default()).unwrap();
        w.create_group("/g").unwrap();
        assert!(w.soft_link("/s", "/").is_err());
        assert!(w.external_link("/s", "f.h5", "/").is_err());
        assert!(w.hard_link("/s", "/g").is_err());
    }
}
