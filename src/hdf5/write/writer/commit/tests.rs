//! Commit pages: slot packing per profile, adoption of both slot layouts, acquisitions
//! announced by `Writer::begin_acquisition`.

use super::*;
use crate::hdf5::read::File;
use crate::hdf5::write::{DatasetBuilder, Dtype};
use crate::storage::WriteStorage;

/// How the datasets of one acquisition are shaped: appended rows (first dimension
/// unlimited) or a pre-sized scan; rank 1 (0D channels) or 2 (rows of 5).
#[derive(Clone, Copy, Debug)]
struct Shape {
    appended: bool,
    rank: usize,
    /// Pre-sized with room to grow (maximum dims 24 rows): dims may change.
    room: bool,
}

/// Slot bytes of one dataset and the most datasets created together whose slots
/// share one page; the file written then reads back.
fn packing(profile: Profile, s: Shape, legacy: bool) -> (u64, usize) {
    let (m, mut w) = Writer::in_memory(profile);
    w.commit.legacy_layout = legacy;
    let row: &[u64] = if s.rank == 1 { &[] } else { &[5] };
    // An acquisition whose commit area is a whole page (areas start wherever the end of
    // file is, so most first areas are part of a page).
    let start = w.eof.div_ceil(PAGE) * PAGE;
    w.eof = start + PAGE;
    w.commit.area = Some((start, start + PAGE));
    let mut ids = Vec::new();
    for i in 0..300 {
        let mut shape = vec![if s.appended { 0 } else { 12 }];
        shape.extend_from_slice(row);
        let mut max = vec![match (s.appended, s.room) {
            (true, _) => None,
            (false, false) => Some(12),
            (false, true) => Some(24),
        }];
        max.extend(row.iter().map(|r| Some(*r)));
        let mut chunks = vec![4];
        chunks.extend_from_slice(row);
        let b = DatasetBuilder::new(Dtype::F64)
            .shape(&shape)
            .max_shape(&max)
            .chunks(&chunks);
        ids.push(w.create_dataset(&format!("/d{i:03}"), b).unwrap());
    }
    let slot = |id: &DatasetId| w.commit.slots[&id.0];
    let one = slot(&ids[1]);
    let size = pad8(one.len) as u64 + w.array_header_len(ids[1].0) as u64;
    for id in &ids {
        let s = slot(id);
        assert_eq!(
            s.addr / SECTOR,
            (s.addr + size - 1) / SECTOR,
            "slot crosses a sector"
        );
    }
    let per_page = ids
        .iter()
        .filter(|id| slot(id).addr / PAGE == start / PAGE)
        .count();
    let n = 5 * row.iter().product::<u64>() as usize;
    for (k, id) in ids.iter().enumerate().take(40) {
        let v: Vec<f64> = (0..n).map(|j| (k * 100 + j) as f64).collect();
        if s.appended {
            w.append(id, &v).unwrap();
        } else {
            let r: Vec<std::ops::Range<u64>> = std::iter::once(0..5)
                .chain(row.iter().map(|x| 0..*x))
                .collect();
            w.write_slice(id, &r, &v).unwrap();
        }
    }
    w.close().unwrap();
    let f = File::from_bytes(m.bytes()).unwrap();
    for k in [0usize, 39] {
        let v: Vec<f64> = f.dataset(&format!("/d{k:03}")).unwrap().read().unwrap();
        let want: Vec<f64> = (0..n).map(|j| (k * 100 + j) as f64).collect();
        assert_eq!(
            v.get(..n),
            Some(want.as_slice()),
            "{profile:?} {s:?} /d{k:03}"
        );
    }
    (size, per_page)
}

/// The atomic unit of a flush is a page (spec/hdf5-write.md, "Commit pages"): how many
/// datasets of one acquisition it commits, per profile and shape. Exact numbers, so a
/// slot that grows fails here.
#[test]
fn datasets_per_commit_page() {
    // (profile, earlier 1.10 layout, appended, rank, slot bytes, datasets per page)
    // (profile, earlier 1.10 layout, appended, room, rank, slot bytes, datasets per page)
    let cases = [
        // PyTables: dataspace + layout (v1 B-tree root) in a v1 continuation block.
        (Profile::PyTables, false, true, false, 1, 64, 64),
        (Profile::PyTables, false, true, false, 2, 80, 48),
        (Profile::PyTables, false, false, false, 1, 64, 64),
        (Profile::PyTables, false, false, false, 2, 80, 48),
        // 1.10: dataspace `OCHK` + `EAHD` (appended), `FAHD` alone (pre-sized), dataspace
        // `OCHK` + `FAHD` (pre-sized, dims may grow).
        (Profile::Hdf5V110, false, true, false, 1, 112, 32),
        (Profile::Hdf5V110, false, true, false, 2, 128, 32),
        (Profile::Hdf5V110, false, false, false, 1, 28, 144),
        (Profile::Hdf5V110, false, false, false, 2, 28, 144),
        (Profile::Hdf5V110, false, false, true, 1, 68, 56),
        (Profile::Hdf5V110, false, false, true, 2, 84, 48),
        // The earlier 1.10 layout (layout message in the slot too), for the record.
        (Profile::Hdf5V110, true, true, false, 1, 136, 24),
        (Profile::Hdf5V110, true, true, false, 2, 152, 24),
        (Profile::Hdf5V110, true, false, false, 1, 92, 40),
        (Profile::Hdf5V110, true, false, false, 2, 108, 32),
    ];
    let mut got = Vec::new();
    for (p, legacy, appended, room, rank, _, _) in cases {
        let (size, n) = packing(
            p,
            Shape {
                appended,
                rank,
                room,
            },
            legacy,
        );
        got.push((p, legacy, appended, room, rank, size, n));
    }
    let want: Vec<_> = cases.to_vec();
    assert_eq!(got, want);
    // What `record` warns about: rank-1 appended datasets per page.
    for p in [Profile::PyTables, Profile::Hdf5V110] {
        let (_, w) = Writer::in_memory(p);
        let measured = got
            .iter()
            .find(|g| g.0 == p && !g.1 && g.2 && !g.3 && g.4 == 1)
            .map(|g| g.6);
        assert_eq!(Some(w.acquisition_capacity()), measured, "{p:?}");
    }
}

/// Files written before the layout of array indexes stayed in chunk 0 (their slot:
/// dataspace and layout, then the array header) and files written since are both
/// adopted when reopened: rows are committed through the slot, chunk 0 untouched.
#[test]
fn slots_of_both_layouts_are_adopted() {
    for legacy in [true, false] {
        for appended in [true, false] {
            let what = format!("legacy {legacy} appended {appended}");
            let (m, mut w) = Writer::in_memory(Profile::Hdf5V110);
            w.commit.legacy_layout = legacy;
            let b = DatasetBuilder::new(Dtype::F64).chunks(&[4]);
            let b = if appended {
                b.shape(&[0]).max_shape(&[None])
            } else {
                b.shape(&[12])
            };
            let id = w.create_dataset("/a", b).unwrap();
            let rows =
                |r: std::ops::Range<usize>| -> Vec<f64> { r.map(|i| i as f64 * 1.5).collect() };
            let put = |w: &mut Writer, r: std::ops::Range<usize>| {
                if appended {
                    w.append(&id, &rows(r)).unwrap();
                } else {
                    let at = r.start as u64..r.end as u64;
                    w.write_slice(&id, &[at], &rows(r)).unwrap();
                }
            };
            put(&mut w, 0..5);
            w.close().unwrap();
            let m2 = crate::storage::MemWriteStorage::new();
            m2.clone().write_at(0, &m.bytes()).unwrap();
            let mut w =
                Writer::open_with_storage(Box::new(m2.clone()), WriteOptions::default()).unwrap();
            let id = w.open_dataset("/a").unwrap();
            let holds = w.commit.slots.get(&id.0).map(|s| s.holds);
            let want = match (legacy, appended) {
                (true, true) => Holds::Both,
                (false, true) => Holds::Space,
                // A fixed array's header alone: its dims never change.
                (_, false) => Holds::Header,
            };
            assert_eq!(holds, Some(want), "{what}");
            let o = &w.objs[id.0];
            let h = o.ext.as_ref().unwrap();
            let n = h.v2_prefix.as_ref().unwrap().len() + h.chunks[0].size() + 4;
            let at = o.addr as usize;
            let before = m2.bytes()[at..at + n].to_vec();
            put(&mut w, 5..9);
            w.flush().unwrap();
            assert_eq!(m2.bytes()[at..at + n], before, "{what}: chunk 0 rewritten");
            w.close().unwrap();
            let f = File::from_bytes(m2.bytes()).unwrap();
            let v: Vec<f64> = f.dataset("/a").unwrap().read().unwrap();
            assert_eq!(v.get(..9), Some(rows(0..9).as_slice()), "{what}");
        }
    }
}

/// Pages holding the slots of `n` appended rank-1 datasets created after an acquisition of
/// `first` ones (committed), announced or not.
fn second_acquisition_pages(profile: Profile, first: usize, n: usize, announce: bool) -> Vec<u64> {
    let (m, mut w) = Writer::in_memory(profile);
    let create = |w: &mut Writer, name: String| {
        let b = DatasetBuilder::new(Dtype::F64)
            .shape(&[0])
            .max_shape(&[None])
            .chunks(&[4]);
        w.create_dataset(&name, b).unwrap()
    };
    for i in 0..first {
        let id = create(&mut w, format!("/a{i:03}"));
        w.append(&id, &[1.0f64]).unwrap();
    }
    w.flush().unwrap();
    if announce {
        w.begin_acquisition(n);
    }
    let ids: Vec<_> = (0..n)
        .map(|i| create(&mut w, format!("/b{i:03}")))
        .collect();
    for id in &ids {
        w.append(id, &[2.0f64]).unwrap();
    }
    w.flush().unwrap();
    let mut pages: Vec<u64> = ids
        .iter()
        .map(|id| {
            let s = w.commit.slots[&id.0];
            let size = pad8(s.len) as u64 + w.array_header_len(id.0) as u64;
            assert_eq!(
                s.addr / PAGE,
                (s.addr + size - 1) / PAGE,
                "slot crosses a page"
            );
            s.addr / PAGE
        })
        .collect();
    w.close().unwrap();
    let f = File::from_bytes(m.bytes()).unwrap();
    for i in 0..n {
        let v: Vec<f64> = f.dataset(&format!("/b{i:03}")).unwrap().read().unwrap();
        assert_eq!(v, [2.0]);
    }
    pages.dedup();
    pages
}

/// An acquisition created when the current commit page has room for only part of it is
/// split over two pages (two writes: a kill between them tears it); announced with
/// `begin_acquisition`, it gets a fresh page and one write. The first acquisition leaves
/// one sector of the page free: 4 slots of 112 bytes (1.10, appended), 8 of 64 (PyTables).
#[test]
fn an_announced_acquisition_gets_one_page() {
    for (profile, first, n) in [(Profile::Hdf5V110, 26, 6), (Profile::PyTables, 52, 10)] {
        let split = second_acquisition_pages(profile, first, n, false);
        assert_eq!(split.len(), 2, "{profile:?}: unannounced: {split:?}");
        let whole = second_acquisition_pages(profile, first, n, true);
        assert_eq!(whole.len(), 1, "{profile:?}: announced: {whole:?}");
        // An acquisition that fits in the room left stays in the current page.
        let small = second_acquisition_pages(profile, first, 3, true);
        let before = second_acquisition_pages(profile, first, 3, false);
        assert_eq!(small, before, "{profile:?}: 3 datasets");
    }
}
