//! Setting a PostgreSQL evidence store up: the schema files of `sql/postgres/` applied in
//! order (each sets `chainwarden.schema_version`), then one grant per role, all through the
//! functions those files define, so psql and chainwarden do exactly the same thing.

use postgres::Client;

use super::{describe, PgTarget};
use crate::error::{Error, Result};

/// The schema files, in order; file N leaves the schema at version N.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "001_schema.sql",
        include_str!("../../../sql/postgres/001_schema.sql"),
    ),
    (
        "002_security.sql",
        include_str!("../../../sql/postgres/002_security.sql"),
    ),
    (
        "003_deliveries.sql",
        include_str!("../../../sql/postgres/003_deliveries.sql"),
    ),
];

/// The schema version this chainwarden reads and writes.
pub fn latest() -> i32 {
    MIGRATIONS.len() as i32
}

/// The applied schema version (0: none).
pub fn version(client: &mut Client) -> Result<i32, postgres::Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('chainwarden.schema_version') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_opt("SELECT version FROM chainwarden.schema_version", &[])?
        .map_or(0, |r| r.get(0)))
}

/// Refuses a database whose schema is not this version's.
pub fn check_version(target: &PgTarget, version: i32) -> Result<()> {
    use std::cmp::Ordering::*;
    match version.cmp(&latest()) {
        Equal => Ok(()),
        Less => Err(Error::evidence(format!(
            "{target}: the evidence schema is at version {version}, this chainwarden needs {}: run `chainwarden evidence setup-postgres` as the database's administrator",
            latest()
        ))),
        Greater => Err(Error::evidence(format!(
            "{target}: the evidence schema is at version {version}, newer than this chainwarden's {}: upgrade chainwarden",
            latest()
        ))),
    }
}

/// Applies the missing schema files in one transaction (concurrent setups queue on a lock);
/// returns the files applied.
pub fn migrate(target: &PgTarget, client: &mut Client) -> Result<Vec<&'static str>> {
    let failed = |e: postgres::Error| Error::evidence(format!("{target}: {}", describe(&e)));
    let mut tx = client.transaction().map_err(failed)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('chainwarden/setup', 0))",
        &[],
    )
    .map_err(failed)?;
    let from = {
        let exists: bool = tx
            .query_one(
                "SELECT to_regclass('chainwarden.schema_version') IS NOT NULL",
                &[],
            )
            .map_err(failed)?
            .get(0);
        if exists {
            tx.query_one("SELECT version FROM chainwarden.schema_version", &[])
                .map_err(failed)?
                .get::<_, i32>(0)
        } else {
            0
        }
    };
    if from > latest() {
        check_version(target, from)?;
    }
    let mut applied = Vec::new();
    for (name, sql) in MIGRATIONS.iter().skip(from as usize) {
        tx.batch_execute(sql)
            .map_err(|e| Error::evidence(format!("{target}: {name}: {}", describe(&e))))?;
        applied.push(*name);
    }
    tx.commit().map_err(failed)?;
    Ok(applied)
}

/// A valid role name for a grant: 1-63 characters of `a-z 0-9 _`, not starting with a digit
/// (PostgreSQL truncates longer names, and these need no quoting anywhere).
pub fn is_valid_role(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with("pg_")
}

/// Grants `role` (created when missing) read access to `tenant`'s evidence, and append
/// access when `writing`; tenant `*` reads every tenant. Returns a warning when the role
/// bypasses row-level security (a superuser, or BYPASSRLS), for which the grant means nothing.
pub fn grant(
    target: &PgTarget,
    client: &mut Client,
    role: &str,
    tenant: &str,
    writing: bool,
) -> Result<Option<String>> {
    let failed = |e: postgres::Error| Error::evidence(format!("{target}: {}", describe(&e)));
    client
        .execute(
            "SELECT chainwarden.grant_access($1, $2, $3)",
            &[&role, &tenant, &writing],
        )
        .map_err(failed)?;
    let bypasses: bool = client
        .query_one(
            "SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = $1",
            &[&role],
        )
        .map_err(failed)?
        .get(0);
    Ok(bypasses.then(|| {
        format!("warning: role `{role}` is a superuser or has BYPASSRLS: it reads and writes every tenant whatever it is granted")
    }))
}
