//! The dependency graph over lockfile package indices, and the shortest dependency paths from
//! the roots (workspace members) to a package.

use std::collections::VecDeque;

use super::lockfile::Lockfile;

/// Adjacency lists over package indices. `deps[i]` are the packages `i` depends on.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    deps: Vec<Vec<usize>>,
    rdeps: Vec<Vec<usize>>,
    /// Where paths start: workspace members, or (lockfile only) packages nothing depends on.
    roots: Vec<usize>,
}

impl Graph {
    /// The graph the lockfile records (every target, every kind of dependency).
    pub fn from_lockfile(lock: &Lockfile) -> Graph {
        let model = &lock.model.packages;
        // Keyed by name and version (what `Dependency::matches` compares): keyed by name alone,
        // a lockfile listing thousands of versions of one crate made this quadratic.
        // foldhash (randomly seeded): SipHash of a `semver::Version` per dependency was a
        // twentieth of a lockfile audit.
        let mut by_name: foldhash::HashMap<(&str, &semver::Version), Vec<usize>> =
            foldhash::HashMap::with_capacity_and_hasher(model.len(), Default::default());
        for (i, p) in model.iter().enumerate() {
            by_name
                .entry((p.name.as_str(), &p.version))
                .or_default()
                .push(i);
        }
        let mut edges = Vec::with_capacity(model.len());
        for p in model {
            let mut out: Vec<usize> = p
                .dependencies
                .iter()
                .filter_map(|d| {
                    by_name
                        .get(&(d.name.as_str(), &d.version))?
                        .iter()
                        .copied()
                        .find(|&j| d.matches(&model[j]))
                })
                .collect();
            out.sort_unstable();
            out.dedup();
            edges.push(out);
        }
        Graph::from_edges(edges, None)
    }

    /// A graph from adjacency lists; `roots` default to the packages nothing depends on.
    pub fn from_edges(deps: Vec<Vec<usize>>, roots: Option<Vec<usize>>) -> Graph {
        let mut rdeps = vec![Vec::new(); deps.len()];
        for (from, tos) in deps.iter().enumerate() {
            for &to in tos {
                rdeps[to].push(from);
            }
        }
        let roots =
            roots.unwrap_or_else(|| (0..deps.len()).filter(|&i| rdeps[i].is_empty()).collect());
        Graph { deps, rdeps, roots }
    }

    pub fn roots(&self) -> &[usize] {
        &self.roots
    }

    pub fn dependencies(&self, i: usize) -> &[usize] {
        &self.deps[i]
    }

    pub fn dependents(&self, i: usize) -> &[usize] {
        &self.rdeps[i]
    }

    /// Up to `limit` shortest paths `root → … → target`, deterministic (ordered by the
    /// `name` of each step). A root itself yields the one-element path.
    pub fn paths_to(
        &self,
        target: usize,
        limit: usize,
        name: &dyn Fn(usize) -> String,
    ) -> Vec<Vec<usize>> {
        // Distance from every node to `target`, walking dependents (upwards).
        let n = self.deps.len();
        let mut dist = vec![usize::MAX; n];
        dist[target] = 0;
        let mut queue = VecDeque::from([target]);
        while let Some(node) = queue.pop_front() {
            for &up in &self.rdeps[node] {
                if dist[up] == usize::MAX {
                    dist[up] = dist[node] + 1;
                    queue.push_back(up);
                }
            }
        }
        let mut roots: Vec<usize> = self
            .roots
            .iter()
            .copied()
            .filter(|&r| dist[r] != usize::MAX)
            .collect();
        // Closest roots first, then by name.
        roots.sort_by_key(|&r| (dist[r], name(r)));
        let mut paths = Vec::new();
        for root in roots {
            let mut stack = vec![vec![root]];
            while let Some(path) = stack.pop() {
                if paths.len() >= limit {
                    return paths;
                }
                let last = *path.last().expect("paths are never empty");
                if last == target {
                    paths.push(path);
                    continue;
                }
                let mut next: Vec<usize> = self.deps[last]
                    .iter()
                    .copied()
                    .filter(|&d| dist[d] != usize::MAX && dist[d] + 1 == dist[last])
                    .collect();
                // Reverse so the smallest name is popped first.
                next.sort_by_key(|&d| std::cmp::Reverse(name(d)));
                for d in next {
                    let mut longer = path.clone();
                    longer.push(d);
                    stack.push(longer);
                }
            }
        }
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_paths_from_roots() {
        // 0 app -> 1 a -> 3 vuln ; 0 app -> 2 b -> 3 ; 4 tool -> 3 ; 1 a -> 2 b
        let g = Graph::from_edges(vec![vec![1, 2], vec![2, 3], vec![3], vec![], vec![3]], None);
        assert_eq!(g.roots(), &[0, 4]);
        let names = ["app", "a", "b", "vuln", "tool"];
        let name = |i: usize| names[i].to_string();
        let paths = g.paths_to(3, 10, &name);
        assert_eq!(paths, vec![vec![4, 3], vec![0, 1, 3], vec![0, 2, 3]]);
        assert_eq!(g.paths_to(3, 1, &name), vec![vec![4, 3]]);
        assert_eq!(g.paths_to(0, 10, &name), vec![vec![0]]);
    }
}
