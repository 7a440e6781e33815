-- chainwarden evidence store on PostgreSQL, schema version 1.
--
-- The same model as the SQLite store (version 2): one row per run, hash-chained per
-- (tenant, project); each distinct policy and inventory stored once, keyed by its SHA-256.
-- Here every table also carries the tenant, and row-level security keyed on it decides what a
-- role reads and writes (see 002_security.sql). `chainwarden evidence setup-postgres` applies
-- these files in order; an administrator may also apply them with psql.
--
-- Identifiers and times are compared byte by byte (COLLATE "C"), as SQLite does: chain and
-- report order never depend on the database's locale.

CREATE SCHEMA chainwarden;

CREATE TABLE chainwarden.schema_version (version integer NOT NULL);
INSERT INTO chainwarden.schema_version VALUES (0);

CREATE TABLE chainwarden.runs (
    tenant_id text COLLATE "C" NOT NULL,
    project_id text COLLATE "C" NOT NULL,
    run_id text COLLATE "C" NOT NULL,
    seq bigint,
    kind text NOT NULL,
    command text NOT NULL,
    time text COLLATE "C" NOT NULL,
    tool_version text NOT NULL,
    git_commit text,
    lockfile_path text,
    lockfile_sha256 text,
    db_commit text,
    db_age_days bigint,
    trigger text NOT NULL,
    origin text NOT NULL,
    verdict text NOT NULL,
    policy_sha256 text,
    inventory_sha256 text,
    payload text NOT NULL,
    prev_hash text,
    record_hash text,
    PRIMARY KEY (tenant_id, run_id),
    UNIQUE (tenant_id, project_id, seq)
);
CREATE INDEX runs_scope_time ON chainwarden.runs (tenant_id, project_id, time);

CREATE TABLE chainwarden.policies (
    tenant_id text COLLATE "C" NOT NULL,
    sha256 text NOT NULL,
    content text NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

CREATE TABLE chainwarden.inventories (
    tenant_id text COLLATE "C" NOT NULL,
    sha256 text NOT NULL,
    packages text NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);
UPDATE chainwarden.schema_version SET version = 1;
