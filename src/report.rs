//! The assessment report: the stable JSON shape other tools read, built from the analysis, and
//! the entry point every front end calls.

use crate::diag::{known_hint_text, Diagnostic, InputError, Text};
use crate::engine::{
    cat_ids, Analysis, Dpia, Exposure, ExposureStatus, Hit, Subject, Transfer, Verdict,
};
use crate::knowledge::{Basis, Connection, Effect, Knowledge, Question, Severity, StaleEntry};
use crate::model::{FactSource, Lang, Model, TransferTool};
use crate::options::{self, OptionResult};
use chrono::NaiveDate;
use serde::Serialize;

/// Version of the JSON report's shape; bump on incompatible changes.
pub const SCHEMA_VERSION: &str = "2.0";

/// How to assess: profile, date and language; None takes the model's or the default.
#[derive(Debug, Clone, Default)]
pub struct AssessOptions {
    pub policy: Option<String>,
    pub as_of: Option<NaiveDate>,
    pub lang: Option<Lang>,
    /// Today's date for staleness warnings (default: the system date).
    pub today: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KnowledgeInfo {
    pub version: String,
    pub as_of: NaiveDate,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FactReport<T: Serialize> {
    pub value: T,
    pub from: FactSource,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PartyReport {
    pub id: String,
    pub name: FactReport<String>,
    pub role: crate::model::Role,
    pub vendor: Option<String>,
    pub incorporated: FactReport<String>,
    /// Ownership chains as text, one per line of owners.
    pub owners: FactReport<Vec<String>>,
    /// Whether the owners are stated all the way up (listed, or `none` with a source).
    pub owners_known: bool,
    pub ownership_source: Option<String>,
    pub locations: FactReport<Vec<String>>,
    pub access_locations: FactReport<Vec<String>>,
    /// Whether the DPF covers transfers to the party (active on the list for the data at
    /// hand); false when nobody checked.
    pub dpf_certified: FactReport<bool>,
    /// The party's DPF List entry as read: status (`unknown` when nobody checked), the day
    /// and page, the data it covers.
    pub dpf: FactReport<crate::knowledge::DpfListing>,
    pub service: Option<String>,
    pub dpa: crate::model::input::DpaInput,
    pub dpa_from: FactSource,
    pub reachable: bool,
    pub reads_cleartext: bool,
    pub exposed: bool,
    pub data_categories: Vec<String>,
    /// The chain from the controller: "Controller → Processor → this party".
    pub chain: String,
    pub hypothetical: bool,
}

/// An owner named in a connection: the company and where it is incorporated.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OwnerRef {
    pub name: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConnectionReport {
    pub connection: Connection,
    /// Covered in law by an adequacy decision (the DPF only for a listed recipient).
    pub covered_by_adequacy: bool,
    /// Covered by adequacy the policy profile accepts.
    pub covered_under_policy: bool,
    /// "Microsoft Ireland Operations Limited (IE) → owned 100 % by Microsoft Corporation (US) → CLOUD Act §2713"
    pub path: String,
    /// For control: the owners from the direct parent up to the controlling one (the root
    /// cause is the last).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<OwnerRef>,
    /// The country that connects the party to the law: where the party or its controlling
    /// owner is incorporated, where it processes or accesses the data, or where the data
    /// travel.
    pub countries: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExposureReport {
    pub party: String,
    pub party_name: String,
    pub law: String,
    pub law_name: String,
    pub jurisdiction: String,
    /// The status in law.
    pub status: ExposureStatus,
    /// The status under the policy profile.
    pub policy_status: ExposureStatus,
    pub connections: Vec<ConnectionReport>,
    /// The flows that bring the data to the party, from the controller.
    pub chain: String,
    pub mitigated_by: Vec<String>,
    pub covered_by: Option<String>,
    pub uncertainty: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TransferReport {
    pub flow: String,
    pub from: String,
    pub to: String,
    pub third_countries: Vec<String>,
    pub declared: Vec<TransferTool>,
    pub effective: TransferTool,
    pub inferred: bool,
    pub invalid: Vec<InvalidTool>,
    pub basis: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvalidTool {
    pub tool: TransferTool,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SubjectRef {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub id: String,
    pub rule: String,
    /// The legal question the finding answers.
    pub question: Question,
    /// `law` or `policy` (the profile's own line).
    pub basis: Basis,
    pub title: String,
    pub severity: Severity,
    pub effect: Effect,
    pub subject: SubjectRef,
    pub explanation: String,
    /// The chain of reasons, one entry per connection.
    pub path: Vec<String>,
    pub mitigation: Option<String>,
    pub citations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DpiaCriterionReport {
    pub id: String,
    pub number: u8,
    pub name: String,
    pub because: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DpiaReport {
    pub required: bool,
    pub min_criteria: usize,
    pub criteria: Vec<DpiaCriterionReport>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RuleTrace {
    pub rule: String,
    pub evaluated: usize,
    pub fired: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LawEstimateReport {
    pub law: String,
    pub law_name: String,
    pub annual_probability: f64,
    /// Whether the law reaches a party that can read the data (only those count).
    pub relevant: bool,
    pub horizon_probability: f64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EstimateReport {
    pub horizon_years: f64,
    pub laws: Vec<LawEstimateReport>,
    /// 1 − Π(1 − p_law)^years over the relevant laws.
    pub combined_probability: f64,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Warning {
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<StaleEntry>,
}

/// One legal question's conclusion.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QuestionReport {
    pub id: Question,
    pub title: String,
    /// Whether the question arises (national public law: public bodies, EU institutions).
    pub applicable: bool,
    pub conclusion: Verdict,
    /// The conclusion in words.
    pub text: String,
    /// Whether this question decided the verdict.
    pub decisive: bool,
    /// The provisions the question rests on.
    pub basis: Vec<String>,
    /// The ids of the findings that answer it.
    pub findings: Vec<String>,
}

/// The supervisory authority of the controller.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuthorityReport {
    pub id: String,
    pub name: String,
    pub short: String,
    pub regime: String,
}

/// Whether a prior consultation (art. 36 GDPR; art. 40 EUDPR) is needed, following the
/// residual risk of the course taken.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PriorConsultation {
    /// If the service is introduced as modelled.
    pub required_if_introduced_as_modelled: bool,
    /// If the recommended course of action is taken (None: no option recommended).
    pub required_after_recommended_option: Option<bool>,
    /// The authority to consult.
    pub authority: Option<AuthorityReport>,
    pub text: String,
}

/// The whole assessment, as the JSON report gives it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub title: String,
    pub reference: Option<String>,
    /// The day by which the assessment is next reviewed, as the model sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_review: Option<NaiveDate>,
    pub file: String,
    pub input_sha256: String,
    pub language: Lang,
    pub policy: Named,
    pub as_of: NaiveDate,
    pub knowledge: KnowledgeInfo,
    pub verdict: Verdict,
    pub verdict_text: String,
    /// The verdict with the question(s) that decided it, as a sentence.
    pub verdict_reason: String,
    /// The three legal questions, each with its conclusion; the verdict is the worst of them.
    pub questions: Vec<QuestionReport>,
    /// The questions that decided the verdict.
    pub decided_by: Vec<Question>,
    /// Same as `prior_consultation.required_if_introduced_as_modelled`.
    pub prior_consultation_required: bool,
    pub prior_consultation: PriorConsultation,
    pub authority: Option<AuthorityReport>,
    pub dpia: DpiaReport,
    pub controller: crate::model::Controller,
    pub processing: crate::model::Processing,
    pub parties: Vec<PartyReport>,
    pub transfers: Vec<TransferReport>,
    pub exposures: Vec<ExposureReport>,
    pub findings: Vec<Finding>,
    pub options: Vec<OptionResult>,
    pub recommended_option: Option<String>,
    pub recommendation: String,
    pub quantitative_estimate: Option<EstimateReport>,
    pub rule_trace: Vec<RuleTrace>,
    pub warnings: Vec<Warning>,
}

/// Picks the policy profile: the flag, else the model's, else the default.
pub fn pick_policy<'k>(
    kb: &'k Knowledge,
    model: &Model,
    wanted: Option<&str>,
    as_of: NaiveDate,
) -> Result<&'k crate::knowledge::Policy, InputError> {
    match wanted.or(model.policy.as_deref()) {
        Some(id) => kb.policies.get(id).ok_or_else(|| {
            InputError::from(
                Diagnostic::text(
                    "--policy",
                    (1, 1),
                    Text::message("unknown_policy").arg("id", id),
                )
                .expected_text(Text::expected("policy_id"))
                .hint_text(known_hint_text(id, kb.policies.ids())),
            )
        }),
        None => Ok(kb
            .authority_for(&model.controller.country, model.controller.kind, as_of)
            .and_then(|a| a.default_policy.get(&model.controller.kind))
            .and_then(|id| kb.policies.get(id))
            .unwrap_or_else(|| kb.default_policy())),
    }
}

/// Assesses a validated model: the one function the CLI, the server and the tests call.
pub fn assess(model: &Model, kb: &Knowledge, opts: &AssessOptions) -> Result<Report, InputError> {
    let today = opts
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let as_of = opts.as_of.unwrap_or(today);
    let policy = pick_policy(kb, model, opts.policy.as_deref(), as_of)?;
    let owned;
    let model = match opts.lang {
        Some(l) if l != model.language => {
            let mut m = model.clone();
            m.language = l;
            owned = m;
            &owned
        }
        _ => model,
    };
    let an = Analysis::run(model, kb, policy, as_of);
    let (options, recommended_option, recommendation) = options::evaluate(&an);
    Ok(build(
        &an,
        options,
        recommended_option,
        recommendation,
        today,
    ))
}

fn build(
    an: &Analysis,
    options: Vec<OptionResult>,
    recommended_option: Option<String>,
    recommendation: String,
    today: NaiveDate,
) -> Report {
    let kb = an.kb;
    let model = an.model;
    let lang = model.language;
    let r = Render {
        an,
        lang,
        rule_cites: kb
            .rules
            .iter()
            .map(|rule| rule.citations.iter().map(|c| kb.cite_in(c, lang)).collect())
            .collect(),
        chains: (0..model.parties.len()).map(|p| chain(an, p)).collect(),
        party_cats: an
            .parties
            .iter()
            .map(|f| cat_names(kb, f.categories, lang))
            .collect(),
        conn_paths: Vec::new(),
    };
    let conn_paths = par_map(&an.exposures, |e| {
        e.connections
            .iter()
            .map(|c| r.connection_path(e, c))
            .collect()
    });
    let r = Render { conn_paths, ..r };
    let parties = (0..model.parties.len()).map(|p| r.party(p)).collect();
    let transfers = model
        .flows
        .iter()
        .enumerate()
        .filter(|(k, _)| an.flows[*k].reachable)
        .map(|(k, f)| r.transfer(f, &an.flows[k].transfer))
        .collect();
    let exposures = an
        .exposures
        .iter()
        .enumerate()
        .map(|(i, e)| r.exposure(i, e))
        .collect();
    let mut findings: Vec<Finding> = par_map(&an.hits, |h| r.finding(h));
    findings.sort_by(|a, b| b.effect.cmp(&a.effect).then(b.severity.cmp(&a.severity)));
    let dpia = r.dpia(&an.dpia);
    let rule_trace = kb
        .rules
        .iter()
        .zip(&an.trace)
        .map(|(rule, (n, fired))| RuleTrace {
            rule: rule.id.clone(),
            evaluated: *n,
            fired: *fired,
        })
        .collect();
    let quantitative_estimate = r.estimate();
    let mut warnings = r.stale_warnings(today);
    for d in &model.deprecations {
        warnings.push(Warning {
            kind: "deprecated",
            message: d.clone(),
            stale: None,
        });
    }
    let authority = an.authority.map(|a| AuthorityReport {
        id: a.id.clone(),
        name: a.name.get(lang).to_string(),
        short: a.short.clone(),
        regime: a.regime.clone(),
    });
    let questions: Vec<QuestionReport> = an
        .questions
        .iter()
        .map(|q| {
            let def = kb.question(q.question);
            let title = def.title.get(lang).to_string();
            let mut basis: Vec<String> = def.citations.iter().map(|c| kb.cite(c)).collect();
            if q.question == Question::NationalLaw {
                if let Some(a) = an.authority {
                    basis.extend(a.citations.iter().map(|c| kb.cite(c)));
                }
            }
            let mut ids: Vec<String> = q.hits.iter().map(|&i| an.finding_id(&an.hits[i])).collect();
            ids.sort();
            ids.dedup();
            let key = if q.applicable {
                format!("question.{}", q.conclusion.key())
            } else {
                "question.not_applicable".to_string()
            };
            QuestionReport {
                id: q.question,
                text: kb.phrase(&key, lang, &[("question", &title)]),
                title,
                applicable: q.applicable,
                conclusion: q.conclusion,
                decisive: an.decided_by.contains(&q.question),
                basis,
                findings: ids,
            }
        })
        .collect();
    let verdict_reason = if an.decided_by.is_empty() {
        kb.phrase("verdict.reason_none", lang, &[])
    } else {
        let titles: Vec<&str> = questions
            .iter()
            .filter(|q| q.decisive)
            .map(|q| q.title.as_str())
            .collect();
        kb.phrase(
            "verdict.reason",
            lang,
            &[
                (
                    "verdict",
                    &kb.phrase(&format!("verdict.{}", an.verdict.key()), lang, &[]),
                ),
                (
                    "questions",
                    &titles.join(kb.phrase("list.and", lang, &[]).as_str()),
                ),
            ],
        )
    };
    let after = recommended_option.as_ref().and_then(|id| {
        options
            .iter()
            .find(|o| &o.id == id)
            .and_then(|o| o.residual_prior_consultation_required)
    });
    let authority_name = authority
        .as_ref()
        .map(|a| a.short.clone())
        .unwrap_or_else(|| kb.phrase("prior.the_authority", lang, &[]));
    let prior_key = match (an.prior_consultation_required, after) {
        (true, Some(false)) => "prior.if_introduced",
        (true, _) => "prior.required",
        (false, Some(true)) => "prior.after_option",
        (false, _) => "prior.not_required",
    };
    let prior_consultation = PriorConsultation {
        required_if_introduced_as_modelled: an.prior_consultation_required,
        required_after_recommended_option: after,
        authority: authority.clone(),
        text: kb.phrase(prior_key, lang, &[("authority", &authority_name)]),
    };
    for (p, facts) in an.parties.iter().enumerate() {
        if !facts.reachable {
            warnings.push(Warning {
                kind: "unreached_party",
                message: kb.phrase("warn.unreached", lang, &[("party", &model.parties[p].id)]),
                stale: None,
            });
        }
    }
    Report {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION"),
        title: model.title.clone(),
        reference: model.reference.clone(),
        next_review: model.next_review,
        file: model.file.clone(),
        input_sha256: model.input_sha256.clone(),
        language: lang,
        policy: Named {
            id: an.policy.id.clone(),
            name: an.policy.name.get(lang).to_string(),
        },
        as_of: an.as_of,
        knowledge: KnowledgeInfo {
            version: kb.meta.version.clone(),
            as_of: kb.meta.as_of,
            origin: kb.origin.clone(),
        },
        verdict: an.verdict,
        verdict_text: kb.phrase(&format!("verdict.{}", an.verdict.key()), lang, &[]),
        verdict_reason,
        questions,
        decided_by: an.decided_by.clone(),
        prior_consultation_required: an.prior_consultation_required,
        prior_consultation,
        authority,
        dpia,
        controller: model.controller.clone(),
        processing: model.processing.clone(),
        parties,
        transfers,
        exposures,
        findings,
        options,
        recommended_option,
        recommendation,
        quantitative_estimate,
        rule_trace,
        warnings,
    }
}

struct Render<'a> {
    an: &'a Analysis<'a>,
    lang: Lang,
    /// Rendered citations per rule, per party chain and per party's categories (reused by
    /// every finding that names them).
    rule_cites: Vec<Vec<String>>,
    chains: Vec<String>,
    party_cats: Vec<String>,
    /// Per exposure, the rendered path of each connection.
    conn_paths: Vec<Vec<String>>,
}

/// The number of cores, asked once (on Linux the answer reads cgroup files each time).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// Maps over a slice on every core, keeping the order.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    if items.len() < 512 {
        return items.iter().map(&f).collect();
    }
    let threads = cores();
    if threads < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("rendering does not panic"))
            .collect()
    })
}

fn chain(an: &Analysis, p: usize) -> String {
    let mut parts = vec![an.model.controller.name.as_str()];
    for &k in &an.parties[p].chain {
        parts.push(
            an.model.parties[an.model.flows[k].to_ix]
                .name
                .value
                .as_str(),
        );
    }
    parts.join(" → ")
}

fn cat_names(kb: &Knowledge, cats: crate::engine::CatSet, lang: Lang) -> String {
    cat_ids(kb, cats)
        .iter()
        .filter_map(|c| kb.data_categories.get(c))
        .map(|c| c.name.get(lang))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Render<'_> {
    fn kb(&self) -> &Knowledge {
        self.an.kb
    }

    fn party_label(&self, p: usize) -> String {
        let party = &self.an.model.parties[p];
        format!("{} ({})", party.name.value, party.incorporated.value)
    }

    fn chain(&self, p: usize) -> String {
        self.chains[p].clone()
    }

    fn owned_by(&self, name: &str, country: &str, share: f64) -> String {
        self.kb().phrase(
            "path.owned_by",
            self.lang,
            &[
                ("share", &percent(share)),
                ("owner", &format!("{name} ({country})")),
            ],
        )
    }

    fn party(&self, p: usize) -> PartyReport {
        let an = self.an;
        let party = &an.model.parties[p];
        let mut owners = Vec::new();
        fn lines(r: &Render, prefix: String, os: &[crate::model::Owner], out: &mut Vec<String>) {
            for o in os {
                let line = if prefix.is_empty() {
                    r.owned_by(&o.name, &o.country, o.share)
                } else {
                    format!("{prefix} → {}", r.owned_by(&o.name, &o.country, o.share))
                };
                if o.owners.is_empty() {
                    out.push(line);
                } else {
                    lines(r, line, &o.owners, out);
                }
            }
        }
        lines(self, String::new(), &party.owners.value, &mut owners);
        PartyReport {
            id: party.id.clone(),
            name: FactReport {
                value: party.name.value.clone(),
                from: party.name.from.clone(),
            },
            role: party.role,
            vendor: party.vendor.clone(),
            incorporated: FactReport {
                value: party.incorporated.value.clone(),
                from: party.incorporated.from.clone(),
            },
            owners: FactReport {
                value: owners,
                from: party.owners.from.clone(),
            },
            owners_known: an.owners_known(p),
            ownership_source: party.ownership_source.clone(),
            locations: FactReport {
                value: party.locations.value.clone(),
                from: party.locations.from.clone(),
            },
            access_locations: FactReport {
                value: party.access_locations.value.clone(),
                from: party.access_locations.from.clone(),
            },
            dpf_certified: FactReport {
                value: party.dpf_certified.value,
                from: party.dpf_certified.from.clone(),
            },
            dpf: FactReport {
                value: party.dpf.value.clone(),
                from: party.dpf.from.clone(),
            },
            service: party.service.clone(),
            dpa: party.dpa.clone(),
            dpa_from: party.dpa_from.clone(),
            reachable: an.parties[p].reachable,
            reads_cleartext: an.parties[p].reads,
            exposed: an.parties[p].exposed,
            data_categories: cat_ids(an.kb, an.parties[p].categories)
                .into_iter()
                .map(String::from)
                .collect(),
            chain: self.chain(p),
            hypothetical: party.hypothetical,
        }
    }

    fn transfer(&self, f: &crate::model::Flow, t: &Transfer) -> TransferReport {
        TransferReport {
            flow: f.id.clone(),
            from: f.from.clone(),
            to: f.to.clone(),
            third_countries: t.third_countries.clone(),
            declared: t.declared.clone(),
            effective: t.effective,
            inferred: t.inferred,
            invalid: t
                .invalid
                .iter()
                .map(|(tool, reason)| InvalidTool {
                    tool: *tool,
                    reason: reason.clone(),
                })
                .collect(),
            basis: t.basis.clone(),
        }
    }

    fn connection_path(&self, e: &Exposure, c: &crate::engine::ConnectionPath) -> String {
        let kb = self.kb();
        let law = &kb.laws.items[e.law];
        let mut parts = vec![self.party_label(e.party)];
        match c.connection {
            Connection::Incorporation => parts.push(kb.phrase(
                "path.incorporated_in",
                self.lang,
                &[("country", &kb.country_name(&law.jurisdiction, self.lang))],
            )),
            Connection::Control => {
                for (name, country, share) in &c.owners {
                    parts.push(self.owned_by(name, country, *share));
                }
            }
            Connection::Transit => {
                let names: Vec<String> = c
                    .transit
                    .iter()
                    .map(|c| kb.country_name(c, self.lang))
                    .collect();
                parts.push(kb.phrase(
                    "path.in_transit",
                    self.lang,
                    &[("countries", &names.join(", "))],
                ))
            }
            Connection::Location => {
                let (country, access) = c.location.clone().unwrap_or_default();
                let key = if access {
                    "path.accessed_from"
                } else {
                    "path.processes_in"
                };
                parts.push(kb.phrase(
                    key,
                    self.lang,
                    &[("country", &kb.country_name(&country, self.lang))],
                ));
            }
        }
        parts.push(format!("{} ({})", law.short, law.citation));
        parts.join(" → ")
    }

    fn exposure(&self, i: usize, e: &Exposure) -> ExposureReport {
        let kb = self.kb();
        let law = &kb.laws.items[e.law];
        let party = &self.an.model.parties[e.party];
        ExposureReport {
            party: party.id.clone(),
            party_name: party.name.value.clone(),
            law: law.id.clone(),
            law_name: law.name.get(self.lang).to_string(),
            jurisdiction: law.jurisdiction.clone(),
            status: e.status,
            policy_status: e.policy_status,
            connections: e
                .connections
                .iter()
                .zip(&self.conn_paths[i])
                .map(|(c, path)| ConnectionReport {
                    connection: c.connection,
                    covered_by_adequacy: c.covered,
                    covered_under_policy: c.policy_covered,
                    path: path.clone(),
                    owners: c
                        .owners
                        .iter()
                        .map(|(name, country, _)| OwnerRef {
                            name: name.clone(),
                            country: country.clone(),
                        })
                        .collect(),
                    countries: match c.connection {
                        Connection::Control => c
                            .owners
                            .last()
                            .map(|o| vec![o.1.clone()])
                            .unwrap_or_default(),
                        Connection::Incorporation => {
                            vec![self.an.model.parties[e.party].incorporated.value.clone()]
                        }
                        Connection::Location => c
                            .location
                            .as_ref()
                            .map(|l| vec![l.0.clone()])
                            .unwrap_or_default(),
                        Connection::Transit => c.transit.clone(),
                    },
                })
                .collect(),
            chain: self.chain(e.party),
            mitigated_by: e.mitigated_by.clone(),
            covered_by: e.covered_by.clone(),
            uncertainty: law
                .uncertainty
                .as_ref()
                .map(|u| u.get(self.lang).to_string()),
        }
    }

    fn finding(&self, h: &Hit) -> Finding {
        let an = self.an;
        let kb = self.kb();
        let lang = self.lang;
        let rule = &kb.rules.items[h.rule];
        let measures_list = |ids: &[String]| -> String {
            ids.iter()
                .map(|m| {
                    kb.measures
                        .get(m)
                        .map(|x| x.name.get(lang).to_string())
                        .unwrap_or_else(|| m.clone())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cat_names = |cats: crate::engine::CatSet| -> String {
            cat_ids(kb, cats)
                .iter()
                .filter_map(|c| kb.data_categories.get(c))
                .map(|c| c.name.get(lang).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let tool_name = |t: TransferTool| {
            kb.phrase(
                &format!(
                    "tool.{}",
                    serde_json::to_value(t).unwrap().as_str().unwrap()
                ),
                lang,
                &[],
            )
        };
        let (subject, vars, path): (SubjectRef, Vec<(&str, String)>, Vec<String>) = match h.subject
        {
            Subject::Exposure(i) => {
                let e = &an.exposures[i];
                let law = &kb.laws.items[e.law];
                let party = &an.model.parties[e.party];
                (
                    SubjectRef {
                        kind: "exposure",
                        id: format!("{}/{}", party.id, law.id),
                        name: format!("{} – {}", party.name.value, law.short),
                    },
                    vec![
                        ("party", party.name.value.clone()),
                        ("law", format!("{} ({})", law.short, law.citation)),
                        ("jurisdiction", kb.country_name(&law.jurisdiction, lang)),
                        ("categories", self.party_cats[e.party].clone()),
                        ("measures", measures_list(&e.mitigated_by)),
                        ("decision", e.covered_by.clone().unwrap_or_default()),
                        (
                            "assessment",
                            law.assessment
                                .as_ref()
                                .map(|a| a.get(lang).to_string())
                                .unwrap_or_else(|| kb.phrase("law.not_assessed", lang, &[])),
                        ),
                    ],
                    self.conn_paths[i]
                        .iter()
                        .map(|p| {
                            format!(
                                "{} → {}",
                                an.model.controller.name,
                                self.chain_tail(e.party, p)
                            )
                        })
                        .collect(),
                )
            }
            Subject::Flow(k) => {
                let f = &an.model.flows[k];
                let t = &an.flows[k].transfer;
                let party = &an.model.parties[f.to_ix];
                let countries = t
                    .third_countries
                    .iter()
                    .map(|c| kb.country_name(c, lang))
                    .collect::<Vec<_>>()
                    .join(", ");
                let invalid = t
                    .invalid
                    .iter()
                    .map(|(tool, why)| format!("{}: {why}", tool_name(*tool)))
                    .collect::<Vec<_>>()
                    .join("; ");
                (
                    SubjectRef {
                        kind: "flow",
                        id: f.id.clone(),
                        name: format!("{} → {}", self.endpoint_name(f), party.name.value),
                    },
                    vec![
                        ("party", party.name.value.clone()),
                        (
                            "flow",
                            format!("{} → {}", self.endpoint_name(f), party.name.value),
                        ),
                        ("tool", tool_name(t.effective)),
                        ("countries", countries.clone()),
                        ("invalid", invalid),
                        ("decision", t.basis.clone().unwrap_or_default()),
                        ("categories", cat_names(an.flows[k].categories)),
                        ("measures", measures_list(&f.measures)),
                        (
                            "adequacy",
                            self.adequacy_note(k, &countries, &tool_name(t.effective)),
                        ),
                    ],
                    vec![format!(
                        "{} → {} ({}) — {}{}",
                        self.chain(f.to_ix)
                            .rsplit_once(" → ")
                            .map(|(a, _)| a.to_string())
                            .unwrap_or_else(|| an.model.controller.name.clone()),
                        party.name.value,
                        if countries.is_empty() {
                            party.locations.value.join(", ")
                        } else {
                            countries
                        },
                        tool_name(t.effective),
                        t.basis
                            .as_ref()
                            .map(|b| format!(", {b}"))
                            .unwrap_or_default()
                    )],
                )
            }
            Subject::Party(p) => {
                let party = &an.model.parties[p];
                (
                    SubjectRef {
                        kind: "party",
                        id: party.id.clone(),
                        name: party.name.value.clone(),
                    },
                    vec![
                        ("party", party.name.value.clone()),
                        ("categories", self.party_cats[p].clone()),
                        ("measures", measures_list(&an.model.processing.measures)),
                    ],
                    vec![self.chain(p)],
                )
            }
            Subject::Processing => {
                let exposed: Vec<String> = an
                    .parties
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.exposed)
                    .map(|(p, _)| an.model.parties[p].name.value.clone())
                    .collect();
                (
                    SubjectRef {
                        kind: "processing",
                        id: "processing".into(),
                        name: an.model.processing.purpose.clone(),
                    },
                    vec![
                        ("party", exposed.join(", ")),
                        ("categories", cat_names(an.processing_categories)),
                        ("measures", measures_list(&an.model.processing.measures)),
                        (
                            "criteria",
                            an.dpia
                                .criteria
                                .iter()
                                .map(|c| format!("{} ({})", c.number, c.id))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                    Vec::new(),
                )
            }
        };
        let mut vars = vars;
        vars.push(("profile", an.policy.name.get(lang).to_string()));
        let vars_ref: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Finding {
            id: an.finding_id(h),
            rule: rule.id.clone(),
            question: rule.question,
            basis: rule.basis,
            title: rule.title.get(lang).to_string(),
            severity: h.severity,
            effect: h.effect,
            subject,
            explanation: crate::knowledge::fill(rule.text.get(lang), &vars_ref),
            path,
            mitigation: rule
                .mitigation
                .as_ref()
                .map(|m| crate::knowledge::fill(m.get(lang), &vars_ref)),
            citations: self.rule_cites[h.rule].clone(),
        }
    }

    /// Why a flow's destination lacks adequacy: in law, or only under the profile (which
    /// then says so as its own choice).
    fn adequacy_note(&self, k: usize, countries: &str, tool: &str) -> String {
        let an = self.an;
        if an.destination_adequate(k, Basis::Law) {
            self.kb().phrase(
                "adequacy.policy_refuses",
                self.lang,
                &[("tool", tool), ("profile", an.policy.name.get(self.lang))],
            )
        } else {
            self.kb()
                .phrase("adequacy.none", self.lang, &[("countries", countries)])
        }
    }

    fn endpoint_name(&self, f: &crate::model::Flow) -> String {
        match f.from_ix {
            crate::model::Endpoint::Controller => self.an.model.controller.name.clone(),
            crate::model::Endpoint::Party(j) => self.an.model.parties[j].name.value.clone(),
        }
    }

    /// The flow chain to a party's predecessor, then the connection path from the party on.
    fn chain_tail(&self, p: usize, path_from_party: &str) -> String {
        let an = self.an;
        let mut parts = Vec::new();
        let chain = &an.parties[p].chain;
        for &k in chain.iter().take(chain.len().saturating_sub(1)) {
            parts.push(an.model.parties[an.model.flows[k].to_ix].name.value.clone());
        }
        parts.push(path_from_party.to_string());
        parts.join(" → ")
    }

    fn dpia(&self, d: &Dpia) -> DpiaReport {
        let kb = self.kb();
        DpiaReport {
            required: d.required,
            min_criteria: d.min_criteria,
            criteria: d
                .criteria
                .iter()
                .map(|c| DpiaCriterionReport {
                    id: c.id.clone(),
                    number: c.number,
                    name: kb
                        .dpia_criteria
                        .get(&c.id)
                        .map(|x| x.name.get(self.lang).to_string())
                        .unwrap_or_default(),
                    because: c.because.clone(),
                })
                .collect(),
        }
    }

    fn estimate(&self) -> Option<EstimateReport> {
        let an = self.an;
        let kb = self.kb();
        let est = an.model.risk_estimate.as_ref()?;
        let mut laws = Vec::new();
        let mut survive = 1.0f64;
        for l in &est.laws {
            let annual: f64 = l.factors.iter().map(|f| f.probability).product();
            let relevant = an
                .exposures
                .iter()
                .any(|e| e.status == ExposureStatus::Effective && kb.laws.items[e.law].id == l.law);
            let horizon = 1.0 - (1.0 - annual).powf(est.horizon_years);
            if relevant {
                survive *= (1.0 - annual).powf(est.horizon_years);
            }
            laws.push(LawEstimateReport {
                law: l.law.clone(),
                law_name: kb
                    .laws
                    .get(&l.law)
                    .map(|x| x.short.clone())
                    .unwrap_or_default(),
                annual_probability: annual,
                relevant,
                horizon_probability: horizon,
            });
        }
        Some(EstimateReport {
            horizon_years: est.horizon_years,
            laws,
            combined_probability: 1.0 - survive,
            note: kb.phrase("estimate.note", self.lang, &[]),
        })
    }

    /// Stale knowledge entries this assessment relied on (or the whole base's date).
    fn stale_warnings(&self, today: NaiveDate) -> Vec<Warning> {
        let an = self.an;
        let kb = self.kb();
        let max = kb.meta.stale_after_days;
        // Whether this assessment relied on the entry (the rules, the countries and their
        // adequacy always take part).
        let used = |kind: &str, id: &str| match kind {
            "law" => an.exposures.iter().any(|e| kb.laws.items[e.law].id == id),
            "vendor" => an
                .model
                .parties
                .iter()
                .any(|p| p.vendor.as_deref() == Some(id)),
            "policy" => an.policy.id == id,
            "rule" | "adequacy" | "jurisdiction" => true,
            _ => false,
        };
        let mut out = Vec::new();
        for s in kb.stale(today, max) {
            if used(&s.kind, &s.id) {
                out.push(Warning {
                    kind: "stale_knowledge",
                    message: kb.phrase(
                        "warn.stale",
                        self.lang,
                        &[
                            ("kind", &s.kind),
                            ("id", &s.id),
                            ("as_of", &s.as_of.to_string()),
                            ("age", &s.age_days.to_string()),
                        ],
                    ),
                    stale: Some(s),
                });
            }
        }
        out
    }
}

/// 1.0 → "100 %", 0.3 → "30 %".
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{} %", p.round() as i64)
    } else {
        format!("{p:.1} %")
    }
}
