//! `--help` of every command: snapshots (the help text is documentation and must not change
//! by accident), every option described, and the global options under their own heading.

use clap::CommandFactory;

use crate::common::{cw, text};

/// Every command path below the root (`[]`, `["audit"]`, `["db", "update"]`, ...).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            path.push(sub.get_name().to_string());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&crate::cli::Cli::command(), &mut Vec::new(), &mut out);
    out
}

fn find<'a>(root: &'a clap::Command, path: &[String]) -> &'a clap::Command {
    path.iter().fold(root, |cmd, name| {
        cmd.find_subcommand(name).expect("path comes from the tree")
    })
}

#[test]
fn every_command_help_is_snapshotted() {
    let paths = command_paths();
    assert!(paths.len() > 15, "{paths:?}");
    for path in &paths {
        // Values of environment variables never show in help (they may be private paths).
        let out = cw()
            .env("CHAINWARDEN_EVIDENCE", "/private/evidence.db")
            .args(path)
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{path:?}");
        let help = text(&out.stdout);
        assert!(!help.contains("/private/evidence.db"), "{help}");
        let name = if path.is_empty() {
            "help_chainwarden".to_string()
        } else {
            format!("help_{}", path.join("_"))
        };
        insta::assert_snapshot!(name, help);
    }
}

#[test]
fn every_option_is_described_and_global_options_have_their_heading() {
    let mut root = crate::cli::Cli::command();
    root.build();
    for path in command_paths() {
        let cmd = find(&root, &path);
        assert!(
            path.is_empty() || cmd.get_about().is_some(),
            "{path:?} has no description"
        );
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            assert!(
                arg.get_help().is_some() || arg.get_long_help().is_some(),
                "{path:?}: --{id} has no description"
            );
            if arg.is_global_set() {
                assert_eq!(
                    arg.get_help_heading(),
                    Some("Global options"),
                    "{path:?}: --{id}"
                );
            }
        }
    }
    // In a command's help the global options come after its own, under their heading.
    let out = cw().args(["db", "update", "--help"]).output().unwrap();
    let help = text(&out.stdout);
    let own = help.find("--format").unwrap();
    let heading = help.find("Global options:").unwrap();
    let global = help.find("--policy").unwrap();
    assert!(own < heading && heading < global, "{help}");
}
