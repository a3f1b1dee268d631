//! The data of each document, worded and formatted in the reader's language. The templates
//! only lay it out; docs/document-data.md describes every field.

use super::{envelope, graph, Words};
use crate::engine::{ExposureStatus, Verdict};
use crate::knowledge::{Basis, Connection, Effect, Knowledge, Question};
use crate::model::{Model, CONTROLLER};
use crate::report::{ExposureReport, Finding, Report};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// How many root causes page 1 names before it refers to appendix A for the rest.
const MAX_CAUSES: usize = 5;

fn key<T: serde::Serialize>(x: T) -> String {
    serde_json::to_value(x)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn effect_rank(e: Effect) -> u8 {
    match e {
        Effect::Blocking => 0,
        Effect::Measures => 1,
        Effect::Inform => 2,
    }
}

/// Pushes `x` unless it is already there (keeps first-seen order).
fn add(v: &mut Vec<String>, x: &str) {
    if !v.iter().any(|y| y == x) {
        v.push(x.to_string());
    }
}

/// What every document's metadata is made of; [`Meta::json`] words the rest (PDF title,
/// subject, footer, closing line) the same way for all four.
struct Meta<'a> {
    kind: &'a str,
    title: &'a str,
    controller: &'a str,
    /// What the subject line says the document is about (the purpose, or the title).
    about: &'a str,
    keywords: Vec<String>,
    date: chrono::NaiveDate,
    reference: Option<&'a str>,
    rows: Vec<[String; 2]>,
    landscape: bool,
    knowledge: (&'a str, chrono::NaiveDate),
}

impl Meta<'_> {
    fn json(self, w: &Words) -> Value {
        let kind_title = w.get(&format!("doc.{}", self.kind));
        let version = env!("CARGO_PKG_VERSION");
        json!({
            "kind_title": kind_title,
            "title": self.title,
            "pdf_title": format!("{kind_title}: {}", self.title),
            "author": self.controller,
            "subject": w.fill("doc.subject", &[("kind", &kind_title), ("controller", self.controller), ("purpose", self.about)]),
            "keywords": self.keywords,
            "date": w.date(self.date),
            "date_iso": self.date.to_string(),
            "reference": self.reference,
            "rows": self.rows,
            "landscape": self.landscape,
            "footer": format!("{} · {} {version}", self.controller, w.get("doc.generated_by")),
            "closing": format!("{} tia {version}, {} {} ({}).", w.get("doc.draft_notice"), w.get("doc.knowledge").to_lowercase(), self.knowledge.0, self.knowledge.1),
            "program": format!("tia {version}"),
        })
    }
}

/// The title block and metadata of a document about many models (the portfolio report), in
/// landscape.
pub(crate) fn doc_meta(
    w: &Words,
    kind: &str,
    title: &str,
    controller: &str,
    rows: Vec<[String; 2]>,
    date: chrono::NaiveDate,
    knowledge: (&str, chrono::NaiveDate),
) -> Value {
    Meta {
        kind,
        title,
        controller,
        about: title,
        keywords: vec![w.get("doc.keyword_transfer"), "GDPR".to_string()],
        date,
        reference: None,
        rows,
        landscape: true,
        knowledge,
    }
    .json(w)
}

/// The title block, the PDF metadata and the running header and footer.
fn meta(w: &Words, kind: &str, report: &Report, extra_rows: Vec<[String; 2]>) -> Value {
    let mut rows = vec![[w.get("doc.date"), w.date(report.as_of)]];
    rows.push([
        w.get("doc.reference"),
        report
            .reference
            .clone()
            .unwrap_or_else(|| w.get("doc.no_reference")),
    ]);
    rows.push([w.get("doc.controller"), report.controller.name.clone()]);
    rows.extend(extra_rows);
    let authority = report
        .authority
        .as_ref()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| w.get("memo.no_authority"));
    rows.push([w.get("doc.authority"), authority]);
    rows.push([w.get("doc.policy"), report.policy.name.clone()]);
    rows.push([
        w.get("doc.knowledge"),
        format!(
            "{} ({})",
            report.knowledge.version,
            w.date(report.knowledge.as_of)
        ),
    ]);
    Meta {
        kind,
        title: &report.title,
        controller: &report.controller.name,
        about: &report.processing.purpose,
        keywords: keywords(w, report),
        date: report.as_of,
        reference: report.reference.as_deref(),
        rows,
        landscape: false,
        knowledge: (&report.knowledge.version, report.knowledge.as_of),
    }
    .json(w)
}

fn keywords(w: &Words, report: &Report) -> Vec<String> {
    let mut k = vec![w.get("doc.keyword_transfer"), "GDPR".to_string()];
    if let Some(a) = &report.authority {
        k.push(a.short.clone());
    }
    k.push(report.policy.name.clone());
    for p in report.parties.iter().filter(|p| !p.hypothetical) {
        if p.role == crate::model::Role::Processor {
            add(&mut k, &p.name.value);
        }
    }
    k
}

/// One root cause on page 1: a foreign owner (or a foreign provider itself), a country the
/// data reach, or a rule whose finding is not about an exposure.
#[derive(Default)]
struct Cause {
    effect: Option<Effect>,
    /// Owned parties (or the parties in the country).
    parties: Vec<String>,
    /// Whether the owner itself holds the data (for an owner cause).
    owner_holds: bool,
    laws: Vec<String>,
    /// Chapter V findings about transfers to the country.
    transfer: Option<Effect>,
    /// Effective only under the profile: the decisions that cover it in law.
    law_cover: Vec<String>,
    policy_only: bool,
    title: String,
}

impl Cause {
    fn worse(&mut self, e: Effect) {
        self.effect = Some(match self.effect {
            Some(x) if effect_rank(x) <= effect_rank(e) => x,
            _ => e,
        });
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone)]
enum CauseKey {
    Owner(String, String),
    Country(String),
    Rule(String),
}

fn exposure_of<'r>(report: &'r Report, f: &Finding) -> Option<&'r ExposureReport> {
    let (party, law) = f.subject.id.split_once('/')?;
    report
        .exposures
        .iter()
        .find(|e| e.party == party && e.law == law)
}

/// The party a finding is about (its id), when it is about one.
fn party_of<'r>(report: &'r Report, f: &'r Finding) -> Option<&'r str> {
    match f.subject.kind {
        "exposure" => f.subject.id.split_once('/').map(|(p, _)| p),
        "party" => Some(f.subject.id.as_str()),
        "flow" => report
            .transfers
            .iter()
            .find(|t| t.flow == f.subject.id)
            .map(|t| t.to.as_str()),
        _ => None,
    }
}

/// Page 1's reasons: one sentence per root cause, worst first, at most [`MAX_CAUSES`] and a
/// sentence that points to appendix A for the rest.
pub(crate) fn causes(w: &Words, report: &Report, kb: &Knowledge) -> Vec<String> {
    let name = |id: &str| -> String {
        report
            .parties
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.value.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let decisive: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.effect != Effect::Inform)
        .collect();
    let mut causes: BTreeMap<CauseKey, Cause> = BTreeMap::new();
    let mut order: Vec<CauseKey> = Vec::new();
    let touch = |k: CauseKey, order: &mut Vec<CauseKey>| {
        if !order.contains(&k) {
            order.push(k.clone());
        }
        k
    };
    // 1. Exposures: the controlling owner, or the country of the provider or of the data.
    let mut covered_parties: BTreeSet<String> = BTreeSet::new();
    for f in decisive.iter().filter(|f| f.subject.kind == "exposure") {
        let Some(e) = exposure_of(report, f) else {
            continue;
        };
        let law_name = kb
            .laws
            .get(&e.law)
            .map_or(e.law_name.clone(), |l| l.short.clone());
        let policy_only = e.status != ExposureStatus::Effective;
        for c in &e.connections {
            let k = match c.connection {
                Connection::Control => match c.owners.last() {
                    Some(o) => CauseKey::Owner(o.name.clone(), o.country.clone()),
                    None => continue,
                },
                Connection::Incorporation => {
                    let country = c.countries.first().cloned().unwrap_or_default();
                    CauseKey::Owner(e.party_name.clone(), country)
                }
                Connection::Location | Connection::Transit => {
                    CauseKey::Country(c.countries.first().cloned().unwrap_or_default())
                }
            };
            let k = touch(k, &mut order);
            let cause = causes.entry(k.clone()).or_default();
            cause.worse(f.effect);
            add(&mut cause.laws, &law_name);
            match (&k, c.connection) {
                (CauseKey::Owner(..), Connection::Incorporation) => cause.owner_holds = true,
                _ => add(&mut cause.parties, &e.party_name),
            }
            if policy_only {
                if let Some(d) = &e.covered_by {
                    add(&mut cause.law_cover, d);
                }
            }
            cause.policy_only = policy_only && (cause.policy_only || cause.laws.len() == 1);
            covered_parties.insert(e.party.clone());
        }
    }
    // 2. Transfers (chapter V) to a country.
    for f in decisive
        .iter()
        .filter(|f| f.subject.kind == "flow" && f.question == Question::ChapterV)
    {
        let Some(t) = report.transfers.iter().find(|t| t.flow == f.subject.id) else {
            continue;
        };
        for c in &t.third_countries {
            let k = touch(CauseKey::Country(c.clone()), &mut order);
            let cause = causes.entry(k).or_default();
            cause.worse(f.effect);
            cause.transfer = Some(match cause.transfer {
                Some(x) if effect_rank(x) <= effect_rank(f.effect) => x,
                _ => f.effect,
            });
            add(&mut cause.parties, &name(&t.to));
            if f.basis == Basis::Policy {
                if let Some(b) = &t.basis {
                    add(&mut cause.law_cover, b);
                }
            }
        }
    }
    // 3. Everything else, by rule — unless it is about a party already named for its
    // exposure under the foreign-access question (then it is a consequence of that cause).
    for f in &decisive {
        if f.subject.kind == "exposure"
            || (f.subject.kind == "flow" && f.question == Question::ChapterV)
        {
            continue;
        }
        let party = party_of(report, f);
        if f.question == Question::ForeignAccess
            && party.is_some_and(|p| covered_parties.contains(p))
        {
            continue;
        }
        let k = touch(CauseKey::Rule(f.rule.clone()), &mut order);
        let cause = causes.entry(k).or_default();
        cause.worse(f.effect);
        cause.title = f.title.clone();
        if let Some(p) = party {
            add(&mut cause.parties, &name(p));
        }
    }
    // A provider that is itself in the country the data reach is one cause, not two: "the
    // data reach India (X), where the IT Act gives access".
    let provider_only: Vec<CauseKey> = order
        .iter()
        .filter(|k| matches!(k, CauseKey::Owner(..)))
        .filter(|k| causes[*k].owner_holds && causes[*k].parties.is_empty())
        .cloned()
        .collect();
    for k in provider_only {
        let CauseKey::Owner(name, country) = &k else {
            continue;
        };
        let ck = CauseKey::Country(country.clone());
        if causes.get(&ck).is_some_and(|c| c.parties.contains(name)) {
            let owner = causes.remove(&k).unwrap_or_default();
            let c = causes.get_mut(&ck).expect("checked");
            for l in &owner.laws {
                add(&mut c.laws, l);
            }
            if let Some(e) = owner.effect {
                c.worse(e);
            }
            order.retain(|x| x != &k);
        }
    }
    order.sort_by_key(|k| {
        let c = &causes[k];
        (
            c.effect.map_or(3, effect_rank),
            match k {
                CauseKey::Owner(..) => 0,
                CauseKey::Country(_) => 1,
                CauseKey::Rule(_) => 2,
            },
        )
    });
    let profile = &report.policy.name;
    let mut out: Vec<String> = Vec::new();
    for k in order.iter().take(MAX_CAUSES) {
        let c = &causes[k];
        let parties = w.list(&c.parties);
        let laws = w.list(&c.laws);
        let mut s = match k {
            CauseKey::Owner(owner, country) => {
                let country = kb.country_name(country, w.lang);
                let vars = [
                    ("owner", owner.as_str()),
                    ("country", country.as_str()),
                    ("parties", parties.as_str()),
                    ("laws", laws.as_str()),
                ];
                match (c.owner_holds, c.parties.is_empty()) {
                    (true, true) => w.fill("cause.provider", &vars),
                    (true, false) => w.fill("cause.provider_and_owned", &vars),
                    _ => w.fill("cause.owner", &vars),
                }
            }
            CauseKey::Country(country) => {
                let country = kb.country_name(country, w.lang);
                let vars = [
                    ("country", country.as_str()),
                    ("parties", parties.as_str()),
                    ("laws", laws.as_str()),
                ];
                let mut s = if c.laws.is_empty() {
                    w.fill("cause.transfer", &vars)
                } else {
                    w.fill("cause.country", &vars)
                };
                match c.transfer {
                    Some(Effect::Blocking) => s.push_str(&w.get("cause.transfer_fails")),
                    Some(Effect::Measures) => s.push_str(&w.get("cause.transfer_needs")),
                    _ => {}
                }
                s.push('.');
                s
            }
            CauseKey::Rule(_) if c.parties.is_empty() => format!("{}.", c.title),
            CauseKey::Rule(_) => {
                w.fill("cause.rule", &[("title", &c.title), ("parties", &parties)])
            }
        };
        if !c.law_cover.is_empty() && (c.policy_only || matches!(k, CauseKey::Country(_))) {
            s.push(' ');
            s.push_str(&w.fill(
                "cause.policy_only",
                &[("decision", &w.list(&c.law_cover)), ("profile", profile)],
            ));
        }
        out.push(s);
    }
    if order.len() > MAX_CAUSES {
        out.push(w.fill(
            "cause.more",
            &[("n", &(order.len() - MAX_CAUSES).to_string())],
        ));
    }
    if out.is_empty() {
        out.push(w.get("cause.none"));
    }
    out
}

/// The conclusion of one legal question in words, with the law's own conclusion when the
/// profile is stricter.
fn question_rows(w: &Words, report: &Report) -> Vec<Value> {
    report
        .questions
        .iter()
        .map(|q| {
            let verdict = key(q.conclusion);
            let label = if q.applicable {
                w.get(&format!("question_conclusion.{verdict}"))
            } else {
                w.get("question_conclusion.not_applicable")
            };
            // The conclusion on the law's findings alone.
            let law = report
                .findings
                .iter()
                .filter(|f| f.question == q.id && f.basis == Basis::Law)
                .map(|f| match f.effect {
                    Effect::Blocking => Verdict::NotAcceptable,
                    Effect::Measures => Verdict::AcceptableWithMeasures,
                    Effect::Inform => Verdict::Acceptable,
                })
                .min()
                .unwrap_or(Verdict::Acceptable);
            let note = (q.applicable && law != q.conclusion).then(|| {
                w.fill(
                    "memo.by_profile",
                    &[
                        ("profile", &report.policy.name),
                        (
                            "law",
                            &w.get(&format!("question_conclusion.{}", key(law)))
                                .to_lowercase(),
                        ),
                    ],
                )
            });
            json!({
                "id": key(q.id),
                "title": q.title,
                "verdict": if q.applicable { verdict } else { "acceptable".into() },
                "label": label,
                "note": note,
                "decisive": q.decisive,
            })
        })
        .collect()
}

/// The decision as the organ adopts it: the intro and numbered items.
fn decision(w: &Words, report: &Report, title: &str) -> Value {
    let c = &report.controller;
    let kind = key(c.kind);
    let (body, placeholder) = match &c.decision_body {
        Some(b) => (b.clone(), None),
        None => match w.t["decision"]["default_body"]
            .get(&kind)
            .and_then(Value::as_str)
        {
            Some(b) if !b.is_empty() => (b.to_string(), None),
            _ => (
                w.get("decision.body_placeholder"),
                Some(w.get("decision.body_missing")),
            ),
        },
    };
    let assignee = c.assignee.clone().unwrap_or_else(|| {
        w.t["decision"]["default_assignee"]
            .get(&kind)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    });
    let by = c
        .report_back_by
        .unwrap_or_else(|| report.as_of + chrono::Months::new(3));
    let by = w.date(by);
    let rec = report
        .recommended_option
        .as_ref()
        .and_then(|id| report.options.iter().find(|o| &o.id == id));
    let vars = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v = vec![
            ("title".to_string(), title.to_string()),
            ("assignee".to_string(), assignee.clone()),
            ("date".to_string(), by.clone()),
            ("body".to_string(), body.clone()),
        ];
        v.extend(extra.iter().map(|(a, b)| (a.to_string(), b.to_string())));
        v
    };
    let phrase = |path: &str, extra: &[(&str, &str)]| {
        let v = vars(extra);
        let r: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        w.fill(path, &r)
    };
    let mut items: Vec<String> = Vec::new();
    let action = rec.map(|o| key(o.action));
    match (report.verdict, action.as_deref()) {
        (Verdict::Acceptable, _) => items.push(phrase("decision.approve", &[])),
        (Verdict::AcceptableWithMeasures, _) => {
            items.push(phrase("decision.approve_if", &[]));
            items.push(phrase("decision.measures", &[]));
        }
        (Verdict::NotAcceptable, Some(a)) if a != "accept_risk" && a != "wait_and_monitor" => {
            items.push(phrase("decision.reject", &[]));
            let act = w.get(&format!("decision.action.{a}"));
            items.push(phrase("decision.assign", &[("action", &act)]));
            if rec.and_then(|o| o.residual_verdict) == Some(Verdict::AcceptableWithMeasures) {
                items.push(phrase("decision.measures_after", &[]));
            }
        }
        (Verdict::NotAcceptable, _) => {
            items.push(phrase("decision.reject", &[]));
            items.push(phrase("decision.assign_none", &[]));
        }
    }
    let introduced = report.verdict != Verdict::NotAcceptable
        || rec.is_some_and(|o| o.residual_verdict.is_some());
    if report.dpia.required && introduced {
        items.push(phrase("decision.dpia", &[]));
    }
    let consult = match report.verdict {
        Verdict::NotAcceptable => report.prior_consultation.required_after_recommended_option,
        _ => Some(report.prior_consultation.required_if_introduced_as_modelled),
    };
    if consult == Some(true) {
        let authority = report
            .authority
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_else(|| w.get("memo.no_authority"));
        items.push(phrase("decision.consult", &[("authority", &authority)]));
    }
    match report.next_review {
        Some(d) => items.push(phrase("decision.review_by", &[("review_date", &w.date(d))])),
        None => items.push(phrase("decision.review", &[])),
    }
    // "…," between items, "." after the last, as a board's decision reads.
    let n = items.len();
    let items: Vec<String> = items
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let s = s.trim_end_matches([',', '.', ';']).to_string();
            if i + 1 == n {
                format!("{s}.")
            } else {
                format!("{s},")
            }
        })
        .collect();
    json!({
        "body": body,
        "intro": w.fill("decision.intro", &[("body", &body)]),
        "items": items,
        "placeholder": placeholder,
        "assignee": assignee,
        "report_back_by": by,
    })
}

/// The flow figure and its alternative text: every party, every owner in a chain that causes
/// an exposure, flows as arrows and ownership as dotted lines.
pub(crate) fn figure(
    w: &Words,
    model: &Model,
    report: &Report,
    kb: &Knowledge,
) -> (String, String) {
    let mut laws: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &report.exposures {
        if e.status == ExposureStatus::Effective || e.policy_status == ExposureStatus::Effective {
            let short = kb
                .laws
                .get(&e.law)
                .map_or(e.law.as_str(), |l| l.short.as_str());
            laws.entry(e.party.as_str()).or_default().insert(short);
        }
    }
    let mut nodes = vec![graph::Node {
        id: CONTROLLER.into(),
        name: report.controller.name.clone(),
        detail: format!(
            "{} · {}",
            report.controller.country,
            w.get("role.controller")
        ),
        laws: Vec::new(),
    }];
    let mut readable = BTreeMap::new();
    for p in report.parties.iter().filter(|p| !p.hypothetical) {
        readable.insert(p.id.as_str(), (p.exposed, p.reads_cleartext));
        nodes.push(graph::Node {
            id: p.id.clone(),
            name: p.name.value.clone(),
            detail: format!(
                "{} · {}",
                p.incorporated.value,
                w.get(&format!("role.{}", key(p.role)))
            ),
            laws: laws
                .get(p.id.as_str())
                .map(|s| s.iter().map(|l| l.to_string()).collect())
                .unwrap_or_default(),
        });
    }
    let mut edges: Vec<graph::Edge> = model
        .flows
        .iter()
        .map(|f| {
            let (exposed, reads) = readable.get(f.to.as_str()).copied().unwrap_or_default();
            graph::Edge {
                from: f.from.clone(),
                to: f.to.clone(),
                exposed: exposed && reads,
                encrypted: !reads,
                ownership: false,
            }
        })
        .collect();
    // Owners in the chains of exposures: the parent that causes an exposure is in the figure.
    let mut owner_laws: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut owner_links: BTreeSet<(String, String)> = BTreeSet::new();
    let mut owned_by: Vec<String> = Vec::new();
    let party_id_by_name: BTreeMap<&str, &str> = report
        .parties
        .iter()
        .filter(|p| !p.hypothetical)
        .map(|p| (p.name.value.as_str(), p.id.as_str()))
        .collect();
    let node_id = |name: &str| -> String {
        party_id_by_name
            .get(name)
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("owner:{name}"))
    };
    for e in &report.exposures {
        if !(e.status == ExposureStatus::Effective || e.policy_status == ExposureStatus::Effective)
        {
            continue;
        }
        for c in e
            .connections
            .iter()
            .filter(|c| c.connection == Connection::Control)
        {
            let mut from = e.party.clone();
            for o in &c.owners {
                let to = node_id(&o.name);
                if owner_links.insert((from.clone(), to.clone())) {
                    let from_name = report
                        .parties
                        .iter()
                        .find(|p| p.id == from)
                        .map(|p| p.name.value.clone())
                        .unwrap_or_else(|| from.trim_start_matches("owner:").to_string());
                    owned_by.push(w.fill(
                        "memo.figure_owned",
                        &[
                            ("party", &from_name),
                            ("owner", &format!("{} ({})", o.name, o.country)),
                        ],
                    ));
                }
                if to.starts_with("owner:") {
                    let entry = owner_laws.entry(o.name.clone()).or_default();
                    if std::ptr::eq(o, c.owners.last().unwrap_or(o)) {
                        entry.insert(
                            kb.laws
                                .get(&e.law)
                                .map_or(e.law.clone(), |l| l.short.clone()),
                        );
                    }
                    if !nodes.iter().any(|n| n.id == to) {
                        nodes.push(graph::Node {
                            id: to.clone(),
                            name: o.name.clone(),
                            detail: format!("{} · {}", o.country, w.get("memo.owner")),
                            laws: Vec::new(),
                        });
                    }
                }
                from = to;
            }
        }
    }
    for n in nodes.iter_mut() {
        if let Some(l) =
            n.id.strip_prefix("owner:")
                .and_then(|name| owner_laws.get(name))
        {
            n.laws = l.iter().cloned().collect();
        }
    }
    for (from, to) in &owner_links {
        edges.push(graph::Edge {
            from: from.clone(),
            to: to.clone(),
            exposed: false,
            encrypted: false,
            ownership: true,
        });
    }
    let svg = graph::svg(&nodes, &edges);
    // The alternative text: who sends to whom, who owns whom, who is exposed to what.
    let name_of = |id: &str| -> String {
        nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let flows: Vec<String> = model
        .flows
        .iter()
        .map(|f| format!("{} → {}", name_of(&f.from), name_of(&f.to)))
        .collect();
    let exposed: Vec<String> = nodes
        .iter()
        .filter(|n| !n.laws.is_empty())
        .map(|n| format!("{} ({})", n.name, n.laws.join(", ")))
        .collect();
    let mut alt = w.fill("memo.figure_alt", &[("flows", &flows.join("; "))]);
    if !owned_by.is_empty() {
        alt.push(' ');
        alt.push_str(&owned_by.join(" "));
    }
    alt.push(' ');
    alt.push_str(&if exposed.is_empty() {
        w.get("memo.figure_alt_none")
    } else {
        w.fill(
            "memo.figure_alt_exposed",
            &[("parties", &exposed.join("; "))],
        )
    });
    (svg, alt)
}

/// Findings grouped for appendix A: one entry per distinct text, with the parties it concerns.
/// The party's name in a text is replaced by a neutral word so that the same reasoning about
/// three parties reads once.
fn finding_groups(w: &Words, report: &Report) -> Vec<Value> {
    struct Group<'r> {
        first: &'r Finding,
        text: String,
        mitigation: Option<String>,
        parties: Vec<String>,
        paths: Vec<String>,
    }
    let neutral = w.get("memo.the_party");
    let generic = |text: &str, party: Option<&str>| -> String {
        let Some(p) = party.filter(|p| !p.is_empty()) else {
            return text.to_string();
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(p) {
            let before = &rest[..i];
            out.push_str(before);
            let at_start = out.trim_end().is_empty() || out.trim_end().ends_with(['.', ':']);
            if at_start {
                let mut c = neutral.chars();
                if let Some(f) = c.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push_str(&neutral);
            }
            rest = &rest[i + p.len()..];
        }
        out.push_str(rest);
        out
    };
    let mut sorted: Vec<&Finding> = report.findings.iter().collect();
    sorted.sort_by_key(|f| effect_rank(f.effect));
    let mut groups: Vec<Group> = Vec::new();
    for f in sorted {
        let party = party_of(report, f).map(|id| {
            report
                .parties
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.value.clone())
                .unwrap_or_else(|| id.to_string())
        });
        let text = generic(&f.explanation, party.as_deref());
        let mitigation = f.mitigation.as_ref().map(|m| generic(m, party.as_deref()));
        let who = match f.subject.kind {
            "flow" | "processing" => f.subject.name.clone(),
            _ => party.clone().unwrap_or_else(|| f.subject.name.clone()),
        };
        match groups
            .iter_mut()
            .find(|g| g.first.rule == f.rule && g.text == text && g.first.effect == f.effect)
        {
            Some(g) => {
                add(&mut g.parties, &who);
                for p in &f.path {
                    add(&mut g.paths, p);
                }
            }
            None => groups.push(Group {
                first: f,
                text,
                mitigation,
                parties: vec![who],
                paths: f.path.clone(),
            }),
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let f = g.first;
            json!({
                "rule": f.rule,
                "title": f.title,
                "effect": key(f.effect),
                "meta": format!(
                    "{} · {} {} · {} · {}",
                    w.get(&format!("effect.{}", key(f.effect))),
                    w.get("memo.severity").to_lowercase(),
                    w.get(&format!("severity.{}", key(f.severity))),
                    w.get(&format!("basis.{}", key(f.basis))),
                    report.questions.iter().find(|q| q.id == f.question).map(|q| q.title.clone()).unwrap_or_default(),
                ),
                "parties": w.list(&g.parties),
                "text": g.text,
                "paths": g.paths,
                "mitigation": g.mitigation,
                "sources": f.citations,
            })
        })
        .collect()
}

/// The short lines under each question in the analysis: one per rule (no ids), with the
/// parties it concerns.
fn question_points(w: &Words, report: &Report, q: Question) -> Vec<Value> {
    let mut by_rule: Vec<(&Finding, Vec<String>)> = Vec::new();
    let mut sorted: Vec<&Finding> = report.findings.iter().filter(|f| f.question == q).collect();
    sorted.sort_by_key(|f| effect_rank(f.effect));
    for f in sorted {
        let who = match party_of(report, f) {
            Some(id) => report
                .parties
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.value.clone())
                .unwrap_or_else(|| id.to_string()),
            None => w.get("memo.whole_processing"),
        };
        match by_rule.iter_mut().find(|(g, _)| g.rule == f.rule) {
            Some((_, ps)) => add(ps, &who),
            None => by_rule.push((f, vec![who])),
        }
    }
    by_rule
        .into_iter()
        .map(|(f, ps)| {
            json!({
                "title": f.title,
                "effect": key(f.effect),
                "effect_label": w.get(&format!("effect.{}", key(f.effect))),
                "parties": w.list(&ps),
            })
        })
        .collect()
}

fn names<'a>(kb: &'a Knowledge, w: &Words, ids: &'a [String], kind: &str) -> Vec<String> {
    ids.iter()
        .map(|id| match kind {
            "subject" => kb
                .data_subjects
                .get(id)
                .map_or(id.clone(), |s| s.name.get(w.lang).to_string()),
            "category" => kb
                .data_categories
                .get(id)
                .map_or(id.clone(), |s| s.name.get(w.lang).to_string()),
            "measure" => kb
                .measures
                .get(id)
                .map_or(id.clone(), |s| s.name.get(w.lang).to_string()),
            _ => kb.country_name(id, w.lang),
        })
        .collect()
}

/// Facts nobody has sourced: unknown owners, DPA terms the model does not give.
fn unknowns(w: &Words, report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for p in report
        .parties
        .iter()
        .filter(|p| !p.hypothetical && p.reachable)
    {
        if !p.owners_known {
            out.push(w.fill("memo.unknown_owners", &[("party", &p.name.value)]));
        }
        if p.role == crate::model::Role::Processor
            && p.dpa.change_notice_days.is_none()
            && p.dpa.objection_days.is_none()
        {
            out.push(w.fill("memo.unknown_dpa", &[("party", &p.name.value)]));
        }
    }
    out
}

fn dpa_text(w: &Words, dpa: &crate::model::input::DpaInput) -> String {
    let days = |d: Option<u32>| {
        d.map_or(w.get("unknown"), |d| {
            w.fill("memo.days", &[("n", &d.to_string())])
        })
    };
    let yn = |b: Option<bool>| match b {
        Some(true) => w.get("yes"),
        Some(false) => w.get("no"),
        None => w.get("unknown"),
    };
    let terms = w.fill(
        "memo.dpa_terms",
        &[
            ("notice", &days(dpa.change_notice_days)),
            ("objection", &days(dpa.objection_days)),
            ("negotiable", &yn(dpa.negotiable)),
            ("unilateral", &yn(dpa.unilateral_changes)),
        ],
    );
    match &dpa.reference {
        Some(r) => format!("{r}; {terms}"),
        None => terms,
    }
}

fn fact_from(w: &Words, from: &crate::model::FactSource) -> String {
    let k = match from {
        crate::model::FactSource::Model => "model",
        crate::model::FactSource::Vendor(_) => "vendor",
        crate::model::FactSource::Default => "default",
    };
    format!("({})", w.get(&format!("fact_from.{k}")))
}

/// The decision memo's data.
pub(crate) fn memo(w: &Words, model: &Model, report: &Report, kb: &Knowledge) -> Value {
    let lang = w.lang;
    let title = &report.title;
    let dec = decision(w, report, title);
    let meta = meta(
        w,
        "memo",
        report,
        vec![[
            w.get("doc.decision_body"),
            dec["body"].as_str().unwrap_or_default().to_string(),
        ]],
    );

    // Page 1.
    let verdict = key(report.verdict);
    let estimate = report.quantitative_estimate.as_ref().map(|q| {
        w.fill(
            "memo.estimate_line",
            &[
                ("p", &w.pct(q.combined_probability, 1)),
                ("years", &w.num(q.horizon_years)),
            ],
        )
    });
    let summary = json!({
        "question": w.fill("memo.question_text", &[("controller", &report.controller.name), ("title", title), ("purpose", &report.processing.purpose)]),
        "verdict": verdict,
        "verdict_label": w.get(&format!("verdict.{verdict}")),
        "verdict_sentence": w.fill(&format!("memo.verdict_sentence.{verdict}"), &[("profile", &report.policy.name)]),
        "causes": causes(w, report, kb),
        "questions": question_rows(w, report),
        "prior_consultation": report.prior_consultation.text,
        "estimate": estimate,
    });

    // Background.
    let p = &report.processing;
    let mut rows = vec![[
        w.get("doc.controller"),
        format!(
            "{} ({}){}",
            report.controller.name,
            kb.country_name(&report.controller.country, lang),
            report
                .controller
                .org_number
                .as_ref()
                .map(|o| format!(", {} {o}", w.get("doc.org_number").to_lowercase()))
                .unwrap_or_default()
        ),
    ]];
    rows.push([w.get("memo.purpose"), p.purpose.clone()]);
    if let Some(m) = &p.means {
        rows.push([w.get("memo.means"), m.clone()]);
    }
    if let Some(b) = &p.legal_basis {
        rows.push([w.get("memo.legal_basis"), b.clone()]);
    }
    rows.push([
        w.get("memo.subjects"),
        names(kb, w, &p.data_subjects, "subject").join(", "),
    ]);
    rows.push([
        w.get("memo.categories"),
        names(kb, w, &p.data_categories, "category").join(", "),
    ]);
    if let Some(n) = p.subjects {
        rows.push([w.get("memo.scale"), w.int(n)]);
    }
    let (svg, alt) = figure(w, model, report, kb);
    let party_name = |id: &str| -> String {
        if id == CONTROLLER {
            return report.controller.name.clone();
        }
        report
            .parties
            .iter()
            .find(|p| p.id == id)
            .map_or(id.to_string(), |p| p.name.value.clone())
    };
    let flows: Vec<[String; 4]> = model
        .flows
        .iter()
        .map(|f| {
            let access = w.get(&format!("access.{}", key(f.access)));
            let access = if key(f.access) == "cleartext" {
                access
            } else {
                format!(
                    "{access} ({} {})",
                    w.get("memo.key_holder"),
                    w.get(&format!("key_holder.{}", key(f.key_holder)))
                )
            };
            let ms = names(kb, w, &f.measures, "measure");
            [
                format!("{} → {}", party_name(&f.from), party_name(&f.to)),
                access,
                if ms.is_empty() {
                    "–".into()
                } else {
                    ms.join(", ")
                },
                f.purpose.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let background = json!({
        "rows": rows,
        "description": model.description,
        "assumptions": model.assumptions,
        "unknowns": unknowns(w, report),
        "figure": { "svg": svg, "alt": alt },
        "flows_header": [w.get("memo.flow"), w.get("memo.access"), w.get("memo.measures"), w.get("memo.purpose")],
        "flows": flows,
    });

    // Analysis.
    let questions: Vec<Value> = report
        .questions
        .iter()
        .zip(question_rows(w, report))
        .map(|(q, row)| {
            json!({
                "title": q.title,
                "verdict": row["verdict"],
                "label": row["label"],
                "text": w.get(&format!("memo.question_intro.{}", key(q.id))),
                "points": question_points(w, report, q.id),
            })
        })
        .collect();
    // Per party: (name, laws, statuses, chains).
    type Row = (String, Vec<String>, Vec<String>, Vec<String>);
    let mut exposures: Vec<Row> = Vec::new();
    for e in &report.exposures {
        let law = kb
            .laws
            .get(&e.law)
            .map_or(e.law_name.clone(), |l| l.short.clone());
        let status = if e.status == e.policy_status {
            w.get(&format!("status.{}", key(e.status)))
        } else {
            w.fill(
                "memo.status_law_policy",
                &[
                    ("law", &w.get(&format!("status.{}", key(e.status)))),
                    (
                        "policy",
                        &w.get(&format!("status.{}", key(e.policy_status))),
                    ),
                ],
            )
        };
        // The chain without its last step (the law, which has its own column).
        let paths: Vec<String> = e
            .connections
            .iter()
            .map(|c| {
                c.path
                    .rsplit_once(" → ")
                    .map_or(c.path.clone(), |(chain, _)| chain.to_string())
            })
            .collect();
        match exposures.iter_mut().find(|x| x.0 == e.party_name) {
            Some(x) => {
                x.1.push(law);
                add_all(&mut x.2, &[status]);
                add_all(&mut x.3, &paths);
            }
            None => exposures.push((e.party_name.clone(), vec![law], vec![status], paths)),
        }
    }
    let exposures: Vec<Value> = exposures
        .into_iter()
        .map(|(party, laws, status, paths)| {
            json!({ "party": party, "laws": laws, "status": status.join("; "), "paths": paths })
        })
        .collect();
    let transfers: Vec<[String; 4]> = report
        .transfers
        .iter()
        .map(|x| {
            let mut tool = w.get(&format!("tool.{}", key(x.effective)));
            if x.inferred {
                tool.push_str(&format!(" ({})", w.get("memo.inferred")));
            }
            if let Some(b) = &x.basis {
                tool.push_str(&format!(" – {b}"));
            }
            let c = names(kb, w, &x.third_countries, "country");
            [
                format!("{} → {}", party_name(&x.from), party_name(&x.to)),
                if c.is_empty() {
                    "–".into()
                } else {
                    c.join(", ")
                },
                tool,
                if x.invalid.is_empty() {
                    "–".into()
                } else {
                    x.invalid
                        .iter()
                        .map(|i| {
                            format!("{}: {}", w.get(&format!("tool.{}", key(i.tool))), i.reason)
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            ]
        })
        .collect();
    let n = report.dpia.criteria.len().to_string();
    let min = report.dpia.min_criteria.to_string();
    let dpia = json!({
        "text": w.fill(if report.dpia.required { "memo.dpia_required" } else { "memo.dpia_not_required" }, &[("n", &n), ("min", &min)]),
        "criteria": report.dpia.criteria.iter().map(|c| [c.number.to_string(), c.name.clone(), c.because.join("; ")]).collect::<Vec<_>>(),
    });
    let estimate = report.quantitative_estimate.as_ref().map(|q| {
        json!({
            "intro": w.fill("memo.estimate_intro", &[("years", &w.num(q.horizon_years))]),
            "rows": q.laws.iter().map(|l| [l.law_name.clone(), w.pct(l.annual_probability, 2), w.pct(l.horizon_probability, 1), w.get(if l.relevant { "yes" } else { "no" })]).collect::<Vec<_>>(),
            "combined": w.pct(q.combined_probability, 1),
            "note": q.note,
        })
    });
    let analysis = json!({
        "questions": questions,
        "exposures": exposures,
        "transfers": transfers,
        "dpia": dpia,
        "estimate": estimate,
    });

    // Options.
    let options: Vec<Value> = report
        .options
        .iter()
        .map(|o| {
            let why = match &o.reason {
                Some(r) => r.clone(),
                None if !o.resolved_findings.is_empty() => format!(
                    "{} {}",
                    o.description,
                    w.fill(
                        "memo.resolves",
                        &[
                            ("n", &o.resolved_findings.len().to_string()),
                            ("remaining", &o.remaining_findings.to_string())
                        ]
                    )
                ),
                None => o.description.clone(),
            };
            json!({
                "title": o.title,
                "status": w.get(&format!("option_status.{}", key(o.status))),
                "residual_verdict": o.residual_verdict.map(key),
                "residual": o.residual_verdict.map(|v| w.get(&format!("verdict.{}", key(v)))),
                "why": why,
                "recommended": report.recommended_option.as_deref() == Some(o.id.as_str()),
            })
        })
        .collect();

    // Section 5: what the decision requires.
    let mut must_do: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.effect == Effect::Measures)
    {
        if let Some(m) = &f.mitigation {
            if seen.insert(f.rule.clone()) {
                must_do.push(m.clone());
            }
        }
    }
    let proposal = json!({
        "intro": w.get("memo.decision_intro"),
        "motivation": report.recommendation,
        "must_do": must_do,
    });

    // Appendices.
    let parties: Vec<Value> = report
        .parties
        .iter()
        .filter(|p| !p.hypothetical)
        .map(|p| {
            let mut role = w.get(&format!("role.{}", key(p.role)));
            if let Some(s) = &p.service {
                role.push_str(": ");
                role.push_str(s);
            }
            let owners = if p.owners.value.is_empty() {
                vec![if p.owners_known {
                    w.get("memo.no_owner")
                } else {
                    w.get("unknown")
                }]
            } else {
                p.owners.value.clone()
            };
            let mut locations = p.locations.value.join(", ");
            if !p.access_locations.value.is_empty() {
                locations.push_str(&format!(
                    "; {}: {}",
                    w.get("memo.access_locations"),
                    p.access_locations.value.join(", ")
                ));
            }
            // Where an adequacy decision rests on a list (the DPF), the party's entry on it:
            // unknown when nobody checked, named as such.
            if kb
                .adequacy_on(&p.incorporated.value, report.as_of)
                .any(|a| a.scope == crate::knowledge::AdequacyScope::DpfCertified)
            {
                let d = &p.dpf.value;
                let mut status = kb.phrase(&format!("dpf_status.{}", d.status.key()), w.lang, &[]);
                if let Some(day) = d.checked {
                    status.push_str(&format!(" ({})", w.date(day)));
                }
                locations.push_str(&format!("; DPF: {status}"));
            }
            json!({
                "name": p.name.value,
                "role": role,
                "incorporated": p.incorporated.value,
                "incorporated_from": fact_from(w, &p.incorporated.from),
                "owners": owners,
                "owners_from": fact_from(w, &p.owners.from),
                "locations": locations,
                "locations_from": fact_from(w, &p.locations.from),
                "dpa": dpa_text(w, &p.dpa),
            })
        })
        .collect();
    let rule_trace: Vec<[String; 3]> = report
        .rule_trace
        .iter()
        .map(|x| [x.rule.clone(), x.evaluated.to_string(), x.fired.to_string()])
        .collect();
    let knowledge: Vec<[String; 4]> = knowledge_used(report, kb)
        .into_iter()
        .map(|(kind, id, name, as_of, source)| {
            [
                w.get(&format!("memo.knowledge_kind.{kind}")),
                format!("{name} ({id})"),
                as_of.to_string(),
                source,
            ]
        })
        .collect();
    let stale: Vec<String> = report
        .warnings
        .iter()
        .filter_map(|x| x.stale.as_ref())
        .map(|s| format!("{} {}: {} ({})", s.kind, s.id, s.as_of, s.age_days))
        .collect();
    let warnings: Vec<String> = report
        .warnings
        .iter()
        .filter(|x| x.kind == "unreached_party")
        .map(|x| x.message.clone())
        .collect();
    let policy = kb
        .policies
        .get(&report.policy.id)
        .map(|p| format!("{} – {}", report.policy.name, p.description.get(lang)))
        .unwrap_or_else(|| report.policy.name.clone());
    let provenance = vec![
        [w.get("memo.policy_profile"), policy],
        [w.get("memo.assessed_as_of"), w.date(report.as_of)],
        [w.get("memo.input_file"), report.file.clone()],
        [w.get("memo.input_hash"), report.input_sha256.clone()],
        [
            w.get("doc.knowledge"),
            format!(
                "{} ({}), {}",
                report.knowledge.version, report.knowledge.origin, report.knowledge.as_of
            ),
        ],
        [
            w.get("memo.program"),
            format!("tia {}", report.tool_version),
        ],
        [
            w.get("memo.data_format"),
            format!("{} {}", super::DATA_FORMAT, super::DATA_VERSION),
        ],
    ];
    let appendix = json!({
        "findings": finding_groups(w, report),
        "parties": parties,
        "rule_trace": rule_trace,
        "knowledge_intro": w.fill("memo.knowledge_intro", &[("version", &report.knowledge.version), ("origin", &report.knowledge.origin), ("as_of", &w.date(report.knowledge.as_of))]),
        "knowledge": knowledge,
        "stale": stale,
        "warnings": warnings,
        "provenance": provenance,
    });

    let mut body = Map::new();
    body.insert("summary".into(), summary);
    body.insert("decision".into(), dec);
    body.insert("background".into(), background);
    body.insert("analysis".into(), analysis);
    body.insert("options".into(), json!(options));
    body.insert("proposal".into(), proposal);
    body.insert("appendix".into(), appendix);
    body.insert(
        "report".into(),
        serde_json::to_value(report).unwrap_or(Value::Null),
    );
    envelope(w, "memo", meta, body)
}

fn add_all(v: &mut Vec<String>, xs: &[String]) {
    for x in xs {
        add(v, x);
    }
}

/// The knowledge entries the assessment rests on: (kind, id, name, as_of, source).
fn knowledge_used(
    report: &Report,
    kb: &Knowledge,
) -> Vec<(&'static str, String, String, chrono::NaiveDate, String)> {
    let lang = report.language;
    // A source nobody could verify says so where it is cited: the reader must not take it as
    // checked.
    let source = |id: &str| match kb.sources.get(id) {
        Some(s) if !s.verified => format!(
            "{} ({})",
            s.title,
            kb.phrase("source.unverified", lang, &[])
        ),
        Some(s) => s.title.clone(),
        None => id.to_string(),
    };
    let first = |cs: &[crate::knowledge::Citation]| {
        cs.first().map(|c| source(&c.source)).unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some(p) = kb.policies.get(&report.policy.id) {
        out.push((
            "policy",
            p.id.clone(),
            p.name.get(lang).to_string(),
            p.as_of,
            first(&p.citations),
        ));
    }
    let laws: BTreeSet<&str> = report.exposures.iter().map(|e| e.law.as_str()).collect();
    for l in laws.iter().filter_map(|id| kb.laws.get(id)) {
        // A law's status facts with an unverified source (e.g. the FISA 702 lapse) are named
        // beside its own source, so the reader sees what is not verified.
        let mut sources = vec![source(&l.source)];
        sources.extend(
            l.citations
                .iter()
                .filter(|c| kb.sources.get(&c.source).is_some_and(|s| !s.verified))
                .map(|c| source(&c.source)),
        );
        out.push((
            "law",
            l.id.clone(),
            l.short.clone(),
            l.as_of,
            sources.join("; "),
        ));
    }
    let vendors: BTreeSet<&str> = report
        .parties
        .iter()
        .filter_map(|p| p.vendor.as_deref())
        .collect();
    for v in vendors.iter().filter_map(|id| kb.vendors.get(id)) {
        out.push((
            "vendor",
            v.id.clone(),
            v.name.clone(),
            v.as_of,
            source(&v.source),
        ));
    }
    let rules: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    for r in kb.rules.iter().filter(|r| rules.contains(r.id.as_str())) {
        out.push((
            "rule",
            r.id.clone(),
            r.title.get(lang).to_string(),
            r.as_of,
            first(&r.citations),
        ));
    }
    out
}

/// The prior-consultation pack's data (art. 36(3) a–f, with art. 35(7) a–d in part e).
pub(crate) fn consult(w: &Words, model: &Model, report: &Report, kb: &Knowledge) -> Value {
    let memo = memo(w, model, report, kb);
    let lang = w.lang;
    let mut meta = meta(w, "consult", report, Vec::new());
    if let Some(a) = &report.authority {
        meta["rows"]
            .as_array_mut()
            .expect("rows")
            .insert(0, json!([w.get("consult.to"), a.name]));
    }
    let p = &report.processing;
    let party_rows: Vec<Value> = report
        .parties
        .iter()
        .filter(|p| !p.hypothetical)
        .map(|q| {
            let laws: Vec<String> = report
                .exposures
                .iter()
                .filter(|e| e.party == q.id && (e.status == ExposureStatus::Effective || e.policy_status == ExposureStatus::Effective))
                .map(|e| kb.laws.get(&e.law).map_or(e.law_name.clone(), |l| l.short.clone()))
                .collect();
            json!({
                "name": q.name.value,
                "role": w.get(&format!("role.{}", key(q.role))),
                "country": q.incorporated.value,
                "service": q.service.clone().unwrap_or_default(),
                "art28": if laws.is_empty() { w.get("consult.art28_not_exposed") } else { w.fill("consult.art28_exposed", &[("laws", &w.list(&laws))]) },
                "dpa": dpa_text(w, &q.dpa),
                "continued": match (q.dpa.change_notice_days, q.dpa.objection_days) {
                    (None, None) => w.fill("consult.continued_no_terms", &[("party", &q.name.value)]),
                    (n, o) => w.fill("consult.continued_notice", &[
                        ("party", &q.name.value),
                        ("notice", &n.map_or(w.get("unknown"), |d| d.to_string())),
                        ("objection", &o.map_or(w.get("unknown"), |d| d.to_string())),
                    ]),
                },
            })
        })
        .collect();
    let categories: Vec<Value> = p
        .data_categories
        .iter()
        .map(|c| {
            let necessary = !p.unnecessary_categories.contains(c);
            json!([
                kb.data_categories
                    .get(c)
                    .map_or(c.clone(), |x| x.name.get(lang).to_string()),
                w.get(if necessary {
                    "consult.necessary"
                } else {
                    "consult.not_necessary"
                }),
            ])
        })
        .collect();
    let sensitive_at = |party: &str| {
        report
            .parties
            .iter()
            .filter(|q| q.id == party)
            .flat_map(|q| &q.data_categories)
            .filter_map(|c| kb.data_categories.get(c))
            .any(|c| {
                c.flags
                    .iter()
                    .any(|f| crate::compare::SENSITIVE.contains(f))
            })
    };
    let risks: Vec<Value> = report
        .exposures
        .iter()
        .filter(|e| e.status == ExposureStatus::Effective || e.policy_status == ExposureStatus::Effective)
        .map(|e| {
            let law = kb.laws.get(&e.law);
            let estimate = report
                .quantitative_estimate
                .as_ref()
                .and_then(|q| q.laws.iter().find(|l| l.law == e.law))
                .map(|l| w.pct(l.horizon_probability, 1));
            json!({
                "risk": w.fill("consult.risk_line", &[("party", &e.party_name), ("law", &law.map_or(e.law_name.clone(), |l| l.short.clone()))]),
                "likelihood": estimate.map(|p| w.fill("consult.likelihood_estimated", &[("p", &p)])).unwrap_or_else(|| w.get("consult.likelihood_unknown")),
                // High when sensitive data (art. 9, 10, national ID, protected identity) reach
                // the exposed party: the same categories RISK-SENSITIVE and the comparison count.
                "severity": w.get(if sensitive_at(&e.party) { "consult.severity_high" } else { "consult.severity_normal" }),
            })
        })
        .collect();
    let measures: Vec<String> = names(kb, w, &p.measures, "measure")
        .into_iter()
        .chain(model.flows.iter().flat_map(|f| {
            names(kb, w, &f.measures, "measure")
                .into_iter()
                .map(move |m| format!("{m} ({})", f.id))
        }))
        .collect();
    let art48_laws: Vec<String> = report
        .exposures
        .iter()
        .filter_map(|e| kb.laws.get(&e.law))
        .map(|l| format!("{} ({})", l.short, l.citation))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let dpo = report.controller.dpo.as_ref().map(|d| {
        vec![
            [
                w.get("consult.dpo_name"),
                d.name.clone().unwrap_or_else(|| "–".into()),
            ],
            [
                w.get("consult.dpo_email"),
                d.email.clone().unwrap_or_else(|| "–".into()),
            ],
            [
                w.get("consult.dpo_phone"),
                d.phone.clone().unwrap_or_else(|| "–".into()),
            ],
        ]
    });
    let sth8: Vec<String> = kb
        .rules
        .iter()
        .find(|r| r.id == "STH-8")
        .map(|r| r.citations.iter().map(|c| kb.cite_in(c, lang)).collect())
        .unwrap_or_default();
    let mut body = Map::new();
    body.insert(
        "consult".into(),
        json!({
            "intro": w.fill("consult.intro", &[("authority", &report.authority.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| w.get("memo.no_authority")))]),
            "verdict": key(report.verdict),
            "verdict_label": memo["summary"]["verdict_label"],
            "verdict_sentence": memo["summary"]["verdict_sentence"],
            "causes": memo["summary"]["causes"],
            "prior_consultation": report.prior_consultation.text,
            "a_intro": w.fill("consult.a_intro", &[("controller", &report.controller.name)]),
            "parties": party_rows,
            "b_rows": memo["background"]["rows"],
            "figure": memo["background"]["figure"],
            "flows_header": memo["background"]["flows_header"],
            "flows": memo["background"]["flows"],
            "measures": measures,
            "dpo": dpo,
            "description_7a": w.fill("consult.e_a_text", &[("purpose", &p.purpose), ("n", &report.parties.iter().filter(|p| !p.hypothetical).count().to_string())]),
            "legal_basis": p.legal_basis.clone().unwrap_or_else(|| w.get("consult.missing_legal_basis")),
            "legal_basis_missing": p.legal_basis.is_none(),
            "necessity": p.necessity.clone().unwrap_or_else(|| w.get("consult.missing_necessity")),
            "necessity_missing": p.necessity.is_none(),
            "categories": categories,
            "risks": risks,
            "dpia": memo["analysis"]["dpia"],
            "options": memo["options"],
            "art48_laws": art48_laws,
            "sth8": sth8,
            "continued_text": w.fill("consult.continued_text", &[("as_of", &w.date(report.as_of))]),
            "assumptions": model.assumptions,
            "unknowns": memo["background"]["unknowns"],
        }),
    );
    body.insert("appendix".into(), memo["appendix"].clone());
    body.insert("report".into(), memo["report"].clone());
    envelope(w, "consult", meta, body)
}

/// A changed field's value in words: enum keys through the wording, booleans as yes/no, lists
/// joined, DPA terms through `memo.dpa_terms`, null as "–".
pub(crate) fn field_value(t: &Value, field: &str, v: &Value) -> String {
    let group = match field {
        "access" => "access",
        "key_holder" => "key_holder",
        "transfer_tool" => "tool",
        "role" => "role",
        _ => "",
    };
    let word = |s: &str| -> String {
        t.get(group)
            .and_then(|g| g.get(s))
            .and_then(Value::as_str)
            .unwrap_or(s)
            .to_string()
    };
    let yes_no = |b: bool| {
        t[if b { "yes" } else { "no" }]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let unknown = t["unknown"].as_str().unwrap_or("–").to_string();
    let one = |v: &Value| match v {
        Value::Null => "–".to_string(),
        Value::Bool(b) => yes_no(*b),
        Value::String(s) => word(s),
        other => other.to_string(),
    };
    match v {
        Value::Array(items) if items.is_empty() => "–".to_string(),
        Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join(", "),
        Value::Object(dpa) => {
            let get = |k: &str| match dpa.get(k).unwrap_or(&Value::Null) {
                Value::Null => unknown.clone(),
                x => one(x),
            };
            let days = |k: &str| match dpa.get(k).and_then(Value::as_u64) {
                Some(d) => crate::knowledge::fill(
                    t["memo"]["days"].as_str().unwrap_or("{n}"),
                    &[("n", &d.to_string())],
                ),
                None => unknown.clone(),
            };
            let terms = crate::knowledge::fill(
                t["memo"]["dpa_terms"].as_str().unwrap_or_default(),
                &[
                    ("notice", &days("change_notice_days")),
                    ("objection", &days("objection_days")),
                    ("negotiable", &get("negotiable")),
                    ("unilateral", &get("unilateral_changes")),
                ],
            );
            match dpa.get("reference").and_then(Value::as_str) {
                Some(r) => format!("{r}; {terms}"),
                None => terms,
            }
        }
        other => one(other),
    }
}

/// The change report's data.
pub(crate) fn diff(w: &Words, d: &crate::diff::ChangeReport, kb: &Knowledge) -> Value {
    let today = d.today;
    let rows = vec![
        [w.get("doc.date"), w.date(today)],
        [
            w.get("doc.reference"),
            d.new
                .reference
                .clone()
                .unwrap_or_else(|| w.get("doc.no_reference")),
        ],
        [w.get("doc.policy"), d.new.policy.name.clone()],
        [
            w.get("doc.knowledge"),
            format!("{} ({})", kb.meta.version, w.date(kb.meta.as_of)),
        ],
    ];
    let meta = Meta {
        kind: "diff",
        title: &d.new.title,
        controller: &d.new.controller,
        about: &d.new.title,
        keywords: vec![
            w.get("doc.keyword_transfer"),
            "GDPR".to_string(),
            w.get("doc.keyword_subprocessor"),
        ],
        date: today,
        reference: d.new.reference.as_deref(),
        rows,
        landscape: false,
        knowledge: (&kb.meta.version, kb.meta.as_of),
    }
    .json(w);
    let verdict_line = w.fill(
        "diff.verdict_line",
        &[
            (
                "change",
                &w.get(&format!("diff.change.{}", key(d.verdict_change))),
            ),
            ("old", &w.get(&format!("verdict.{}", key(d.old.verdict)))),
            ("new", &w.get(&format!("verdict.{}", key(d.new.verdict)))),
        ],
    );
    let deadlines: Vec<Value> = d
        .objection_deadlines
        .iter()
        .map(|x| {
            let days = x
                .objection_days
                .or(x.change_notice_days)
                .map_or("–".to_string(), |n| n.to_string());
            let basis = w.fill(
                &format!("diff.deadline_basis.{}", key(x.basis)),
                &[
                    ("party", &x.party.name),
                    ("notice", &x.notice_date.map_or("–".into(), |n| w.date(n))),
                    ("days", &days),
                    (
                        "effective",
                        &x.effective_date.map_or("–".into(), |n| w.date(n)),
                    ),
                ],
            );
            let passed = x.last_day_to_object.is_some_and(|l| l < today);
            let line = x.last_day_to_object.map(|l| {
                let mut s = w.fill(
                    "diff.deadline_line",
                    &[("party", &x.party.name), ("date", &w.date(l))],
                );
                if passed {
                    s.push(' ');
                    s.push_str(&w.fill(
                        "diff.deadline_passed",
                        &[
                            ("days", &(today - l).num_days().to_string()),
                            ("today", &w.date(today)),
                        ],
                    ));
                }
                s
            });
            let assumed = x
                .terms_assumed
                .then(|| w.fill("diff.terms_assumed", &[("party", &x.party.name)]));
            let names: Vec<String> = x.changes.iter().map(|c| c.name.clone()).collect();
            let changes = (!names.is_empty()).then(|| {
                w.fill(
                    "diff.deadline_changes",
                    &[
                        ("changes", &w.list(&names)),
                        ("notice", &x.notice_date.map_or("–".into(), |n| w.date(n))),
                    ],
                )
            });
            json!({ "line": line, "passed": passed, "basis": basis, "assumed": assumed, "changes": changes })
        })
        .collect();
    let ch = serde_json::to_value(d).unwrap_or(Value::Null);
    let status = |s: &Value| w.get(&format!("status.{}", s.as_str().unwrap_or_default()));
    let mut party_changes: Vec<[String; 4]> = Vec::new();
    for p in ch["parties"]["changed"].as_array().into_iter().flatten() {
        for c in p["changes"].as_array().into_iter().flatten() {
            let field = c["field"].as_str().unwrap_or_default();
            party_changes.push([
                p["name"].as_str().unwrap_or_default().to_string(),
                w.get(&format!("diff.fields.{field}")),
                field_value(w.t, field, &c["old"]),
                field_value(w.t, field, &c["new"]),
            ]);
        }
    }
    let flow_name = |f: &Value| {
        format!(
            "{} → {}",
            f["from"]["name"].as_str().unwrap_or_default(),
            f["to"]["name"].as_str().unwrap_or_default()
        )
    };
    let flow_brief = |f: &Value| {
        let tool = match f["transfer_tool"].as_str() {
            Some(t) => w.get(&format!("tool.{t}")),
            None => "–".into(),
        };
        format!(
            "{}; {tool}",
            w.get(&format!(
                "access.{}",
                f["access"].as_str().unwrap_or_default()
            ))
        )
    };
    let mut flow_changes: Vec<[String; 4]> = Vec::new();
    for f in ch["flows"]["added"].as_array().into_iter().flatten() {
        flow_changes.push([w.get("diff.added"), flow_name(f), "–".into(), flow_brief(f)]);
    }
    for f in ch["flows"]["removed"].as_array().into_iter().flatten() {
        flow_changes.push([
            w.get("diff.removed"),
            flow_name(f),
            flow_brief(f),
            "–".into(),
        ]);
    }
    for f in ch["flows"]["changed"].as_array().into_iter().flatten() {
        for c in f["changes"].as_array().into_iter().flatten() {
            let field = c["field"].as_str().unwrap_or_default();
            flow_changes.push([
                w.get("diff.changed"),
                format!(
                    "{}: {}",
                    flow_name(f),
                    w.get(&format!("diff.fields.{field}"))
                ),
                field_value(w.t, field, &c["old"]),
                field_value(w.t, field, &c["new"]),
            ]);
        }
    }
    let paths = |e: &Value| -> String {
        e["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut exposure_changes: Vec<[String; 4]> = Vec::new();
    for (group, label) in [
        ("appeared", "diff.appear"),
        ("disappeared", "diff.disappear"),
    ] {
        for e in ch["exposures"][group].as_array().into_iter().flatten() {
            exposure_changes.push([
                w.get(label),
                e["party"]["name"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{} ({})",
                    e["law"]["name"].as_str().unwrap_or_default(),
                    status(&e["status"])
                ),
                paths(e),
            ]);
        }
    }
    for e in ch["exposures"]["changed"].as_array().into_iter().flatten() {
        exposure_changes.push([
            w.get("diff.status_changed"),
            e["party"]["name"].as_str().unwrap_or_default().to_string(),
            format!(
                "{} ({} → {})",
                e["law"]["name"].as_str().unwrap_or_default(),
                status(&e["old_status"]),
                status(&e["status"])
            ),
            paths(e),
        ]);
    }
    let mut finding_changes: Vec<[String; 5]> = Vec::new();
    for (group, label) in [
        ("appeared", "diff.appear"),
        ("disappeared", "diff.disappear"),
    ] {
        for f in ch["findings"][group].as_array().into_iter().flatten() {
            finding_changes.push([
                w.get(label),
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["title"].as_str().unwrap_or_default().to_string(),
                f["subject"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                w.get(&format!(
                    "effect.{}",
                    f["effect"].as_str().unwrap_or_default()
                )),
            ]);
        }
    }
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "–".into());
    let provenance = vec![
        [
            w.get("doc.reference"),
            or_dash(&d.old.reference),
            or_dash(&d.new.reference),
        ],
        [
            w.get("memo.input_file"),
            d.old.file.clone(),
            d.new.file.clone(),
        ],
        [
            w.get("memo.input_hash"),
            d.old.input_sha256.clone(),
            d.new.input_sha256.clone(),
        ],
        [
            w.get("memo.policy_profile"),
            d.old.policy.name.clone(),
            d.new.policy.name.clone(),
        ],
        [
            w.get("memo.assessed_as_of"),
            w.date(d.old.as_of),
            w.date(d.new.as_of),
        ],
        [
            w.get("verdict.label"),
            w.get(&format!("verdict.{}", key(d.old.verdict))),
            w.get(&format!("verdict.{}", key(d.new.verdict))),
        ],
    ];
    let mut body = Map::new();
    body.insert(
        "diff".into(),
        json!({
            "party_changes": party_changes,
            "flow_changes": flow_changes,
            "exposure_changes": exposure_changes,
            "finding_changes": finding_changes,
            "provenance": provenance,
            "intro": w.fill("diff.intro", &[("old", &d.old.title), ("new", &d.new.title)]),
            "verdict": key(d.new.verdict),
            "verdict_line": verdict_line,
            "prior_consultation": (key(d.prior_consultation_change) != "unchanged").then(|| d.new.prior_consultation_text.clone()),
            "deadlines": deadlines,
            "no_deadline": d.objection_deadlines.is_empty(),
        }),
    );
    body.insert("change".into(), ch);
    envelope(w, "diff", meta, body)
}

/// The comparison's data: each bid's decisive causes in words, never "replace the bidder".
pub(crate) fn compare(w: &Words, c: &crate::compare::Comparison, kb: &Knowledge) -> Value {
    let titles: Vec<&str> = c.entries.iter().map(|e| e.title.as_str()).collect();
    let title = shared_title(&titles);
    let controller = c
        .entries
        .first()
        .map(|e| e.report.controller.name.clone())
        .unwrap_or_default();
    let rows = vec![
        [w.get("doc.date"), w.date(c.as_of)],
        [w.get("doc.controller"), controller.clone()],
        [w.get("doc.policy"), c.policy.name.clone()],
        [
            w.get("doc.knowledge"),
            format!("{} ({})", c.knowledge.version, w.date(c.knowledge.as_of)),
        ],
    ];
    let meta = Meta {
        kind: "compare",
        title: &title,
        controller: &controller,
        about: &title,
        keywords: vec![
            w.get("doc.keyword_transfer"),
            "GDPR".to_string(),
            w.get("doc.keyword_procurement"),
        ],
        date: c.as_of,
        reference: None,
        rows,
        landscape: true,
        knowledge: (&c.knowledge.version, c.knowledge.as_of),
    }
    .json(w);
    let entries: Vec<Value> = c
        .entries
        .iter()
        .map(|e| {
            let r = &e.report;
            let verdict = key(e.verdict);
            let probability = e.combined_probability.map(|p| {
                let mut s = w.pct(p, 1);
                if p == 0.0 {
                    s.push_str(&format!(" – {}", w.get(if e.effective_exposures == 0 { "compare.zero_no_exposure" } else { "compare.zero_estimate" })));
                }
                s
            });
            // A bid is judged as offered: its own measures (encryption, pseudonymisation) are
            // a way forward; replacing the bidder or leaving the cloud is not.
            let way = e.best_option.as_ref().filter(|o| {
                !matches!(key(o.action).as_str(), "replace_with_eu_provider" | "on_premises" | "accept_risk" | "wait_and_monitor")
            });
            let way = match (e.verdict, way) {
                (Verdict::Acceptable, _) => w.get("compare.as_offered"),
                (_, Some(o)) => match o.residual_verdict {
                    Some(v) => format!("{} → {}", o.title, w.get(&format!("verdict.{}", key(v)))),
                    None => o.title.clone(),
                },
                (_, None) => w.get("compare.no_way"),
            };
            json!({
                "rank": e.rank,
                "title": e.title,
                "verdict": verdict,
                "verdict_label": w.get(&format!("verdict.{verdict}")),
                "prior_consultation": e.prior_consultation_required.then(|| w.get("compare.prior_consultation")),
                "processors": e.processors.iter().map(|p| format!("{} ({})", p.name, p.country)).collect::<Vec<_>>(),
                "exposed": e.exposed_parties.iter().map(|p| format!("{} ({}): {}", p.name, p.country, p.laws.iter().map(|l| l.short.clone()).collect::<Vec<_>>().join(", "))).collect::<Vec<_>>(),
                "laws": e.laws.iter().map(|l| l.short.clone()).collect::<Vec<_>>(),
                "categories": e.data_categories.iter().map(|d| if d.sensitive { format!("{} *", d.name) } else { d.name.clone() }).collect::<Vec<_>>(),
                "causes": causes(w, r, kb),
                "way": way,
                "dpia": w.get(if e.dpia_required { "yes" } else { "no" }),
                "probability": probability,
                "file": e.file,
                "sha256": e.input_sha256,
                "counts": w.fill("compare.findings_count", &[("blocking", &e.findings.blocking.to_string()), ("measures", &e.findings.measures.to_string()), ("inform", &e.findings.inform.to_string())]),
            })
        })
        .collect();
    let basis: Vec<String> = c
        .ranking_basis
        .iter()
        .enumerate()
        .map(|(i, b)| format!("{}) {}", i + 1, w.get(&format!("compare.basis.{b}"))))
        .collect();
    let mut body = Map::new();
    body.insert(
        "compare".into(),
        json!({
            "intro": w.fill("compare.intro", &[("policy", &c.policy.name), ("as_of", &w.date(c.as_of))]),
            "ranking": format!("{}: {}.", w.get("compare.ranking_basis"), basis.join("; ")),
            "caveat": w.get("compare.procurement_caveat"),
            "entries": entries,
        }),
    );
    body.insert(
        "comparison".into(),
        serde_json::to_value(c).unwrap_or(Value::Null),
    );
    envelope(w, "compare", meta, body)
}

/// What several titles share before their first differing part ("Samarbetsplattform" from
/// "Samarbetsplattform – anbud A" and "Samarbetsplattform – anbud B"); all of them joined when
/// they share nothing.
pub(crate) fn shared_title(titles: &[&str]) -> String {
    let first = titles.first().copied().unwrap_or_default();
    let common = titles.iter().skip(1).fold(first.len(), |n, t| {
        first
            .char_indices()
            .zip(t.chars())
            .find(|((_, a), b)| a != b)
            .map_or(n.min(t.len()), |((i, _), _)| n.min(i))
    });
    let prefix = &first[..common];
    let cut = [" – ", " - ", ": ", " ("]
        .iter()
        .filter_map(|sep| prefix.find(sep))
        .min();
    match cut {
        Some(i) if titles.len() > 1 && i > 0 => prefix[..i].trim().to_string(),
        _ if titles.len() == 1 => first.to_string(),
        _ => titles.join(" · "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_title_is_what_the_titles_share() {
        assert_eq!(
            shared_title(&[
                "Samarbetsplattform – anbud A",
                "Samarbetsplattform – anbud B"
            ]),
            "Samarbetsplattform"
        );
        assert_eq!(shared_title(&["HR", "Mail"]), "HR · Mail");
        assert_eq!(shared_title(&["Only – one"]), "Only – one");
    }
}
