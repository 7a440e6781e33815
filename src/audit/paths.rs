//! Dependency paths for findings, bounded in number, length and work.
//!
//! A hostile lockfile can chain thousands of vulnerable versions (`a 0.0.1 → a 0.0.2 → …`):
//! listing every path in full is quadratic in output and memory, and searching upwards from
//! every finding is quadratic in time. So the graph is walked once, from the roots (workspace
//! members, or in lockfile mode the packages nothing depends on), and each finding is then
//! answered locally:
//! - `depth[v]`: distance from the nearest root; a path shown is always a shortest one;
//! - `count[v]`: how many shortest paths reach `v` (saturating), the total a report states;
//! - `first_root[v]`: the root of the first shortest path in name order, so a path cut to its
//!   last steps can still name where it starts.
//!
//! Per finding at most [`MAX_PATHS`] paths are listed, each at most [`MAX_STEPS`] steps: a longer
//! one keeps its root and its last steps, with one step saying how many were left out.

use std::cmp::Ordering;
use std::collections::VecDeque;

use crate::inventory::lockfile::LockedPackage;
use crate::inventory::Graph;

/// Most dependency paths listed per finding.
pub const MAX_PATHS: usize = 5;
/// Most steps listed per path (root and package included).
pub const MAX_STEPS: usize = 10;

const UNREACHED: u32 = u32::MAX;

/// The paths to one package, ready for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackagePaths {
    /// `root → … → package`, as `name version` steps; an elision step reads `… N more …`.
    pub paths: Vec<Vec<String>>,
    /// Shortest paths from a root in all (saturating at `u64::MAX`).
    pub total: u64,
}

/// One walk of the graph answering every finding's paths.
pub struct PathIndex<'a> {
    graph: &'a Graph,
    packages: &'a [LockedPackage],
    depth: Vec<u32>,
    count: Vec<u64>,
    first_root: Vec<usize>,
}

impl<'a> PathIndex<'a> {
    pub fn new(graph: &'a Graph, packages: &'a [LockedPackage]) -> PathIndex<'a> {
        let n = packages.len();
        let mut index = PathIndex {
            graph,
            packages,
            depth: vec![UNREACHED; n],
            count: vec![0; n],
            first_root: vec![usize::MAX; n],
        };
        let mut roots: Vec<usize> = graph.roots().to_vec();
        roots.sort_by(|&a, &b| index.order(a, b));
        roots.dedup();
        let mut queue = VecDeque::with_capacity(n);
        for &r in &roots {
            index.depth[r] = 0;
            index.count[r] = 1;
            index.first_root[r] = r;
            queue.push_back(r);
        }
        // Breadth first: when `v` is dequeued every parent on a shorter layer is final, so
        // counts and first roots flow down layer by layer.
        while let Some(v) = queue.pop_front() {
            let next = index.depth[v] + 1;
            for &d in graph.dependencies(v) {
                if index.depth[d] == UNREACHED {
                    index.depth[d] = next;
                    queue.push_back(d);
                }
                if index.depth[d] == next {
                    index.count[d] = index.count[d].saturating_add(index.count[v]);
                    // `v` comes in layer order, not name order: keep the smallest-named
                    // parent's root.
                    let current = index.first_parent_root(d);
                    if current.is_none_or(|p| index.order(v, p) == Ordering::Less) {
                        index.first_root[d] = v;
                    }
                }
            }
        }
        // `first_root` holds the chosen parent so far; resolve parents to roots in layer order.
        let mut by_depth: Vec<usize> = (0..n).filter(|&v| index.depth[v] != UNREACHED).collect();
        by_depth.sort_by_key(|&v| index.depth[v]);
        for v in by_depth {
            if index.depth[v] > 0 {
                index.first_root[v] = index.first_root[index.first_root[v]];
            }
        }
        index
    }

    /// The parent recorded so far for `d` (before roots are resolved).
    fn first_parent_root(&self, d: usize) -> Option<usize> {
        Some(self.first_root[d]).filter(|&p| p != usize::MAX)
    }

    /// Name, then version order.
    fn order(&self, a: usize, b: usize) -> Ordering {
        let (pa, pb) = (&self.packages[a], &self.packages[b]);
        (pa.name.as_str(), &pa.version, a).cmp(&(pb.name.as_str(), &pb.version, b))
    }

    fn label(&self, i: usize) -> String {
        format!("{} {}", self.packages[i].name, self.packages[i].version)
    }

    /// Parents of `v` on the layer above it (the next step up a shortest path), in name order.
    fn parents(&self, v: usize) -> Vec<usize> {
        let Some(up) = self.depth[v].checked_sub(1) else {
            return Vec::new();
        };
        let mut parents: Vec<usize> = self
            .graph
            .dependents(v)
            .iter()
            .copied()
            .filter(|&p| self.depth[p] == up)
            .collect();
        parents.sort_by(|&a, &b| self.order(a, b));
        parents.dedup();
        parents
    }

    /// Up to [`MAX_PATHS`] shortest paths to `target`, each at most [`MAX_STEPS`] steps.
    /// Work is bounded by paths × steps × parents per step, whatever the graph's depth.
    pub fn paths_to(&self, target: usize) -> PackagePaths {
        if self.depth[target] == UNREACHED {
            return PackagePaths::default();
        }
        // Depth-first upwards: `stack` holds, per level, the parents still to try; `chain` is
        // the current path from the target up. A chain of `MAX_STEPS - 2` steps still two or
        // more layers below a root stops there (root and elision step make `MAX_STEPS`).
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut chain = vec![target];
        let mut stack: Vec<std::vec::IntoIter<usize>> = Vec::new();
        loop {
            let top = *chain.last().expect("chain starts with the target");
            let at_root = self.depth[top] == 0;
            let cut = chain.len() >= MAX_STEPS - 2 && self.depth[top] >= 2;
            if at_root || cut {
                let path = self.finish(&chain, at_root);
                if !out.contains(&path) {
                    out.push(path);
                }
                if out.len() == MAX_PATHS {
                    break;
                }
            } else {
                stack.push(self.parents(top).into_iter());
            }
            // Next sibling, unwinding exhausted levels.
            loop {
                let depth = stack.len();
                let Some(level) = stack.last_mut() else {
                    return PackagePaths {
                        paths: out,
                        total: self.count[target],
                    };
                };
                chain.truncate(depth);
                if let Some(next) = level.next() {
                    chain.push(next);
                    break;
                }
                stack.pop();
            }
        }
        PackagePaths {
            paths: out,
            total: self.count[target],
        }
    }

    /// `chain` (target first, going up) as a `root → … → target` path, with the elided middle
    /// when it stopped short of a root.
    fn finish(&self, chain: &[usize], at_root: bool) -> Vec<String> {
        let mut path = Vec::with_capacity(MAX_STEPS);
        if !at_root {
            let top = *chain.last().expect("non-empty");
            let root = self.first_root[top];
            path.push(self.label(root));
            let skipped = self.depth[top] - 1;
            if skipped > 0 {
                path.push(format!("… {skipped} more …"));
            }
        }
        path.extend(chain.iter().rev().map(|&i| self.label(i)));
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packages(names: &[&str]) -> Vec<LockedPackage> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| LockedPackage {
                name: n.to_string(),
                version: semver::Version::new(1, 0, 0),
                source: None,
                checksum: None,
                is_crates_io: false,
                line: i + 1,
            })
            .collect()
    }

    #[test]
    fn shortest_paths_in_name_order_with_a_count() {
        // 0 app -> 1 a -> 3 vuln ; 0 app -> 2 b -> 3 ; 4 tool -> 1 a
        let g = Graph::from_edges(vec![vec![1, 2], vec![3], vec![3], vec![], vec![1]], None);
        let pk = packages(&["app", "a", "b", "vuln", "tool"]);
        let index = PathIndex::new(&g, &pk);
        let p = index.paths_to(3);
        assert_eq!(
            p.paths,
            vec![
                vec!["app 1.0.0", "a 1.0.0", "vuln 1.0.0"],
                vec!["tool 1.0.0", "a 1.0.0", "vuln 1.0.0"],
                vec!["app 1.0.0", "b 1.0.0", "vuln 1.0.0"],
            ]
        );
        assert_eq!(p.total, 3);
        assert_eq!(index.paths_to(0).paths, vec![vec!["app 1.0.0"]]);
    }

    #[test]
    fn long_chains_are_cut_and_many_paths_capped() {
        // A chain of 5,000 packages, each also reachable from its own extra root.
        let n = 5_000;
        let mut edges: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let names: Vec<String> = (0..n).map(|i| format!("c{i:05}")).collect();
        let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
        // 20 roots that all depend on the last link's parent.
        let extra: Vec<String> = (0..20).map(|i| format!("r{i:02}")).collect();
        for e in &extra {
            all.push(e);
            edges.push(vec![n - 2]);
        }
        let g = Graph::from_edges(edges, None);
        let pk = packages(&all);
        let index = PathIndex::new(&g, &pk);
        let p = index.paths_to(n - 2);
        assert_eq!(p.paths.len(), MAX_PATHS);
        assert_eq!(p.total, 20);
        assert_eq!(p.paths[0], vec!["r00 1.0.0", "c04998 1.0.0"]);
        let deep = index.paths_to(3_000);
        assert_eq!(deep.total, 1);
        let path = &deep.paths[0];
        assert_eq!(path.len(), MAX_STEPS);
        assert_eq!(path[0], "c00000 1.0.0");
        assert_eq!(path[1], "… 2992 more …");
        assert_eq!(path[2], "c02993 1.0.0");
        assert_eq!(path.last().unwrap(), "c03000 1.0.0");
    }
}
