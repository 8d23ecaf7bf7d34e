//! Walking a group's tree link by link, for listings (`tree`) that show every link kind.
//!
//! [`File::walk`](super::File::walk) visits objects; [`Group::walk_links`] also reports the
//! links it does not follow (soft, external, user-defined, a second hard link to an object
//! already listed) and a group whose links cannot be read, then goes on. Nesting is capped by
//! [`Limits::max_group_depth`](crate::Limits), reported as a limit error on the group.

use std::collections::HashSet;

use crate::error::{Error, Result};

use super::file::join_path;
use super::{Group, LinkKind, Node};

/// What one step of [`Group::walk_links`] met.
#[derive(Debug)]
pub enum Visit<'a> {
    /// A hard link to an object not listed before: the object (or why it could not be opened).
    /// Groups are walked right after.
    Object(Result<&'a Node>),
    /// A hard link to an object already met (at this address).
    Seen(u64),
    /// A link that is not followed.
    Link(&'a LinkKind),
    /// This group's links could not be read, or it is nested past the depth limit.
    GroupError(Error),
}

impl Group {
    /// Calls `f(path, visit)` for every link below this group, depth first in link order.
    pub fn walk_links(&self, mut f: impl FnMut(&str, Visit<'_>) -> Result<()>) -> Result<()> {
        let mut seen = HashSet::new();
        seen.insert(self.object().address());
        walk(self, 0, &mut seen, &mut f)
    }
}

fn walk(
    g: &Group,
    depth: u32,
    seen: &mut HashSet<u64>,
    f: &mut impl FnMut(&str, Visit<'_>) -> Result<()>,
) -> Result<()> {
    let file = &g.object().file;
    let cap = file.limits().max_group_depth;
    if depth >= cap {
        let e = Error::limit("max_group_depth", u64::from(cap), u64::from(cap) + 1, None);
        return f(g.path(), Visit::GroupError(e));
    }
    let links = match g.links() {
        Ok(l) => l,
        Err(e) => return f(g.path(), Visit::GroupError(e)),
    };
    for link in links {
        let path = join_path(g.path(), &link.name);
        let LinkKind::Hard(addr) = link.kind else {
            f(&path, Visit::Link(&link.kind))?;
            continue;
        };
        if seen.contains(&addr) {
            f(&path, Visit::Seen(addr))?;
            continue;
        }
        match Node::open(file, addr, path.clone()) {
            Ok(node) => {
                // Only objects that open count as met: a second link to a broken one
                // reports its error again.
                seen.insert(addr);
                f(&path, Visit::Object(Ok(&node)))?;
                if let Node::Group(cg) = &node {
                    walk(cg, depth + 1, seen, f)?;
                }
            }
            Err(e) => f(&path, Visit::Object(Err(e)))?,
        }
    }
    Ok(())
}
