-- chainwarden evidence store on PostgreSQL, schema version 2: tenant isolation by the database.
--
-- Who may read or write a tenant's rows is a row of chainwarden.access: (role, tenant, write).
-- A role sees the rows of the tenants its grants name (and of every tenant for a grant on '*',
-- the report and watch reader), and inserts only rows of the tenants it may write. Row-level
-- security enforces it on every table that holds tenant data, for any SQL a role sends: raw
-- psql included. Nobody but the owner gets UPDATE or DELETE: evidence is append-only.
--
-- Grant with `chainwarden evidence setup-postgres --writer TENANT=ROLE --reader ROLE`, or in
-- psql as the owner: SELECT chainwarden.grant_access('ci_acme', 'acme', true);
--
-- The owner of these tables (whoever applied this file) and superusers bypass row-level
-- security: that is the administrator, who migrates stores; give CI only granted roles.

CREATE TABLE chainwarden.access (
    role_name text NOT NULL,
    tenant_id text COLLATE "C" NOT NULL,
    can_write boolean NOT NULL,
    PRIMARY KEY (role_name, tenant_id),
    CHECK (tenant_id = '*' OR tenant_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    CHECK (tenant_id <> '*' OR NOT can_write)
);

-- A role sees its own grants only (through membership: a login role granted a team role
-- gets the team role's tenants).
ALTER TABLE chainwarden.access ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_grants ON chainwarden.access FOR SELECT USING (
    pg_catalog.pg_has_role(current_user,
        (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = role_name), 'MEMBER'));

-- The tenants the current role may read (writing = false) or write (writing = true); '*' in
-- the list means every tenant. Policies call it once per statement, as a sub-select.
CREATE FUNCTION chainwarden.tenants_of_current_role(writing boolean) RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(a.tenant_id), '{}')
    FROM chainwarden.access a JOIN pg_catalog.pg_roles r ON r.rolname = a.role_name
    WHERE pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER') AND (a.can_write OR NOT writing)
$$;

ALTER TABLE chainwarden.runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON chainwarden.runs FOR SELECT USING (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[])
    OR '*' = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[]));
CREATE POLICY tenant_writes ON chainwarden.runs FOR INSERT WITH CHECK (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(true))::text[]));

ALTER TABLE chainwarden.policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON chainwarden.policies FOR SELECT USING (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[])
    OR '*' = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[]));
CREATE POLICY tenant_writes ON chainwarden.policies FOR INSERT WITH CHECK (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(true))::text[]));

ALTER TABLE chainwarden.inventories ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON chainwarden.inventories FOR SELECT USING (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[])
    OR '*' = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[]));
CREATE POLICY tenant_writes ON chainwarden.inventories FOR INSERT WITH CHECK (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(true))::text[]));

-- Grants a role (created, with LOGIN and no password, when it does not exist) read access
-- to a tenant's evidence, or read and append access when `writing`; tenant '*' reads all.
CREATE FUNCTION chainwarden.grant_access(p_role text, p_tenant text, p_writing boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_role) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', p_role);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA chainwarden TO %I', p_role);
    EXECUTE format('GRANT SELECT ON chainwarden.schema_version, chainwarden.access,
        chainwarden.runs, chainwarden.policies, chainwarden.inventories TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chainwarden.tenants_of_current_role(boolean) TO %I',
        p_role);
    IF p_writing THEN
        EXECUTE format('GRANT INSERT ON chainwarden.runs, chainwarden.policies,
            chainwarden.inventories TO %I', p_role);
    END IF;
    INSERT INTO chainwarden.access (role_name, tenant_id, can_write)
        VALUES (p_role, p_tenant, p_writing)
        ON CONFLICT (role_name, tenant_id) DO UPDATE SET can_write = EXCLUDED.can_write;
END
$$;
REVOKE ALL ON FUNCTION chainwarden.grant_access(text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION chainwarden.tenants_of_current_role(boolean) FROM PUBLIC;

UPDATE chainwarden.schema_version SET version = 2;
