//! The password file libpq reads (`PGPASSFILE`, else `~/.pgpass`): lines of
//! `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaping, `#`
//! starting a comment; the first matching line wins. Written here because the Rust client
//! does not read it; it is thirty lines and follows libpq's documented rules, including
//! ignoring a file that others can read.

use std::path::PathBuf;

use postgres::config::Host;
use postgres::Config;

use crate::error::Result;

/// The password for `config`'s first host, port, database and user, if the file has one.
pub(super) fn lookup(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>> {
    let path = match env("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => match env("HOME").map(PathBuf::from).or_else(dirs::home_dir) {
            Some(home) => home.join(".pgpass"),
            None => return Ok(None),
        },
    };
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(None);
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            crate::output::diag(&format!(
                "warning: password file {} has group or world access and is ignored (chmod 0600 it)",
                path.display()
            ));
            return Ok(None);
        }
    }
    let _ = meta;
    let text = crate::fsutil::read_text(&path, crate::fsutil::InputKind::Keys)?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => vec![h.clone()],
        Some(Host::Unix(p)) => vec!["localhost".to_string(), p.to_string_lossy().into_owned()],
        None => vec!["localhost".to_string()],
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or("");
    let user = config.get_user().unwrap_or("");
    Ok(find(&text, &host, &port, db, user))
}

/// The first line of `text` matching; `hosts` are the names the host may be written as.
fn find(text: &str, hosts: &[String], port: &str, db: &str, user: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(fields)
        .find(|f| {
            let is = |field: &str, value: &str| field == "*" || field == value;
            (f[0] == "*" || hosts.iter().any(|h| *h == f[0]))
                && is(&f[1], port)
                && is(&f[2], db)
                && is(&f[3], user)
        })
        .map(|mut f| f.swap_remove(4))
}

/// The five fields of a line (the last takes the rest of the line), unescaped.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    (out.len() == 5).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_match_wins_with_wildcards_and_escapes() {
        let text = "# comment\n\
            db.example:5432:other:ci:wrong\n\
            db.example:5432:evidence:ci:pa\\:ss\\\\word\n\
            *:*:*:ci:fallback\n\
            broken:line\n";
        let h = |s: &str| vec![s.to_string()];
        assert_eq!(
            find(text, &h("db.example"), "5432", "evidence", "ci").as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            find(text, &h("elsewhere"), "1", "x", "ci").as_deref(),
            Some("fallback")
        );
        assert_eq!(
            find(text, &h("db.example"), "5432", "evidence", "other"),
            None
        );
    }

    #[test]
    fn a_password_may_contain_colons() {
        let h = vec!["localhost".to_string()];
        assert_eq!(
            find("localhost:5432:d:u:a:b:c", &h, "5432", "d", "u").as_deref(),
            Some("a:b:c")
        );
    }
}
