//! Object headers (v1 and v2): the messages of an object, their layout in chunk 0 and
//! continuation blocks, and the in-place header commit (step 3 of the commit order).

use super::*;

impl Writer {
    pub(super) fn essentials(&self, idx: usize) -> Result<Vec<(u16, Vec<u8>)>> {
        let o = &self.objs[idx];
        let mut ess = match &o.kind {
            Kind::Group(g) if g.compact => vec![
                (e110::msg::LINK_INFO, dense::info_body(o.dense.links)),
                (e110::msg::GROUP_INFO, e110::encode_group_info()),
            ],
            Kind::Group(g) => vec![(
                msg::SYMBOL_TABLE,
                encode::encode_symbol_table(g.btree, g.heap),
            )],
            Kind::Dataset(d) => {
                let mut v = Vec::new();
                let space = if d.dims.is_empty() {
                    Space::Scalar
                } else {
                    Space::Simple {
                        dims: d.dims.clone(),
                        max: d.has_max.then(|| d.max.clone()),
                    }
                };
                v.push((msg::DATASPACE, encode::encode_dataspace(&space)?));
                let mut dt = d.dt_body.clone();
                dt.resize(encode::pad8(dt.len()), 0);
                v.push((msg::DATATYPE, dt));
                let chunked = matches!(d.store, Store::Chunked(_));
                v.push((msg::FILL, encode::encode_fill_v2(chunked, &d.fill)?));
                if d.user_fill {
                    v.push((msg::FILL_OLD, encode::encode_fill_old(&d.fill)?));
                }
                let mut cdims;
                let lm = match &d.store {
                    Store::Compact(b) => LayoutMsg::Compact(b),
                    Store::Contiguous { addr, size } => LayoutMsg::Contiguous {
                        addr: *addr,
                        size: *size,
                    },
                    Store::Chunked(c) => {
                        cdims = c.chunk.clone();
                        cdims.push(d.elem as u64);
                        let v4 = match c.kind {
                            ChunkIdx::BTreeV1 => None,
                            ChunkIdx::Fixed => Some(Index110::Fixed),
                            ChunkIdx::Extensible(_) => Some(Index110::Extensible),
                        };
                        if let Some(ix) = v4 {
                            v.push((msg::LAYOUT, e110::encode_layout_v4(ix, c.root, &cdims)?));
                        }
                        LayoutMsg::Chunked {
                            btree: c.root,
                            dims: &cdims,
                        }
                    }
                };
                if !v.iter().any(|(t, _)| *t == msg::LAYOUT) {
                    v.push((msg::LAYOUT, encode::encode_layout(&lm)?));
                }
                if let Some(p) = &d.pipeline {
                    v.push((msg::PIPELINE, encode::encode_pipeline(p)?));
                }
                v
            }
        };
        if self.v110 || o.dense.v2 {
            ess.push((e110::msg::ATTR_INFO, dense::info_body(o.dense.attrs)));
        }
        Ok(ess)
    }

    /// Lay out the header; new continuation blocks are written at new space. Returns the
    /// chunk-0 bytes (prefix included) for the in-place step.
    pub(super) fn header_bytes(&mut self, idx: usize) -> Result<(u64, Vec<u8>)> {
        if self.objs[idx].ext.is_some() {
            return self.ext_header_bytes(idx);
        }
        self.prepare_dense(idx)?;
        if self.v110 || self.objs[idx].dense.v2 {
            return self.header_bytes_v2(idx);
        }
        let mut ess = self.essentials(idx)?;
        let in_slot = self.slot_split(idx, &mut ess);
        let o = &self.objs[idx];
        let cap0 = o.cap0;
        let msgs: Vec<(u16, &[u8])> = ess
            .iter()
            .map(|(t, b)| (*t, b.as_slice()))
            .chain(o.attrs.iter().map(|(_, b)| (msg::ATTRIBUTE, b.as_slice())))
            .collect();
        let total: usize = msgs.iter().map(|(_, b)| 8 + b.len()).sum();
        let mut c0 = Vec::with_capacity(cap0);
        let mut over = Vec::new();
        let mut n: usize = in_slot;
        if total <= cap0 {
            for (t, b) in &msgs {
                encode::push_message(&mut c0, *t, b);
                n += 1;
            }
        } else {
            let room = cap0 - 24;
            for (i, (t, b)) in msgs.iter().enumerate() {
                if i < ess.len() || (over.is_empty() && c0.len() + 8 + b.len() <= room) {
                    encode::push_message(&mut c0, *t, b);
                } else {
                    encode::push_message(&mut over, *t, b);
                }
                n += 1;
            }
            if c0.len() > room {
                return Err(usage(format!("{}: object header chunk overflow", o.path)));
            }
        }
        let cont = if over.is_empty() {
            None
        } else {
            match &o.cont {
                Some((a, content)) if *content == over => Some((*a, over)),
                _ => {
                    let a = self.alloc_write(&over)?;
                    if let Some((old, content)) = &self.objs[idx].cont {
                        let (old, n) = (*old, content.len() as u64);
                        self.free.release(!idx, old, n);
                    }
                    Some((a, over))
                }
            }
        };
        if let Some((a, content)) = &cont {
            encode::push_message(
                &mut c0,
                msg::CONTINUATION,
                &encode::encode_continuation(*a, content.len() as u64),
            );
            n += 1;
        }
        if c0.len() < cap0 {
            let gap = cap0 - c0.len();
            encode::push_message(&mut c0, msg::NIL, &vec![0u8; gap - 8]);
            n += 1;
        }
        let o = &mut self.objs[idx];
        o.cont = cont;
        let nm = u16::try_from(n).map_err(|_| usage("too many header messages"))?;
        let mut out = encode::encode_header_prefix(nm, cap0 as u32).to_vec();
        out.extend_from_slice(&c0);
        Ok((o.addr, out))
    }

    /// The v2 header (1.10 profile): chunk 0 of `cap0` message bytes holds the fixed
    /// messages, then links and attributes while they fit (24 bytes kept for a
    /// continuation message), the rest goes to one `OCHK` block written afresh when it
    /// changes; unused space is NIL messages (or a gap under 4 bytes).
    pub(super) fn header_bytes_v2(&mut self, idx: usize) -> Result<(u64, Vec<u8>)> {
        let mut ess = self.essentials(idx)?;
        self.slot_split(idx, &mut ess);
        let o = &self.objs[idx];
        let links: Vec<Vec<u8>> = match &o.kind {
            Kind::Group(g) if g.compact && o.dense.links.is_none() => g
                .entries
                .iter()
                .map(|(k, e)| e110::encode_link(k, e.header))
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        let cap0 = o.cap0;
        let msgs: Vec<(u16, &[u8])> = ess
            .iter()
            .map(|(t, b)| (*t, b.as_slice()))
            .chain(links.iter().map(|b| (e110::msg::LINK, b.as_slice())))
            .chain(
                o.attrs
                    .iter()
                    .filter(|_| o.dense.attrs.is_none())
                    .map(|(_, b)| (msg::ATTRIBUTE, b.as_slice())),
            )
            .collect();
        let size = |b: &[u8]| e110::MSG_HEADER_V2 + b.len();
        let total: usize = msgs.iter().map(|(_, b)| size(b)).sum();
        let mut c0 = Vec::with_capacity(cap0);
        let mut over = Vec::new();
        if total <= cap0 {
            for (t, b) in &msgs {
                e110::push_message_v2(&mut c0, *t, b)?;
            }
        } else {
            let room = cap0.saturating_sub(e110::MSG_HEADER_V2 + 16);
            for (i, (t, b)) in msgs.iter().enumerate() {
                if i < ess.len() || (over.is_empty() && c0.len() + size(b) <= room) {
                    e110::push_message_v2(&mut c0, *t, b)?;
                } else {
                    e110::push_message_v2(&mut over, *t, b)?;
                }
            }
            if c0.len() > room {
                return Err(usage(format!("{}: object header chunk overflow", o.path)));
            }
        }
        let cont = if over.is_empty() {
            None
        } else {
            match &o.cont {
                Some((a, content)) if *content == over => Some((*a, over)),
                _ => {
                    let a = self.alloc_write(&e110::encode_ochk(&over))?;
                    if let Some((old, content)) = &self.objs[idx].cont {
                        // OCHK: signature and checksum around the messages.
                        let (old, n) = (*old, content.len() as u64 + 8);
                        self.free.release(!idx, old, n);
                    }
                    Some((a, over))
                }
            }
        };
        if let Some((a, content)) = &cont {
            let len = content.len() as u64 + 8;
            e110::push_message_v2(
                &mut c0,
                msg::CONTINUATION,
                &encode::encode_continuation(*a, len),
            )?;
        }
        e110::fill_nil_v2(&mut c0, cap0);
        let o = &mut self.objs[idx];
        o.cont = cont;
        Ok((o.addr, e110::encode_ohdr(&c0)?))
    }

    /// Rewrite an object's header following the commit order.
    pub(super) fn commit_header(&mut self, idx: usize) -> Result<()> {
        let (addr, bytes) = self.header_bytes(idx)?;
        self.publish_eof()?;
        self.put(addr, &bytes)?;
        // The continuation block it replaced (released under `!idx`) is unreferenced now.
        self.free.stage(!idx);
        self.after_commit();
        Ok(())
    }
}
