-- chainwarden evidence store on PostgreSQL, schema version 3: notification deliveries, the
-- SQLite store's version 3 (one row per sink and finding, in a per-scope hash chain of their
-- own anchored to the run's record hash), under the same tenant policies as the runs.

CREATE TABLE chainwarden.deliveries (
    tenant_id text COLLATE "C" NOT NULL,
    project_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    run_id text COLLATE "C" NOT NULL,
    run_record_hash text NOT NULL,
    sink text NOT NULL,
    finding_id text NOT NULL,
    advisory_id text,
    time text COLLATE "C" NOT NULL,
    outcome text NOT NULL,
    external_id text,
    attempts bigint NOT NULL,
    prev_hash text,
    record_hash text NOT NULL,
    PRIMARY KEY (tenant_id, project_id, seq)
);
CREATE INDEX deliveries_run ON chainwarden.deliveries (tenant_id, run_id);

ALTER TABLE chainwarden.deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON chainwarden.deliveries FOR SELECT USING (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[])
    OR '*' = ANY ((SELECT chainwarden.tenants_of_current_role(false))::text[]));
CREATE POLICY tenant_writes ON chainwarden.deliveries FOR INSERT WITH CHECK (
    tenant_id = ANY ((SELECT chainwarden.tenants_of_current_role(true))::text[]));

-- Roles granted before this version get the new table too.
DO $$
DECLARE g record;
BEGIN
    FOR g IN SELECT DISTINCT a.role_name, bool_or(a.can_write) AS w FROM chainwarden.access a
             JOIN pg_catalog.pg_roles r ON r.rolname = a.role_name GROUP BY a.role_name LOOP
        EXECUTE format('GRANT SELECT ON chainwarden.deliveries TO %I', g.role_name);
        IF g.w THEN
            EXECUTE format('GRANT INSERT ON chainwarden.deliveries TO %I', g.role_name);
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chainwarden.grant_access(p_role text, p_tenant text, p_writing boolean)
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
        chainwarden.runs, chainwarden.policies, chainwarden.inventories,
        chainwarden.deliveries TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chainwarden.tenants_of_current_role(boolean) TO %I',
        p_role);
    IF p_writing THEN
        EXECUTE format('GRANT INSERT ON chainwarden.runs, chainwarden.policies,
            chainwarden.inventories, chainwarden.deliveries TO %I', p_role);
    END IF;
    INSERT INTO chainwarden.access (role_name, tenant_id, can_write)
        VALUES (p_role, p_tenant, p_writing)
        ON CONFLICT (role_name, tenant_id) DO UPDATE SET can_write = EXCLUDED.can_write;
END
$$;
REVOKE ALL ON FUNCTION chainwarden.grant_access(text, text, boolean) FROM PUBLIC;

UPDATE chainwarden.schema_version SET version = 3;
