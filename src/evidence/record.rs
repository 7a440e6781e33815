//! What one run contributes to the evidence store, built from a command's report and passed
//! through the redaction layer before anything is stored.
//!
//! A run is its payload (the redacted JSON report), the policy in force (canonical JSON, see
//! [`super::policy`]) and a small header (scope, time, trigger, lockfile path and digest,
//! commit). An audit's inventory is kept apart, once per distinct inventory, keyed by its own
//! SHA-256: a quarter of daily audits of an unchanged lockfile stores it once.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::kind::{Origin, RunKind};
use super::memo::InventoryMemo;
use super::policy::{sha256_hex, PolicyInForce};
use crate::audit::model::{AuditReport, DeclaredScope};
use crate::finding::Package;
use crate::policy::scope::is_valid_scope_id;
use crate::redact::redact;
use crate::verify::model::VerifyReport;

/// The scope every stored row carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Scope {
    pub tenant_id: String,
    pub project_id: String,
}

impl Scope {
    /// Runs without a tenant or project are stored under `default`.
    pub const DEFAULT: &'static str = "default";

    pub fn new(tenant: Option<&str>, project: Option<&str>) -> Scope {
        Scope {
            tenant_id: tenant.unwrap_or(Scope::DEFAULT).to_string(),
            project_id: project.unwrap_or(Scope::DEFAULT).to_string(),
        }
    }

    /// The key a run declared under `declared` is stored under.
    pub fn of(declared: &DeclaredScope) -> Scope {
        Scope::new(
            declared.tenant_id.as_deref(),
            declared.project_id.as_deref(),
        )
    }

    /// A scope from untrusted text (an import line): both ids must be valid scope ids.
    pub fn checked(tenant: &str, project: &str) -> std::result::Result<Scope, String> {
        for (field, id) in [("tenant_id", tenant), ("project_id", project)] {
            if !is_valid_scope_id(id) {
                let shown: String = id.chars().take(40).collect();
                return Err(format!(
                    "{field} {shown:?}{} is not a valid id (1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
                    if id.chars().count() > 40 { "..." } else { "" }
                ));
            }
        }
        Ok(Scope {
            tenant_id: tenant.to_string(),
            project_id: project.to_string(),
        })
    }
}

/// Where a run came from and why it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    /// `schedule` for scheduled scans; a CI event (`push`, `pull_request`, ...) or
    /// `manual` for the others.
    pub trigger: String,
    /// The lockfile's path: relative to its repository when tracked there, else as given.
    pub lockfile_path: Option<String>,
    /// The commit, when the lockfile is tracked in a git repository.
    pub git_commit: Option<String>,
}

/// A valid trigger: 1-64 characters of `A-Z a-z 0-9 . _ : -`.
pub fn is_valid_trigger(t: &str) -> bool {
    (1..=64).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// One run, ready to store. Build with [`RunRecord::from_audit`] / [`RunRecord::from_verify`].
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Random, so that identical runs (eight concurrent audits of one lockfile in one second)
    /// are eight runs; kept across export and import, so imports are idempotent.
    pub run_id: String,
    pub scope: Scope,
    pub kind: RunKind,
    pub command: String,
    pub time: String,
    pub tool_version: String,
    pub git_commit: Option<String>,
    pub lockfile_path: Option<String>,
    pub lockfile_sha256: Option<String>,
    pub db_commit: Option<String>,
    pub db_age_days: Option<i64>,
    pub trigger: String,
    pub origin: Origin,
    pub verdict: String,
    pub policy: PolicyInForce,
    /// The redacted JSON report (an audit's without its inventory).
    pub payload: String,
    /// An audit's inventory (redacted JSON array), stored once per distinct content.
    pub inventory: Option<InventoryText>,
}

/// An inventory's text with its SHA-256, computed once: a recorded audit needs the digest to
/// ask the store whether it holds the text and again for the chain, and the text is ~228 KB
/// for 1,200 packages. The fields are private, so the digest is always the text's; the text is
/// absent only from [`InventoryText::held`], a digest the store was seen to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryText {
    text: Option<String>,
    sha256: String,
}

impl InventoryText {
    pub fn new(text: String) -> InventoryText {
        InventoryText {
            sha256: sha256_hex(text.as_bytes()),
            text: Some(text),
        }
    }

    /// An inventory the store holds, by its digest alone: nothing is written for it, the run
    /// references the stored text. Built only by [`RunRecord::from_audit_for_store`], after
    /// the store said it holds this digest for the run's tenant.
    fn held(sha256: String) -> InventoryText {
        InventoryText { text: None, sha256 }
    }

    /// The text, unless the run references a stored one ([`InventoryText::held`]).
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The text as the redaction layer leaves it: the same value (digest not computed
    /// again) when nothing in it was redacted.
    fn cleaned(self) -> InventoryText {
        let Some(text) = &self.text else {
            return self;
        };
        match redact(text) {
            std::borrow::Cow::Borrowed(_) => self,
            std::borrow::Cow::Owned(text) => InventoryText::new(text),
        }
    }
}

/// What a recorded audit asks its store about inventories (see
/// [`RunRecord::from_audit_for_store`]).
pub trait HeldInventories {
    /// Whether the store holds, for the run's tenant, an inventory of this digest.
    fn holds(&mut self, sha256: &str) -> crate::error::Result<bool>;
    /// The stored text of this digest, if the store holds it for the run's tenant.
    fn text(&mut self, sha256: &str) -> crate::error::Result<Option<String>>;
    /// Whether reading a text is a local read (SQLite), not a network transfer.
    fn reads_locally(&self) -> bool;
}

fn clean(text: &str) -> String {
    redact(text).into_owned()
}

/// 128 random bits as hex.
pub fn new_run_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex::encode(bytes)
}

/// The policy as stored: every free text through the redaction layer.
fn clean_policy(mut p: PolicyInForce) -> PolicyInForce {
    let opt = |v: &mut Option<String>| {
        if let Some(t) = v.as_mut() {
            *t = clean(t);
        }
    };
    for e in &mut p.exceptions {
        for t in [&mut e.id, &mut e.reason, &mut e.approved_by, &mut e.expires] {
            *t = clean(t);
        }
        opt(&mut e.requested_by);
        opt(&mut e.approved_on);
        opt(&mut e.compensating_control);
    }
    let r = &mut p.report;
    opt(&mut r.title);
    opt(&mut r.control_owner);
    for t in r.reviewers.iter_mut().chain(r.approvers.iter_mut()) {
        *t = clean(t);
    }
    for list in r.exception_approvers.values_mut() {
        for t in list {
            *t = clean(t);
        }
    }
    p
}

/// Whether no secret value of this process's environment occurs in the stored inventory
/// `sha256` (its text is read only when the environment holds such a value).
fn holds_no_env_secret_in_stored(
    store: &mut dyn HeldInventories,
    sha256: &str,
) -> crate::error::Result<bool> {
    if !crate::redact::has_env_secrets() {
        return Ok(true);
    }
    Ok(store
        .text(sha256)?
        .is_some_and(|t| crate::redact::holds_no_env_secret(&t)))
}

fn verdict_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Redacted inventories, by the digest of their text before redaction, for one process: an
/// import of a quarter of daily runs of one lockfile redacts that inventory once, not 92 times
/// (redaction depends only on the text and on this process's environment, which is fixed).
#[derive(Default)]
pub struct Redactions {
    inventories: HashMap<String, InventoryText>,
}

impl Redactions {
    fn inventory(&mut self, text: String) -> InventoryText {
        let raw = InventoryText::new(text);
        self.inventories
            .entry(raw.sha256().to_string())
            .or_insert_with(|| raw.cleaned())
            .clone()
    }
}

/// An audit report split for storing: the report without its inventory, and the inventory
/// (borrowed: the bulk of a report, ~1,200 packages, is never cloned; the clone cost 0.6 M
/// instructions a recorded audit, callgrind). Every field is named, so a field added to the
/// report is a compile error here.
fn split_inventory_of(report: &AuditReport) -> (AuditReport, &[Package]) {
    let AuditReport {
        schema_version,
        tool_version,
        time,
        scope,
        lockfile,
        database,
        settings,
        verdict,
        failures,
        summary,
        findings,
        notes,
        inventory,
        baseline,
    } = report;
    let without = AuditReport {
        schema_version: *schema_version,
        tool_version: tool_version.clone(),
        time: time.clone(),
        scope: scope.clone(),
        lockfile: lockfile.clone(),
        database: database.clone(),
        settings: settings.clone(),
        verdict: *verdict,
        failures: failures.clone(),
        summary: summary.clone(),
        findings: findings.clone(),
        notes: notes.clone(),
        inventory: Vec::new(),
        baseline: baseline.clone(),
    };
    (without, inventory)
}

/// An inventory's text as stored: compact JSON, not yet redacted.
fn inventory_json(inventory: &[Package]) -> String {
    serde_json::to_string(inventory).expect("inventory serialises")
}

/// An audit's record from the report without its inventory and the inventory's clean text;
/// the payload is redacted here.
fn audit_record(
    scope: Scope,
    report: AuditReport,
    inventory: InventoryText,
    context: RunContext,
    policy: PolicyInForce,
) -> RunRecord {
    let payload = clean(&serde_json::to_string(&report).expect("report serialises"));
    RunRecord {
        run_id: new_run_id(),
        scope,
        kind: RunKind::Audit,
        command: "audit".into(),
        git_commit: context.git_commit.map(|c| clean(&c)),
        lockfile_path: context.lockfile_path.map(|p| clean(&p)),
        lockfile_sha256: Some(report.lockfile.sha256.clone()),
        db_commit: report.database.commit.clone(),
        db_age_days: report.database.age_days,
        trigger: clean(&context.trigger),
        origin: Origin::Recorded,
        verdict: verdict_text(&report.verdict),
        policy: clean_policy(policy),
        payload,
        inventory: Some(inventory),
        time: report.time,
        tool_version: report.tool_version,
    }
}

impl RunRecord {
    pub fn from_audit(
        scope: Scope,
        report: &AuditReport,
        context: RunContext,
        policy: PolicyInForce,
    ) -> RunRecord {
        let (report, packages) = split_inventory_of(report);
        let inventory = InventoryText::new(inventory_json(packages)).cleaned();
        audit_record(scope, report, inventory, context, policy)
    }

    /// [`RunRecord::from_audit`] for a run about to be recorded into `store`: an inventory
    /// text it holds is not redacted again, so a recorded audit of an unchanged lockfile (CI's
    /// daily run) skips redacting its ~200 KB inventory; with a `memo` that knows the
    /// inventory's digest, it is not even serialised and hashed.
    ///
    /// Why that is sound: every inventory text a store holds was written through the
    /// redaction layer, whose rules are idempotent (`redact(redact(x)) == redact(x)`, a
    /// property test), so they find nothing new in it; only the environment's secret values
    /// differ between processes, and those are still looked for
    /// ([`crate::redact::holds_no_env_secret`]). A text an older rule table let through is
    /// only referenced again, never written: no byte reaches the store that was not there.
    /// The memo names the digest to ask about; that a store text of that digest is this run's
    /// own unredacted inventory rests on the memo's key (checked on every hit in debug builds,
    /// see [`InventoryMemo`]), and the same secret check applies to it. When the environment
    /// holds secrets and the store is not local (PostgreSQL), the memo is not used: reading
    /// the ~230 KB text back over the network to search it would cost more than it saves.
    pub fn from_audit_for_store(
        scope: Scope,
        report: &AuditReport,
        context: RunContext,
        policy: PolicyInForce,
        store: &mut dyn HeldInventories,
        memo: Option<&InventoryMemo>,
    ) -> crate::error::Result<RunRecord> {
        let (without, packages) = split_inventory_of(report);
        let memo = memo.filter(|_| !crate::redact::has_env_secrets() || store.reads_locally());
        let key = memo.and_then(|_| InventoryMemo::key(report));
        let remembered = memo.zip(key.as_deref()).and_then(|(m, k)| m.lookup(k));
        if let Some(sha) = remembered.as_deref() {
            if store.holds(sha)? && holds_no_env_secret_in_stored(store, sha)? {
                debug_assert_eq!(
                    sha256_hex(inventory_json(packages).as_bytes()),
                    sha,
                    "the inventory memo's key missed an input"
                );
                let held = InventoryText::held(sha.to_string());
                return Ok(audit_record(scope, without, held, context, policy));
            }
        }
        let raw = InventoryText::new(inventory_json(packages));
        let raw_sha256 = raw.sha256().to_string();
        let inventory = if store.holds(raw.sha256())?
            && raw.text().is_some_and(crate::redact::holds_no_env_secret)
        {
            raw
        } else {
            raw.cleaned()
        };
        // Remembered only when the store will hold the unredacted text's digest: an inventory
        // redaction changes (a credential in a git source) is never found under it.
        if let (Some(memo), Some(key)) = (memo, &key) {
            if inventory.sha256() == raw_sha256 && remembered.as_deref() != Some(&raw_sha256) {
                memo.remember(key, &raw_sha256);
            }
        }
        Ok(audit_record(scope, without, inventory, context, policy))
    }

    /// A `watch` run: the recorded inventory of a scope audited again against a newer
    /// advisory database, with no checkout. Stored like an audit (same inventory row), so the
    /// chain covers it and first detection can come from it.
    pub fn from_watch(
        scope: Scope,
        report: &AuditReport,
        context: RunContext,
        policy: PolicyInForce,
    ) -> RunRecord {
        let mut record = RunRecord::from_audit(scope, report, context, policy);
        record.kind = RunKind::Watch;
        record.command = "watch".into();
        record
    }

    pub fn from_verify(
        scope: Scope,
        report: &VerifyReport,
        context: RunContext,
        policy: PolicyInForce,
    ) -> RunRecord {
        let payload = clean(&serde_json::to_string(report).expect("report serialises"));
        RunRecord {
            run_id: new_run_id(),
            scope,
            kind: RunKind::Verify,
            command: format!("verify {}", report.command),
            time: report.time.clone(),
            tool_version: report.tool_version.clone(),
            git_commit: context.git_commit.map(|c| clean(&c)),
            lockfile_path: None,
            lockfile_sha256: None,
            db_commit: None,
            db_age_days: None,
            trigger: clean(&context.trigger),
            origin: Origin::Recorded,
            verdict: report.verdict.as_str().to_string(),
            policy: clean_policy(policy),
            payload,
            inventory: None,
        }
    }

    /// Rebuilds a record from an export line's run (import). The payload is read into the
    /// typed report, so a line whose payload is not a report of its kind is refused. The
    /// caller has checked the whole line (syntax, duplicate keys: [`crate::json::check`]).
    pub fn from_export(
        run: ExportRun<&serde_json::value::RawValue>,
        origin: Origin,
        redactions: &mut Redactions,
    ) -> std::result::Result<RunRecord, String> {
        let scope = Scope::checked(&run.tenant_id, &run.project_id)?;
        if !is_valid_trigger(&run.trigger) {
            return Err(format!("trigger {:?} is not a valid trigger", run.trigger));
        }
        let payload = run.payload.get();
        if !payload_digest_matches(payload, &run.payload_sha256) {
            return Err(format!(
                "run {}: payload_sha256 does not match its payload (edited after export?)",
                run.run_id
            ));
        }
        if run.run_id.len() != 32 || !run.run_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("run_id {:?} is not 32 hex digits", run.run_id));
        }
        let context = RunContext {
            trigger: run.trigger.clone(),
            lockfile_path: run.lockfile_path.clone(),
            git_commit: run.git_commit.clone(),
        };
        let time_of = |time: &str| {
            crate::clock::parse_rfc3339(time)
                .map(|_| ())
                .map_err(|e| format!("payload time: {e}"))
        };
        let kind =
            RunKind::parse(&run.kind).ok_or_else(|| format!("unknown run kind `{}`", run.kind))?;
        let mut record = match kind {
            RunKind::Audit | RunKind::Watch => {
                let report: AuditReport = serde_json::from_str(payload)
                    .map_err(|e| format!("{} payload: {e}", run.kind))?;
                time_of(&report.time)?;
                let (without, packages) = split_inventory_of(&report);
                let inventory = redactions.inventory(inventory_json(packages));
                let mut record = audit_record(scope, without, inventory, context, run.policy);
                if kind == RunKind::Watch {
                    record.kind = RunKind::Watch;
                    record.command = "watch".into();
                }
                record
            }
            RunKind::Verify => {
                let report: VerifyReport =
                    serde_json::from_str(payload).map_err(|e| format!("verify payload: {e}"))?;
                time_of(&report.time)?;
                RunRecord::from_verify(scope, &report, context, run.policy)
            }
        };
        if record.time != run.time {
            return Err(format!(
                "time {:?} differs from the payload's {:?}",
                run.time, record.time
            ));
        }
        record.run_id = run.run_id.to_ascii_lowercase();
        record.origin = origin;
        Ok(record)
    }
}

/// Whether `digest` is the SHA-256 of the payload: of its bytes as they appear in the line
/// (chainwarden's exports write the payload as compact JSON, the form the digest is taken of,
/// so that is one hash and no re-serialisation), else of its compact form (a line written by
/// another tool, with other spacing or escapes).
fn payload_digest_matches(payload: &str, digest: &str) -> bool {
    sha256_hex(payload.as_bytes()) == digest
        || serde_json::from_str::<serde_json::Value>(payload)
            .is_ok_and(|v| sha256_hex(v.to_string().as_bytes()) == digest)
}

pub const EXPORT_FORMAT: u32 = 2;

/// The run of one `chainwarden evidence export` line. The line is `{"run": RUN}` or, signed,
/// `{"run": RUN, "signature": "-----BEGIN SSH SIGNATURE-----..."}` where the signature covers
/// the exact bytes of RUN as they appear in the line. Written with the payload as a tree;
/// read with it as the line's bytes (`ExportRun<&RawValue>`), parsed once, into its type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRun<P = serde_json::Value> {
    pub format: u32,
    pub run_id: String,
    pub tenant_id: String,
    pub project_id: String,
    pub kind: String,
    pub command: String,
    pub time: String,
    pub trigger: String,
    pub lockfile_path: Option<String>,
    pub git_commit: Option<String>,
    pub policy: PolicyInForce,
    pub payload_sha256: String,
    pub payload: P,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_scope_is_stored_with_default_for_what_it_leaves_unset() {
        let declared = |t: Option<&str>, p: Option<&str>| DeclaredScope {
            tenant_id: t.map(String::from),
            project_id: p.map(String::from),
        };
        assert_eq!(
            Scope::of(&declared(None, Some("web"))),
            Scope {
                tenant_id: "default".into(),
                project_id: "web".into()
            }
        );
        assert_eq!(
            Scope::of(&declared(Some("acme"), Some("api"))),
            Scope::checked("acme", "api").unwrap()
        );
        assert_eq!(Scope::of(&declared(None, None)), Scope::new(None, None));
    }

    /// The split gives the report without its inventory (every other field as it was) and
    /// the inventory as compact JSON, on a real report (the ripgrep-2019 audit snapshot: 86
    /// packages, findings, notes).
    #[test]
    fn the_split_takes_out_the_inventory_and_nothing_else() {
        let snap = include_str!(
            "../../tests/integration/snapshots/integration__audit__json_real_ripgrep_2019.snap"
        );
        let json = snap.splitn(3, "---\n").nth(2).unwrap();
        let report: AuditReport = serde_json::from_str(json).unwrap();
        assert_eq!(report.inventory.len(), 86);
        let (without, inventory) = split_inventory_of(&report);
        assert_eq!(inventory, &report.inventory[..]);
        assert_eq!(
            inventory_json(inventory),
            serde_json::to_string(&report.inventory).unwrap()
        );
        let mut expected = report.clone();
        expected.inventory.clear();
        assert_eq!(
            serde_json::to_string(&without).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
        assert!(without.inventory.is_empty() && !without.findings.is_empty());
    }

    /// A run that references a stored inventory (digest, no text) the store was not seen to
    /// hold is refused, not stored as a reference to nothing.
    #[test]
    fn a_run_referencing_an_inventory_the_store_lacks_is_refused() {
        let snap = include_str!(
            "../../tests/integration/snapshots/integration__audit__json_real_ripgrep_2019.snap"
        );
        let report: AuditReport =
            serde_json::from_str(snap.splitn(3, "---\n").nth(2).unwrap()).unwrap();
        let context = RunContext {
            trigger: "manual".into(),
            lockfile_path: None,
            git_commit: None,
        };
        let policy = PolicyInForce::from_policy(&crate::policy::Policy::builtin());
        let mut record = RunRecord::from_audit(Scope::new(None, None), &report, context, policy);
        record.inventory = Some(InventoryText::held("ab".repeat(32)));
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::evidence::Store::open(&dir.path().join("e.db")).unwrap();
        let err = store.record(&record).unwrap_err().to_string();
        assert!(err.contains("neither stored nor sent"), "{err}");
        assert_eq!(store.count_runs(&record.scope).unwrap(), 0);
    }

    /// The digest always belongs to the text: kept when redaction changes nothing, computed
    /// again when it masks something.
    #[test]
    fn an_inventory_text_carries_its_own_digest_through_redaction() {
        let plain = InventoryText::new(r#"[{"name":"serde"}]"#.into());
        assert_eq!(plain.sha256(), sha256_hex(plain.text().unwrap().as_bytes()));
        assert_eq!(plain.clone().cleaned(), plain);
        let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0".repeat(2));
        let leaky = InventoryText::new(format!(r#"[{{"source":"https://x:{token}@h/i"}}]"#));
        let cleaned = leaky.clone().cleaned();
        let text = cleaned.text().unwrap();
        assert!(!text.contains(&token), "{text}");
        assert_ne!(cleaned.sha256(), leaky.sha256());
        assert_eq!(cleaned.sha256(), sha256_hex(text.as_bytes()));
    }
}
