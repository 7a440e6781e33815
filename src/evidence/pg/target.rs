//! A PostgreSQL evidence store's address: `postgres://USER@HOST[:PORT]/DB[?PARAMS]` (or
//! `postgresql://`), parsed once into a connection configuration and a redacted form for
//! messages.
//!
//! Invariants: a password is never taken from the URL (a URL is printed, logged and kept in
//! shell histories and CI settings): one there is refused, and the password comes from
//! `PGPASSWORD` or a pgpass file. What [`PgTarget`] shows names user, hosts, port, database
//! and TLS mode only, rebuilt from the parsed fields, never the text given. TLS is rustls:
//! whenever it is used, the server's certificate is verified (system trust store, or the
//! `sslrootcert` file), including its host name: stricter than libpq's `require`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use postgres::config::{Host, SslMode};
use postgres::Config;

use super::pgpass;
use crate::error::{Error, Result};

/// Does `text` name a PostgreSQL store?
pub fn is_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tls {
    /// `sslmode=disable`: plain TCP (or a Unix socket).
    Disable,
    /// `sslmode=prefer` (libpq's default): TLS when the server offers it, verified.
    Prefer,
    /// `sslmode=require|verify-ca|verify-full`: TLS or no connection, verified.
    Require,
}

/// A parsed PostgreSQL store address.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    tls: Tls,
    root_cert: Option<PathBuf>,
    shown: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

fn usage(message: impl Into<String>) -> Error {
    Error::usage(format!("evidence store URL: {}", message.into()))
}

/// The parameters chainwarden reads itself (the others go to the client library).
struct OwnParams {
    sslmode: Option<String>,
    sslrootcert: Option<PathBuf>,
    rest: Vec<String>,
}

fn split_params(query: Option<&str>) -> Result<OwnParams> {
    let mut own = OwnParams {
        sslmode: None,
        sslrootcert: None,
        rest: Vec::new(),
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| usage("a parameter without `=`"))?;
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| usage("a parameter that is not UTF-8"))
        };
        match decode(key)?.as_str() {
            "password" => return Err(password_refused()),
            "sslcert" | "sslkey" | "sslpassword" | "passfile" => {
                return Err(usage(format!(
                    "`{}` is not supported (use PGPASSWORD or PGPASSFILE for the password)",
                    decode(key)?
                )))
            }
            "sslmode" => own.sslmode = Some(decode(value)?),
            "sslrootcert" => own.sslrootcert = Some(PathBuf::from(decode(value)?)),
            _ => own.rest.push(pair.to_string()),
        }
    }
    Ok(own)
}

fn password_refused() -> Error {
    usage("a password in the URL is refused (the URL is shown in messages and kept in CI settings): set PGPASSWORD or use a pgpass file")
}

/// The user name and password part before `@`, if any, holds a password?
fn has_url_password(after_scheme: &str) -> bool {
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(creds, _)| creds.contains(':'))
}

impl PgTarget {
    /// Parses a `postgres://` or `postgresql://` URL; the password comes from `PGPASSWORD`,
    /// else the pgpass file (`PGPASSFILE`, else `~/.pgpass`).
    pub fn parse(url: &str) -> Result<PgTarget> {
        // libpq's own variables, read as libpq reads them (so `psql` and chainwarden agree on
        // one environment), not clap arguments: a password must never be a flag, where `ps`
        // and shell history would keep it.
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        PgTarget::parse_with(url, &env)
    }

    /// [`PgTarget::parse`] with the environment passed in (tests).
    pub fn parse_with(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<PgTarget> {
        let (scheme, after) = url
            .split_once("://")
            .filter(|(s, _)| matches!(*s, "postgres" | "postgresql"))
            .ok_or_else(|| usage("not a postgres:// or postgresql:// URL"))?;
        if has_url_password(after) {
            return Err(password_refused());
        }
        let (base, query) = match after.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (after, None),
        };
        let own = split_params(query)?;
        let mut forwarded = format!("{scheme}://{base}");
        if !own.rest.is_empty() {
            forwarded.push('?');
            forwarded.push_str(&own.rest.join("&"));
        }
        let mut config: Config = forwarded
            .parse()
            .map_err(|e: postgres::Error| usage(e.to_string()))?;
        if config.get_password().is_some() {
            return Err(password_refused());
        }
        let tls = match own.sslmode.as_deref() {
            None | Some("prefer") | Some("allow") => Tls::Prefer,
            Some("disable") => Tls::Disable,
            Some("require") | Some("verify-ca") | Some("verify-full") => Tls::Require,
            Some(other) => {
                return Err(usage(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )))
            }
        };
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            Tls::Require => SslMode::Require,
        });
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .ok_or_else(|| usage("no user name (write postgres://USER@HOST/DB)"))?;
            config.user(&user);
        }
        if config.get_hosts().is_empty() {
            config.host_path("/var/run/postgresql");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("chainwarden");
        }
        let shown = shown(scheme, &config, own.sslmode.as_deref());
        let password = match env("PGPASSWORD") {
            Some(p) => Some(p),
            None => pgpass::lookup(&config, env)?,
        };
        if let Some(p) = password {
            config.password(p);
        }
        Ok(PgTarget {
            config,
            tls,
            root_cert: own.sslrootcert,
            shown,
        })
    }

    /// The database name (for messages and `setup-postgres`).
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("")
    }

    /// The role that connects.
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or("")
    }

    /// Opens a connection, with TLS as the URL asked.
    pub fn connect(&self) -> Result<postgres::Client> {
        let failed = |e: postgres::Error| Error::evidence(format!("{self}: {}", describe(&e)));
        match self.tls {
            Tls::Disable => self.config.connect(postgres::NoTls).map_err(failed),
            Tls::Prefer | Tls::Require => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(self.tls_config()?);
                self.config.connect(tls).map_err(failed)
            }
        }
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls_err = |e: rustls::Error| Error::evidence(format!("{self}: TLS setup: {e}"));
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_err)?;
        let Some(path) = &self.root_cert else {
            use rustls_platform_verifier::BuilderVerifierExt;
            return Ok(builder
                .with_platform_verifier()
                .map_err(tls_err)?
                .with_no_client_auth());
        };
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let text = crate::fsutil::read_bytes(path, crate::fsutil::InputKind::Keys)?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&text) {
            let cert = cert.map_err(|e| Error::input(path, format!("sslrootcert: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::input(path, format!("sslrootcert: {e}")))?;
        }
        if roots.is_empty() {
            return Err(Error::input(
                path,
                "sslrootcert: no certificate in the file",
            ));
        }
        Ok(builder.with_root_certificates(roots).with_no_client_auth())
    }
}

/// The URL as shown: rebuilt from the parsed fields (never the text given).
fn shown(scheme: &str, config: &Config, sslmode: Option<&str>) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
    // What would end or change a URL component; the rest is shown as is.
    const COMPONENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'&')
        .add(b'/')
        .add(b':')
        .add(b'=')
        .add(b'?')
        .add(b'@')
        .add(b',')
        .add(b'[')
        .add(b']')
        .add(b'\\');
    let enc = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
                Host::Tcp(name) => enc(name),
                Host::Unix(path) => enc(&path.to_string_lossy()),
            };
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            format!("{host}:{port}")
        })
        .collect();
    let mut text = format!(
        "{scheme}://{}@{}/{}",
        enc(config.get_user().unwrap_or("")),
        hosts.join(","),
        enc(config.get_dbname().unwrap_or(""))
    );
    if let Some(mode) = sslmode {
        text.push_str(&format!("?sslmode={}", enc(mode)));
    }
    text
}

/// A client error as one line: the server's message and SQLSTATE when it sent one.
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str, vars: &[(&str, &str)]) -> Result<PgTarget> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PgTarget::parse_with(url, &move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_echoing_it() {
        for url in [
            "postgres://ci:hunter2secret@db.example/evidence",
            "postgresql://ci:hunter2secret@db.example:5433/evidence?sslmode=require",
            "postgres://ci@db.example/evidence?password=hunter2secret",
            "postgres://ci@db.example/evidence?sslmode=require&password=hunter2secret",
        ] {
            let err = parse(url, &[]).unwrap_err().to_string();
            assert!(err.contains("password in the URL is refused"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn the_shown_url_has_no_password_and_the_password_comes_from_pgpassword() {
        let t = parse(
            "postgresql://ci_acme@db.example:6543/evidence?sslmode=verify-full&application_name=x",
            &[("PGPASSWORD", "s3cret-from-env")],
        )
        .unwrap();
        assert_eq!(
            t.to_string(),
            "postgresql://ci_acme@db.example:6543/evidence?sslmode=verify-full"
        );
        assert_eq!(t.tls, Tls::Require);
        assert_eq!(t.config.get_password(), Some(&b"s3cret-from-env"[..]));
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn socket_hosts_default_user_and_tls_modes() {
        let t = parse(
            "postgres:///evidence?host=%2Ftmp%2Fpg&port=5499&sslmode=disable",
            &[("USER", "runner")],
        )
        .unwrap();
        assert_eq!(t.user(), "runner");
        assert_eq!(t.tls, Tls::Disable);
        assert_eq!(
            t.to_string(),
            "postgres://runner@%2Ftmp%2Fpg:5499/evidence?sslmode=disable"
        );
        assert_eq!(
            parse("postgres://u@h/d", &[]).unwrap().tls,
            Tls::Prefer,
            "libpq's default"
        );
        for bad in [
            "postgres://u@h/d?sslmode=sometimes",
            "postgres://u@h/d?sslcert=/x",
            "postgres://u@h/d?nonsense=1",
            "postgres://u@h/d?novalue",
            "mysql://u@h/d",
        ] {
            assert!(parse(bad, &[]).is_err(), "{bad}");
        }
    }
}
