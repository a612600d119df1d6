//! `ingress-gateway check`: every finding about a set of manifests.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::SystemTime;

use ingress_core::table::{Diagnostic, DiagnosticKind};
use ingress_core::tls::TlsClaims;
use ingress_kube::tls::{CertificateError, TlsFinding, build_certificates};
use ingress_kube::{ManifestError, Source};
use serde_json::{Value, json};

use crate::cli::{CheckArgs, Format};
use crate::loading::{Compiled, load};

pub(crate) fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let compiled = load(&args.source)?;
    let findings = Findings::of(&compiled);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => findings.write_text(&mut out)?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&findings.json())?)?,
    }
    let failed = !compiled.loaded.manifests().errors().is_empty() || compiled.table.report().has_rejections();
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// What `check` reports, gathered once for both formats.
struct Findings<'a> {
    compiled: &'a Compiled,
    /// Each table diagnostic with where its object was defined.
    diagnostics: Vec<(&'a Diagnostic, Option<&'a Source>)>,
    /// Each TLS finding (T1 conflicts, T3 Secrets that cannot serve a
    /// host) with where its Ingress was defined.
    tls: Vec<(TlsFinding, Option<&'a Source>)>,
}

impl<'a> Findings<'a> {
    fn of(compiled: &'a Compiled) -> Self {
        let diagnostics = compiled
            .table
            .report()
            .diagnostics()
            .iter()
            .map(|d| (d, compiled.loaded.source_of(&d.object)))
            .collect();
        Self {
            compiled,
            diagnostics,
            tls: tls_findings(compiled),
        }
    }

    fn count(&self, rule: &str) -> usize {
        self.diagnostics.iter().filter(|(d, _)| d.kind.rule() == rule).count()
    }

    fn summary(&self) -> Summary {
        let manifests = self.compiled.loaded.manifests();
        Summary {
            files: manifests.files(),
            ingresses: manifests.ingresses().len(),
            served: self.compiled.loaded.set().serving().count(),
            rejected: self.compiled.table.report().rejections().count(),
            ignored: self.compiled.loaded.ignored().len(),
            conflicts: self.count("M6") + self.count("M7"),
            never_match: self.count("P9") + self.count("H3"),
            parse_errors: manifests.errors().len(),
            duplicates: manifests.duplicates().len(),
            tls: self.tls.len(),
        }
    }

    fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let manifests = self.compiled.loaded.manifests();
        for error in manifests.errors() {
            writeln!(out, "error: {error}")?;
        }
        for duplicate in manifests.duplicates() {
            writeln!(out, "warning: {duplicate}")?;
        }
        for ignored in self.compiled.loaded.ignored() {
            writeln!(out, "ignored: {ignored}")?;
        }
        for (diagnostic, source) in &self.diagnostics {
            let severity = match diagnostic.kind {
                DiagnosticKind::Rejected { .. } => "rejected",
                DiagnosticKind::Conflict { .. } | DiagnosticKind::DefaultBackendConflict { .. } => "conflict",
                _ => "unreachable",
            };
            match source {
                Some(source) => writeln!(out, "{severity}: {source}: {diagnostic}")?,
                None => writeln!(out, "{severity}: {diagnostic}")?,
            }
        }
        for (finding, source) in &self.tls {
            match source {
                Some(source) => writeln!(out, "tls: {source}: {finding}")?,
                None => writeln!(out, "tls: {finding}")?,
            }
        }
        writeln!(out, "{}", self.summary())
    }

    fn json(&self) -> Value {
        let manifests = self.compiled.loaded.manifests();
        let source = |source: &Source| json!({"file": source.path.display().to_string(), "line": source.line, "document": source.document});
        json!({
            "errors": manifests.errors().iter().map(error_json).collect::<Vec<_>>(),
            "duplicates": manifests.duplicates().iter().map(|d| json!({
                "object": d.object.to_string(),
                "kept": source(&d.kept),
                "dropped": source(&d.dropped),
            })).collect::<Vec<_>>(),
            "ignored": self.compiled.loaded.ignored().iter().map(|i| json!({
                "ingress": i.key.to_string(),
                "source": source(&i.source),
                "rule": i.reason.rule(),
                "reason": i.reason.to_string(),
            })).collect::<Vec<_>>(),
            "diagnostics": self.diagnostics.iter().map(|(d, s)| diagnostic_json(d, s.map(source).as_ref())).collect::<Vec<_>>(),
            "tls": self.tls.iter().map(|(f, s)| tls_json(f, s.map(source).as_ref())).collect::<Vec<_>>(),
            "summary": self.summary().json(),
        })
    }
}

/// The TLS findings of the served Ingresses: their claims (T1) checked
/// against the Secrets of the manifests (T3), as the feed builds them.
fn tls_findings(compiled: &Compiled) -> Vec<(TlsFinding, Option<&Source>)> {
    let manifests = compiled.loaded.manifests();
    let claims = TlsClaims::from_ingresses(compiled.loaded.set().serving());
    let (_, findings) = build_certificates(
        &claims,
        |secret| manifests.secret(secret.namespace(), secret.name()).map(|s| &s.object),
        SystemTime::now(),
    );
    findings
        .into_iter()
        .map(|finding| {
            let source = finding.ingress().and_then(|key| compiled.loaded.source_of(key));
            (finding, source)
        })
        .collect()
}

/// A short name for what is wrong with a certificate.
fn problem(error: &CertificateError) -> &'static str {
    if error.is_missing() {
        "missing"
    } else if error.is_wrong_type() {
        "wrong_type"
    } else if error.is_bad_pem() {
        "bad_pem"
    } else if error.is_key_mismatch() {
        "key_mismatch"
    } else if error.is_expired() {
        "expired"
    } else if error.is_not_yet_valid() {
        "not_yet_valid"
    } else if error.is_not_covering() {
        "not_covering"
    } else {
        "other"
    }
}

fn tls_json(finding: &TlsFinding, source: Option<&Value>) -> Value {
    let mut value = json!({
        "rule": finding.rule(),
        "ingress": finding.ingress().map(ToString::to_string),
        "source": source,
        "message": finding.to_string(),
    });
    let details = match finding {
        TlsFinding::Conflict(conflict) => json!({
            "kind": "conflict",
            "field": conflict.loser.field,
            "host": conflict.loser.host.to_string(),
            "secret": conflict.loser.secret.as_ref().map(ToString::to_string),
            "winner": {
                "ingress": conflict.winner.ingress.to_string(),
                "field": conflict.winner.field,
                "secret": conflict.winner.secret.as_ref().map(ToString::to_string),
            },
        }),
        TlsFinding::Certificate { claim, error } => json!({
            "kind": problem(error),
            "field": claim.field,
            "host": claim.host.to_string(),
            "secret": error.secret().to_string(),
        }),
        other => json!({
            "kind": other.error().map_or("other", problem),
            "secret": other.error().map(|e| e.secret().to_string()),
        }),
    };
    if let (Value::Object(value), Value::Object(details)) = (&mut value, details) {
        value.extend(details);
    }
    value
}

fn error_json(error: &ManifestError) -> Value {
    let line = match error {
        ManifestError::Document { line, .. } | ManifestError::NotUtf8 { line, .. } => Some(*line),
        _ => None,
    };
    let document = match error {
        ManifestError::Document { document, .. } => Some(*document),
        _ => None,
    };
    json!({"file": error.path().display().to_string(), "line": line, "document": document, "message": error.to_string()})
}

fn diagnostic_json(diagnostic: &Diagnostic, source: Option<&Value>) -> Value {
    let mut value = json!({
        "rule": diagnostic.kind.rule(),
        "ingress": diagnostic.object.to_string(),
        "source": source,
        "message": diagnostic.to_string(),
    });
    let details = match &diagnostic.kind {
        DiagnosticKind::Rejected {
            errors,
            serving_previous,
        } => json!({
            "kind": "rejected",
            "serving_previous": serving_previous,
            "errors": errors.iter().map(|e| json!({"field": e.field, "rule": e.reason.rule(), "reason": e.reason.to_string()})).collect::<Vec<_>>(),
        }),
        DiagnosticKind::Conflict {
            field,
            level,
            path,
            path_type,
            winner,
        } => json!({
            "kind": "conflict",
            "field": field,
            "host": level.to_string(),
            "path": path,
            "pathType": path_type.as_str(),
            "winner": {"ingress": winner.object.to_string(), "field": winner.field},
        }),
        DiagnosticKind::DefaultBackendConflict { level, winner } => json!({
            "kind": "default_backend_conflict",
            "field": "spec.defaultBackend",
            "host": level.to_string(),
            "winner": {"ingress": winner.to_string(), "field": "spec.defaultBackend"},
        }),
        DiagnosticKind::NeverMatches { field, reason } => json!({
            "kind": "never_matches",
            "field": field,
            "reason": reason.to_string(),
        }),
        _ => json!({"kind": "other"}),
    };
    if let (Value::Object(value), Value::Object(details)) = (&mut value, details) {
        value.extend(details);
    }
    value
}

struct Summary {
    files: usize,
    ingresses: usize,
    served: usize,
    rejected: usize,
    ignored: usize,
    conflicts: usize,
    never_match: usize,
    parse_errors: usize,
    duplicates: usize,
    tls: usize,
}

impl Summary {
    fn json(&self) -> Value {
        json!({
            "files": self.files,
            "ingresses": self.ingresses,
            "served": self.served,
            "rejected": self.rejected,
            "ignored": self.ignored,
            "conflicts": self.conflicts,
            "never_match": self.never_match,
            "parse_errors": self.parse_errors,
            "duplicates": self.duplicates,
            "tls_findings": self.tls,
        })
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |count: usize, one: &str, many: &str| format!("{count} {}", if count == 1 { one } else { many });
        write!(
            f,
            "summary: {}, {} ({} served, {} rejected, {} of other classes); {}, {}, {}, {}",
            n(self.files, "file", "files"),
            n(self.ingresses, "Ingress", "Ingresses"),
            self.served,
            self.rejected,
            self.ignored,
            n(self.conflicts, "conflict", "conflicts"),
            n(
                self.never_match,
                "rule that can never match",
                "rules that can never match"
            ),
            n(self.parse_errors, "parse error", "parse errors"),
            n(self.duplicates, "duplicate", "duplicates"),
        )?;
        // Said only when there are some, so that output without TLS stays
        // as it was.
        if self.tls > 0 {
            write!(f, ", {}", n(self.tls, "TLS finding", "TLS findings"))?;
        }
        Ok(())
    }
}
