//! Vendor comparison for procurement: models of the same need that differ only on the vendor
//! side, each assessed under one policy profile, ranked. Plain data for `tia compare --format
//! json` and the Typst template; every text comes from the reports or the knowledge base.

use crate::diag::{Diagnostic, InputError, Text};
use crate::engine::{ExposureStatus, Verdict};
use crate::knowledge::{CategoryFlag, Effect, Knowledge, OptionAction};
use crate::model::{Lang, Role};
use crate::report::{ExposureReport, KnowledgeInfo, Named, Report};
use chrono::NaiveDate;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// The ranking criteria in the order they are applied. Better first: a better verdict
/// (acceptable, then acceptable with measures), no prior consultation, fewer effective
/// exposures (party × law), fewer exposed sensitive categories; then by title and by file so
/// that the order is strict and stable.
pub const RANKING_BASIS: &[&str] = &[
    "verdict",
    "prior_consultation_required",
    "effective_exposures",
    "exposed_sensitive_categories",
    "title",
    "file",
];

/// Category flags counted as sensitive: those of rule RISK-SENSITIVE.
pub(crate) const SENSITIVE: [CategoryFlag; 4] = [
    CategoryFlag::Art9,
    CategoryFlag::Art10,
    CategoryFlag::NationalId,
    CategoryFlag::ProtectedIdentity,
];

/// Several assessments of one need under one profile, on one date, best first.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub policy: Named,
    pub as_of: NaiveDate,
    pub knowledge: KnowledgeInfo,
    pub language: Lang,
    /// Keys of the ranking criteria, in order (see [`RANKING_BASIS`]).
    pub ranking_basis: &'static [&'static str],
    pub entries: Vec<Entry>,
}

/// One assessed model in the ranking.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Entry {
    /// 1 for the best; strict, no ties.
    pub rank: usize,
    pub title: String,
    pub reference: Option<String>,
    pub file: String,
    pub input_sha256: String,
    /// The parties in the processor role (the vendors offered).
    pub processors: Vec<PartyRef>,
    pub verdict: Verdict,
    pub verdict_text: String,
    pub prior_consultation_required: bool,
    pub dpia_required: bool,
    /// Party × law exposures with status `effective`.
    pub effective_exposures: usize,
    /// How many of `data_categories` are sensitive.
    pub exposed_sensitive_categories: usize,
    pub exposed_parties: Vec<ExposedParty>,
    /// Laws with at least one effective exposure.
    pub laws: Vec<LawRef>,
    /// Categories reaching an exposed party, in knowledge-base order.
    pub data_categories: Vec<CategoryRef>,
    pub findings: FindingCounts,
    pub blocking_findings: Vec<FindingRef>,
    /// The report's recommended option.
    pub best_option: Option<OptionRef>,
    /// The quantitative estimate's combined probability, when the model gives one.
    pub combined_probability: Option<f64>,
    /// The whole assessment, for the document's words (not in the JSON: each model's own
    /// `tia assess` gives it).
    #[serde(skip)]
    pub report: Box<Report>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ComparedParty")]
pub struct PartyRef {
    pub id: String,
    pub name: String,
    pub vendor: Option<String>,
    /// Country of incorporation.
    pub country: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExposedParty {
    pub id: String,
    pub name: String,
    pub country: String,
    pub role: Role,
    /// The laws that effectively reach the party.
    pub laws: Vec<LawRef>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LawRef {
    pub id: String,
    pub name: String,
    pub short: String,
    pub jurisdiction: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CategoryRef {
    pub id: String,
    pub name: String,
    pub sensitive: bool,
}

/// Number of findings per effect.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct FindingCounts {
    pub blocking: usize,
    pub measures: usize,
    pub inform: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FindingRef {
    pub id: String,
    pub rule: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OptionRef {
    pub id: String,
    pub action: OptionAction,
    pub title: String,
    pub residual_verdict: Option<Verdict>,
    pub residual_prior_consultation_required: Option<bool>,
}

/// Assesses models of the same need alike, as [`compare`] requires: the options' profile,
/// date and language, else the first model's profile and language, and today.
pub fn assess_alike(
    kb: &Knowledge,
    models: &[crate::Model],
    opts: &crate::AssessOptions,
) -> Result<Vec<Report>, InputError> {
    let mut opts = opts.clone();
    if let Some(first) = models.first() {
        opts.policy = opts.policy.or_else(|| first.policy.clone());
        opts.lang = opts.lang.or(Some(first.language));
    }
    opts.as_of = opts
        .as_of
        .or_else(|| Some(chrono::Local::now().date_naive()));
    models.iter().map(|m| crate::assess(m, kb, &opts)).collect()
}

/// Ranks reports of the same need. Refuses an empty list, and reports that differ in policy
/// profile, date or language (the error names the report that differs).
pub fn compare(kb: &Knowledge, reports: &[Report]) -> Result<Comparison, InputError> {
    let first = reports.first().ok_or_else(|| {
        Diagnostic::text("compare", (1, 1), Text::message("compare_none"))
            .expected_text(Text::expected("compare_models"))
    })?;
    for r in &reports[1..] {
        for ((key, want), (_, got)) in basis(first).into_iter().zip(basis(r)) {
            if want != got {
                return Err(Diagnostic::text(
                    &r.file,
                    (1, 1),
                    Text::message("compare_differs")
                        .arg("key", key)
                        .arg("got", got)
                        .arg("first", &first.file)
                        .arg("want", want),
                )
                .expected_text(Text::expected("compare_alike"))
                .hint_text(Text::hint("compare_alike"))
                .into());
            }
        }
    }
    let mut entries: Vec<Entry> = reports.iter().map(|r| entry(kb, r)).collect();
    entries.sort_by(|a, b| ranking_key(a).cmp(&ranking_key(b)));
    for (i, e) in entries.iter_mut().enumerate() {
        e.rank = i + 1;
    }
    Ok(Comparison {
        policy: first.policy.clone(),
        as_of: first.as_of,
        knowledge: first.knowledge.clone(),
        language: first.language,
        ranking_basis: RANKING_BASIS,
        entries,
    })
}

/// The [`RANKING_BASIS`] of an entry; smaller is better.
fn ranking_key(e: &Entry) -> (Reverse<Verdict>, bool, usize, usize, &str, &str) {
    (
        Reverse(e.verdict),
        e.prior_consultation_required,
        e.effective_exposures,
        e.exposed_sensitive_categories,
        &e.title,
        &e.file,
    )
}

/// What every compared report must share.
fn basis(r: &Report) -> [(&'static str, String); 3] {
    [
        ("policy", r.policy.id.clone()),
        ("as_of", r.as_of.to_string()),
        ("language", format!("{:?}", r.language).to_lowercase()),
    ]
}

/// The laws for which `reached(id)` holds, in knowledge-base order.
fn laws(kb: &Knowledge, lang: Lang, reached: impl Fn(&str) -> bool) -> Vec<LawRef> {
    kb.laws
        .iter()
        .filter(|l| reached(&l.id))
        .map(|l| LawRef {
            id: l.id.clone(),
            name: l.name.get(lang).to_string(),
            short: l.short.clone(),
            jurisdiction: l.jurisdiction.clone(),
        })
        .collect()
}

fn entry(kb: &Knowledge, r: &Report) -> Entry {
    let effective: Vec<&ExposureReport> = r
        .exposures
        .iter()
        .filter(|e| e.status == ExposureStatus::Effective)
        .collect();
    let exposed: Vec<_> = r.parties.iter().filter(|p| p.exposed).collect();
    let exposed_parties = exposed
        .iter()
        .map(|p| ExposedParty {
            id: p.id.clone(),
            name: p.name.value.clone(),
            country: p.incorporated.value.clone(),
            role: p.role,
            // The laws that make it exposed: in law, or under the profile (which may refuse an
            // adequacy decision the law accepts, as the DPF under Stockholm's line).
            laws: laws(kb, r.language, |law| {
                r.exposures.iter().any(|e| {
                    e.law == law
                        && e.party == p.id
                        && (e.status == ExposureStatus::Effective
                            || e.policy_status == ExposureStatus::Effective)
                })
            }),
        })
        .collect();
    let reached: BTreeSet<&str> = exposed
        .iter()
        .flat_map(|p| p.data_categories.iter().map(String::as_str))
        .collect();
    let data_categories: Vec<CategoryRef> = kb
        .data_categories
        .iter()
        .filter(|c| reached.contains(c.id.as_str()))
        .map(|c| CategoryRef {
            id: c.id.clone(),
            name: c.name.get(r.language).to_string(),
            sensitive: c.flags.iter().any(|f| SENSITIVE.contains(f)),
        })
        .collect();
    let mut findings = FindingCounts::default();
    for f in &r.findings {
        *match f.effect {
            Effect::Blocking => &mut findings.blocking,
            Effect::Measures => &mut findings.measures,
            Effect::Inform => &mut findings.inform,
        } += 1;
    }
    Entry {
        rank: 0,
        title: r.title.clone(),
        reference: r.reference.clone(),
        file: r.file.clone(),
        input_sha256: r.input_sha256.clone(),
        processors: r
            .parties
            .iter()
            .filter(|p| p.role == Role::Processor && !p.hypothetical)
            .map(|p| PartyRef {
                id: p.id.clone(),
                name: p.name.value.clone(),
                vendor: p.vendor.clone(),
                country: p.incorporated.value.clone(),
            })
            .collect(),
        verdict: r.verdict,
        verdict_text: r.verdict_text.clone(),
        prior_consultation_required: r.prior_consultation_required,
        dpia_required: r.dpia.required,
        effective_exposures: effective.len(),
        exposed_sensitive_categories: data_categories.iter().filter(|c| c.sensitive).count(),
        exposed_parties,
        laws: laws(kb, r.language, |law| effective.iter().any(|e| e.law == law)),
        data_categories,
        findings,
        blocking_findings: r
            .findings
            .iter()
            .filter(|f| f.effect == Effect::Blocking)
            .map(|f| FindingRef {
                id: f.id.clone(),
                rule: f.rule.clone(),
                title: f.title.clone(),
            })
            .collect(),
        best_option: r
            .recommended_option
            .as_deref()
            .and_then(|id| r.options.iter().find(|o| o.id == id))
            .map(|o| OptionRef {
                id: o.id.clone(),
                action: o.action,
                title: o.title.clone(),
                residual_verdict: o.residual_verdict,
                residual_prior_consultation_required: o.residual_prior_consultation_required,
            }),
        combined_probability: r
            .quantitative_estimate
            .as_ref()
            .map(|q| q.combined_probability),
        report: Box::new(r.clone()),
    }
}
