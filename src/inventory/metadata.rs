//! `cargo metadata` resolution: which lockfile packages the workspace really reaches, by which
//! kind of dependency, on which target.
//!
//! The metadata is always taken for all platforms; target filtering is done here by evaluating
//! each edge's `cfg(...)` or triple against the target's built-in description (`cfg-expr`).
//! That lets one precomputed metadata file (`--metadata FILE`) serve every `--target`.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Command;

use cargo_metadata::{DependencyKind as CargoKind, Metadata};
use cfg_expr::targets::{get_builtin_target_by_triple, TargetInfo};
use cfg_expr::{Expression, Predicate};

mod check;

use super::lockfile::Lockfile;
use super::{Graph, Resolution};
use crate::error::{Error, Result};
use crate::finding::DependencyKind;

/// Runs `cargo metadata` for the manifest (offline when asked) with `cargo` (the CLI's `CARGO`,
/// which cargo sets for its subcommands; else `cargo` from `PATH`). `Err` carries cargo's
/// reason; callers fall back to the lockfile alone and say so.
pub fn run_cargo_metadata(
    manifest: &Path,
    offline: bool,
    cargo: Option<&Path>,
) -> std::result::Result<Metadata, String> {
    let mut cmd = Command::new(cargo.unwrap_or(Path::new("cargo")));
    cmd.arg("metadata")
        .arg("--format-version=1")
        .arg("--locked")
        .arg("--manifest-path")
        .arg(manifest);
    if offline {
        cmd.arg("--offline");
    }
    let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("cargo metadata failed")
            .trim()
            .to_string();
        return Err(reason);
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata output: {e}"))
}

/// Reads a precomputed `cargo metadata --format-version 1` document.
pub fn load_metadata_file(path: &Path) -> Result<Metadata> {
    let text = crate::fsutil::read_text(path, crate::fsutil::InputKind::CargoMetadata)?;
    // Strict: a package or dependency key given twice could show the audit a graph other
    // than the one a second reader sees.
    let tree = crate::json::parse(text.as_bytes()).map_err(|e| Error::Located {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: format!("not cargo metadata JSON: {e}"),
    })?;
    serde_json::from_value(tree)
        .map_err(|e| Error::input(path, format!("not cargo metadata JSON: {e}")))
}

/// The built-in description of a target triple.
pub fn target_info(triple: &str) -> Result<&'static TargetInfo> {
    get_builtin_target_by_triple(triple)
        .ok_or_else(|| Error::usage(format!("--target: unknown target triple `{triple}`")))
}

/// Whether a dependency edge applies on `target` (`None`: every target counts).
fn edge_applies(platform: Option<&str>, target: Option<&TargetInfo>) -> bool {
    let (Some(platform), Some(target)) = (platform, target) else {
        return true;
    };
    if platform.starts_with("cfg(") {
        return match Expression::parse(platform) {
            Ok(expr) => expr.eval(|pred| match pred {
                Predicate::Target(tp) => tp.matches(target),
                // Not set when building a dependency for a plain `cargo build`.
                _ => false,
            }),
            // An expression we cannot read: keep the edge (never hide a finding).
            Err(_) => true,
        };
    }
    platform == target.triple.as_str()
}

/// Maps `cargo metadata` onto the lockfile's packages and computes reachability. `origin` is
/// where the metadata came from (the file, or the manifest cargo ran on); metadata that does
/// not describe the lockfile is an error naming both (see [`check`]).
pub fn resolve(
    metadata: &Metadata,
    origin: &Path,
    lock: &Lockfile,
    target: Option<&TargetInfo>,
    exclude_dev: bool,
) -> Result<(Resolution, Graph)> {
    let resolve = metadata.resolve.as_ref().ok_or_else(|| {
        Error::input(
            origin,
            "cargo metadata has no resolve graph (was --no-deps used?)",
        )
    })?;
    let index_of = check::index_lockfile(metadata, origin, lock)?;
    let members: Vec<usize> = metadata
        .workspace_members
        .iter()
        .filter_map(|id| index_of.get(id).copied())
        .collect();
    // Edges that apply on the target, with their kind.
    let n = lock.packages.len();
    let mut edges: Vec<Vec<(usize, CargoKind)>> = vec![Vec::new(); n];
    let mut in_resolve = vec![false; n];
    let index = |id: &cargo_metadata::PackageId| {
        index_of.get(id).copied().ok_or_else(|| {
            Error::input(
                origin,
                format!("broken cargo metadata: its resolve graph names `{id}`, which is not among its packages"),
            )
        })
    };
    for node in &resolve.nodes {
        let from = index(&node.id)?;
        in_resolve[from] = true;
        for dep in &node.deps {
            let to = index(&dep.pkg)?;
            for info in &dep.dep_kinds {
                let platform = info.target.as_ref().map(|p| p.to_string());
                if edge_applies(platform.as_deref(), target) {
                    edges[from].push((to, info.kind));
                }
            }
        }
    }
    let kinds = reachability(&edges, &members, exclude_dev);
    // Paths are drawn on the edges that count.
    let plain: Vec<Vec<usize>> = edges
        .iter()
        .enumerate()
        .map(|(from, out)| {
            let mut v: Vec<usize> = out
                .iter()
                .filter(|(to, kind)| {
                    let dev_excluded = exclude_dev && *kind == CargoKind::Development;
                    let both_reached = !kinds[*to].is_empty() && !kinds[from].is_empty();
                    both_reached && !dev_excluded
                })
                .map(|(to, _)| *to)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let graph = Graph::from_edges(plain, Some(members.clone()));
    Ok((
        Resolution {
            members,
            kinds,
            in_resolve,
        },
        graph,
    ))
}

/// Propagates dependency kinds from the workspace members: a package reached only through a
/// dev-dependency is `dev`; through a build-dependency (of anything not dev) is `build`.
fn reachability(
    edges: &[Vec<(usize, CargoKind)>],
    members: &[usize],
    exclude_dev: bool,
) -> Vec<Vec<DependencyKind>> {
    let n = edges.len();
    let slot = |k: DependencyKind| match k {
        DependencyKind::Normal => 0,
        DependencyKind::Build => 1,
        DependencyKind::Dev => 2,
    };
    let mut seen = vec![[false; 3]; n];
    let mut queue = VecDeque::new();
    for &m in members {
        seen[m][0] = true;
        queue.push_back((m, DependencyKind::Normal));
    }
    let is_member = |i: usize| members.contains(&i);
    while let Some((node, label)) = queue.pop_front() {
        for &(to, kind) in &edges[node] {
            let next = match (label, kind) {
                // Dev-dependencies only count from workspace members (cargo never builds the
                // dev-dependencies of a dependency).
                (_, CargoKind::Development) if !is_member(node) => continue,
                (_, CargoKind::Development) => DependencyKind::Dev,
                (DependencyKind::Dev, _) => DependencyKind::Dev,
                (_, CargoKind::Build) => DependencyKind::Build,
                (l, _) => l,
            };
            if exclude_dev && next == DependencyKind::Dev {
                continue;
            }
            if !seen[to][slot(next)] {
                seen[to][slot(next)] = true;
                queue.push_back((to, next));
            }
        }
    }
    seen.iter()
        .map(|s| {
            [
                DependencyKind::Normal,
                DependencyKind::Build,
                DependencyKind::Dev,
            ]
            .into_iter()
            .filter(|k| s[slot(*k)])
            .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_edges_follow_the_target() {
        let linux = target_info("x86_64-unknown-linux-gnu").unwrap();
        let windows = target_info("x86_64-pc-windows-msvc").unwrap();
        assert!(edge_applies(Some("cfg(unix)"), Some(linux)));
        assert!(!edge_applies(Some("cfg(windows)"), Some(linux)));
        assert!(edge_applies(Some("cfg(windows)"), Some(windows)));
        assert!(edge_applies(
            Some("cfg(target_os = \"linux\")"),
            Some(linux)
        ));
        assert!(!edge_applies(
            Some("cfg(target_os = \"freebsd\")"),
            Some(linux)
        ));
        assert!(edge_applies(Some("x86_64-pc-windows-msvc"), Some(windows)));
        assert!(!edge_applies(Some("x86_64-pc-windows-msvc"), Some(linux)));
        assert!(edge_applies(Some("cfg(windows)"), None));
        assert!(target_info("no-such-target").is_err());
    }

    #[test]
    fn kinds_propagate_from_members() {
        // 0 member -> 1 normal -> 2 ; 0 -build-> 3 -> 4 ; 0 -dev-> 5 -> 2 ; 1 -dev-> 6 (ignored)
        let edges = vec![
            vec![
                (1, CargoKind::Normal),
                (3, CargoKind::Build),
                (5, CargoKind::Development),
            ],
            vec![(2, CargoKind::Normal), (6, CargoKind::Development)],
            vec![],
            vec![(4, CargoKind::Normal)],
            vec![],
            vec![(2, CargoKind::Normal)],
            vec![],
        ];
        let k = reachability(&edges, &[0], false);
        use DependencyKind::*;
        assert_eq!(k[2], vec![Normal, Dev]);
        assert_eq!(k[4], vec![Build]);
        assert_eq!(k[5], vec![Dev]);
        assert!(k[6].is_empty());
        let k = reachability(&edges, &[0], true);
        assert!(k[5].is_empty());
        assert_eq!(k[2], vec![Normal]);
    }
}
