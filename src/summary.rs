//! The readable terminal summary of a report. Labels come from knowledge/phrases.yaml.

use crate::knowledge::Knowledge;
use crate::options::OptionStatus;
use crate::report::{percent, Report};
use std::fmt::Write;

fn enum_key<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Renders the summary in the report's language.
pub fn render(report: &Report, kb: &Knowledge) -> String {
    let lang = report.language;
    let p = |k: &str| kb.phrase(k, lang, &[]);
    let mut o = String::new();
    let _ = writeln!(o, "{}", report.title);
    if let Some(r) = &report.reference {
        let _ = writeln!(o, "{}: {r}", p("summary.reference"));
    }
    let _ = writeln!(
        o,
        "{}: {} ({}) · {}: {} · {}: {} ({})",
        p("summary.policy"),
        report.policy.name,
        report.policy.id,
        p("summary.as_of"),
        report.as_of,
        p("summary.knowledge"),
        report.knowledge.version,
        report.knowledge.as_of
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{}: {} ({})",
        p("summary.verdict"),
        report.verdict_text.to_uppercase(),
        enum_key(&report.verdict)
    );
    let _ = writeln!(o, "  {}", report.verdict_reason);
    if let Some(a) = &report.authority {
        let _ = writeln!(o, "{}: {}", p("summary.authority"), a.name);
    }
    let yes_no = |b: bool| if b { p("summary.yes") } else { p("summary.no") };
    let criteria: Vec<String> = report
        .dpia
        .criteria
        .iter()
        .map(|c| format!("{} {}", c.number, c.name))
        .collect();
    let _ = writeln!(
        o,
        "{}: {}{}",
        p("summary.dpia"),
        yes_no(report.dpia.required),
        if criteria.is_empty() {
            String::new()
        } else {
            format!(" — {}", criteria.join("; "))
        }
    );
    let _ = writeln!(
        o,
        "{}: {}",
        p("summary.prior"),
        report.prior_consultation.text
    );
    if let Some(e) = &report.quantitative_estimate {
        let _ = writeln!(
            o,
            "{}: {} ({} {})",
            p("summary.estimate"),
            percent(e.combined_probability),
            e.horizon_years,
            p("summary.years")
        );
        let _ = writeln!(o, "  {}", e.note);
    }

    let effective: Vec<_> = report
        .exposures
        .iter()
        .filter(|e| e.policy_status == crate::engine::ExposureStatus::Effective)
        .collect();
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{} ({} {}, {} {}):",
        p("summary.exposures"),
        effective.len(),
        p("summary.effective"),
        report.exposures.len() - effective.len(),
        p("summary.other")
    );
    if report.exposures.is_empty() {
        let _ = writeln!(o, "  {}", p("summary.none"));
    }
    for e in &report.exposures {
        let status = if e.policy_status == e.status {
            p(&format!("status.{}", enum_key(&e.status)))
        } else {
            kb.phrase(
                "summary.status_law_policy",
                lang,
                &[
                    ("law", &p(&format!("status.{}", enum_key(&e.status)))),
                    (
                        "policy",
                        &p(&format!("status.{}", enum_key(&e.policy_status))),
                    ),
                ],
            )
        };
        let _ = writeln!(o, "  • {} – {} [{status}]", e.party_name, e.law_name);
        for c in &e.connections {
            let _ = writeln!(o, "      {}", c.path);
        }
    }

    let _ = writeln!(o);
    let _ = writeln!(o, "{} ({}):", p("summary.findings"), report.findings.len());
    for q in &report.questions {
        let _ = writeln!(o);
        let _ = writeln!(o, "{} {}", if q.decisive { "▶" } else { "■" }, q.text);
        for f in report.findings.iter().filter(|f| f.question == q.id) {
            let _ = writeln!(
                o,
                "  [{} · {} · {}] {}  {}",
                p(&format!("severity.{}", enum_key(&f.severity))),
                p(&format!("effect.{}", enum_key(&f.effect))),
                p(&format!("basis.{}", enum_key(&f.basis))),
                f.id,
                f.title
            );
            let _ = writeln!(o, "      {}", f.explanation);
            for path in &f.path {
                let _ = writeln!(o, "      ↳ {path}");
            }
            if !f.citations.is_empty() {
                let _ = writeln!(
                    o,
                    "      {}: {}",
                    p("summary.cites"),
                    f.citations.join("; ")
                );
            }
        }
    }

    let transfers: Vec<_> = report
        .transfers
        .iter()
        .filter(|t| !t.third_countries.is_empty())
        .collect();
    if !transfers.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "{}:", p("summary.transfers"));
        for t in transfers {
            let _ = writeln!(
                o,
                "  {} → {} ({}): {}{}{}",
                t.from,
                t.to,
                t.third_countries.join(", "),
                p(&format!("tool.{}", enum_key(&t.effective))),
                t.basis
                    .as_ref()
                    .map(|b| format!(" — {b}"))
                    .unwrap_or_default(),
                if t.inferred {
                    format!(" ({})", p("summary.inferred"))
                } else {
                    String::new()
                }
            );
            for i in &t.invalid {
                let _ = writeln!(
                    o,
                    "      ✗ {}: {}",
                    p(&format!("tool.{}", enum_key(&i.tool))),
                    i.reason
                );
            }
        }
    }

    let _ = writeln!(o);
    let _ = writeln!(o, "{}:", p("summary.options"));
    for opt in &report.options {
        let mark = if report.recommended_option.as_deref() == Some(opt.id.as_str()) {
            "★"
        } else if opt.feasible {
            "✓"
        } else {
            "✗"
        };
        let outcome = match (opt.status, opt.residual_verdict) {
            (OptionStatus::Feasible, Some(v)) => format!(
                "→ {}",
                kb.phrase(&format!("verdict.{}", v.key()), lang, &[])
            ),
            _ => format!(
                "{}: {}",
                p(&format!("option_status.{}", enum_key(&opt.status))),
                opt.reason.clone().unwrap_or_default()
            ),
        };
        let _ = writeln!(o, "  {mark} {} — {outcome}", opt.title);
    }
    let _ = writeln!(o, "{}: {}", p("summary.recommended"), report.recommendation);

    if !report.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "{}:", p("summary.warnings"));
        for w in &report.warnings {
            let _ = writeln!(o, "  ! {}", w.message);
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{}: {}  sha256:{}",
        p("summary.input"),
        report.file,
        report.input_sha256
    );
    o
}
