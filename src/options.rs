//! Options: each candidate measure or course of action is applied to a copy of the model and
//! re-assessed; the residual verdict shows what it would achieve. One is recommended.

use crate::engine::{Analysis, Verdict};
use crate::knowledge::{Applicability, CategoryFlag, Effect, OptionAction, OptionDef};
use crate::model::{Access, Endpoint, Fact, FactSource, KeyHolder, Model, Party};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionStatus {
    /// Can be done; the residual verdict says what it achieves.
    Feasible,
    /// Cannot work here; `reason` says why.
    Infeasible,
    /// Already done in the model.
    InPlace,
    /// Nothing for it to act on.
    NotApplicable,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OptionResult {
    pub id: String,
    pub action: OptionAction,
    pub title: String,
    pub description: String,
    pub course: Option<u8>,
    pub feasible: bool,
    pub status: OptionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Parties the option acts on.
    pub targets: Vec<String>,
    pub residual_verdict: Option<Verdict>,
    pub residual_prior_consultation_required: Option<bool>,
    /// Findings (with an effect on the verdict) that disappear.
    pub resolved_findings: Vec<String>,
    /// How many findings with an effect on the verdict remain.
    pub remaining_findings: usize,
    pub citations: Vec<String>,
}

type Outcome = Result<(Model, Vec<usize>), (OptionStatus, String)>;

/// Models smaller than this are re-assessed on the calling thread: starting threads would cost
/// more than it saves, and a server already assesses one request per core.
const PARALLEL_FROM_PARTIES: usize = 64;

/// Tries every option of the knowledge base on the analysed model, spread over the cores for a
/// large model.
pub fn evaluate(an: &Analysis) -> (Vec<OptionResult>, Option<String>, String) {
    let kb = an.kb;
    let defs: Vec<&OptionDef> = kb.options.iter().collect();
    let threads = if an.model.parties.len() < PARALLEL_FROM_PARTIES {
        1
    } else {
        crate::report::cores().clamp(1, defs.len().max(1))
    };
    let chunk = defs.len().div_ceil(threads).max(1);
    let results: Vec<OptionResult> = if threads == 1 {
        defs.iter().map(|d| try_option(an, d)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = defs
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().map(|d| try_option(an, d)).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("option evaluation does not panic"))
                .collect()
        })
    };
    let (rec, why) = recommend(an, &results);
    (results, rec, why)
}

/// Applies one option to a copy of the model and re-assesses it.
fn try_option(an: &Analysis, def: &OptionDef) -> OptionResult {
    let kb = an.kb;
    let lang = an.model.language;
    let mut r = OptionResult {
        id: def.id.clone(),
        action: def.action,
        title: def.title.get(lang).to_string(),
        description: def.description.get(lang).to_string(),
        course: def.course,
        feasible: false,
        status: OptionStatus::Feasible,
        reason: None,
        targets: Vec::new(),
        residual_verdict: None,
        residual_prior_consultation_required: None,
        resolved_findings: Vec::new(),
        remaining_findings: 0,
        citations: def.citations.iter().map(|c| kb.cite(c)).collect(),
    };
    if let Some(reason) = inapplicable(an, def) {
        r.status = OptionStatus::NotApplicable;
        r.reason = Some(reason);
        return r;
    }
    let counted = |a: &Analysis| a.hits.iter().filter(|h| h.effect != Effect::Inform).count();
    if matches!(
        def.action,
        OptionAction::AcceptRisk | OptionAction::WaitAndMonitor
    ) {
        // Nothing changes: the residual is the current assessment.
        r.feasible = true;
        r.residual_verdict = Some(an.verdict);
        r.residual_prior_consultation_required = Some(an.prior_consultation_required);
        r.remaining_findings = counted(an);
        return r;
    }
    match apply(an, def) {
        Ok((model, targets)) => {
            let after = Analysis::run_with(&model, kb, an.policy, an.as_of, true);
            let remaining: HashSet<(usize, &str, usize)> = after
                .hits
                .iter()
                .filter(|h| h.effect != Effect::Inform)
                .map(|h| after.finding_key(h))
                .collect();
            let mut resolved: Vec<String> = an
                .hits
                .iter()
                .filter(|h| h.effect != Effect::Inform && !remaining.contains(&an.finding_key(h)))
                .map(|h| an.finding_id(h))
                .collect();
            resolved.sort();
            resolved.dedup();
            r.feasible = true;
            r.targets = targets
                .iter()
                .map(|&p| an.model.parties[p].id.clone())
                .collect();
            r.residual_verdict = Some(after.verdict);
            r.residual_prior_consultation_required = Some(after.prior_consultation_required);
            r.resolved_findings = resolved;
            r.remaining_findings = remaining.len();
        }
        Err((status, reason)) => {
            r.status = status;
            r.reason = Some(reason);
        }
    }
    r
}

/// Why the option makes no sense for this processing, if it does not.
fn inapplicable(an: &Analysis, def: &OptionDef) -> Option<String> {
    let kb = an.kb;
    let lang = an.model.language;
    let proc_ = &an.model.processing;
    def.applies_when.iter().find_map(|cond| {
        // Each condition: whether it holds, and the phrase saying why not.
        let (holds, why) = match cond {
            Applicability::VoluntaryParticipation => match proc_.participation {
                Some(crate::model::input::Participation::Voluntary) => (true, ""),
                Some(_) => (false, "option.participation_required"),
                None => (false, "option.participation_unknown"),
            },
            Applicability::ProtectedIdentityPresent => (
                an.processing_flags & crate::engine::flag_bit(CategoryFlag::ProtectedIdentity) != 0,
                "option.no_protected_identity",
            ),
            Applicability::UnnecessaryCategory => (
                !proc_.unnecessary_categories.is_empty(),
                "option.all_categories_necessary",
            ),
        };
        (!holds).then(|| kb.phrase(why, lang, &[]))
    })
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Acceptable => 2,
        Verdict::AcceptableWithMeasures => 1,
        Verdict::NotAcceptable => 0,
    }
}

fn recommend(an: &Analysis, results: &[OptionResult]) -> (Option<String>, String) {
    let kb = an.kb;
    let lang = an.model.language;
    if an.verdict == Verdict::Acceptable {
        if let Some(r) = results
            .iter()
            .find(|r| r.action == OptionAction::AcceptRisk)
        {
            let verdict = kb.phrase("verdict.acceptable", lang, &[]);
            return (
                Some(r.id.clone()),
                kb.phrase(
                    "recommend.as_modelled",
                    lang,
                    &[("option", &r.title), ("verdict", &verdict)],
                ),
            );
        }
    }
    let best = results
        .iter()
        .zip(kb.options.iter())
        .filter(|(r, _)| r.feasible)
        .max_by(|(a, da), (b, db)| {
            let ka = (
                rank(a.residual_verdict.unwrap()),
                std::cmp::Reverse(a.remaining_findings),
                std::cmp::Reverse(da.preference),
            );
            let kb_ = (
                rank(b.residual_verdict.unwrap()),
                std::cmp::Reverse(b.remaining_findings),
                std::cmp::Reverse(db.preference),
            );
            ka.cmp(&kb_)
        });
    match best {
        Some((r, _)) => {
            let verdict = kb.phrase(
                &format!("verdict.{}", r.residual_verdict.unwrap().key()),
                lang,
                &[],
            );
            let key = if rank(r.residual_verdict.unwrap()) > rank(an.verdict) {
                "recommend.improves"
            } else {
                "recommend.no_better"
            };
            (
                Some(r.id.clone()),
                kb.phrase(key, lang, &[("option", &r.title), ("verdict", &verdict)]),
            )
        }
        None => (None, kb.phrase("recommend.none", lang, &[])),
    }
}

/// Parties with an effective exposure.
fn exposed(an: &Analysis) -> Vec<usize> {
    (0..an.model.parties.len())
        .filter(|&p| an.parties[p].exposed)
        .collect()
}

fn apply(an: &Analysis, def: &OptionDef) -> Outcome {
    let kb = an.kb;
    let lang = an.model.language;
    let model = an.model;
    let ex = exposed(an);
    let none_exposed = || {
        (
            OptionStatus::NotApplicable,
            kb.phrase("option.no_exposure", lang, &[]),
        )
    };
    let in_place = |m: &str| -> bool { model.processing.measures.iter().any(|x| x == m) };
    match def.action {
        OptionAction::AcceptRisk | OptionAction::WaitAndMonitor => Ok((model.clone(), Vec::new())),
        OptionAction::OnPremises => {
            if model.parties.is_empty() {
                return Err((
                    OptionStatus::InPlace,
                    kb.phrase("option.already_on_premises", lang, &[]),
                ));
            }
            let mut m = model.clone();
            m.parties.clear();
            m.flows.clear();
            Ok((m, (0..model.parties.len()).collect()))
        }
        OptionAction::ReplaceWithEuProvider => {
            if ex.is_empty() {
                return Err(none_exposed());
            }
            Ok((replace(an, &ex), ex))
        }
        OptionAction::CustomerHeldKeys => {
            if ex.is_empty() {
                return Err(none_exposed());
            }
            if let Some(&p) = ex.iter().find(|&&p| an.needs_cleartext(p)) {
                return Err((
                    OptionStatus::Infeasible,
                    kb.phrase(
                        "option.needs_cleartext",
                        lang,
                        &[("party", &model.parties[p].name.value)],
                    ),
                ));
            }
            let mut m = model.clone();
            for &p in &ex {
                for &k in &an.parties[p].exposable {
                    m.flows[k].access = Access::StorageEncrypted;
                    m.flows[k].key_holder = KeyHolder::Controller;
                }
            }
            Ok((m, ex))
        }
        OptionAction::Pseudonymise => {
            if ex.is_empty() {
                return Err(none_exposed());
            }
            if let Some(&p) = ex.iter().find(|&&p| {
                an.needs_cleartext(p) && an.parties[p].categories & identifying(an) != 0
            }) {
                return Err((
                    OptionStatus::Infeasible,
                    kb.phrase(
                        "option.needs_identification",
                        lang,
                        &[("party", &model.parties[p].name.value)],
                    ),
                ));
            }
            let mut m = model.clone();
            for &p in &ex {
                for &k in &an.parties[p].exposable {
                    m.flows[k].access = Access::Pseudonymised;
                    m.flows[k].key_holder = KeyHolder::Controller;
                }
            }
            Ok((m, ex))
        }
        OptionAction::MinimiseCategories => {
            if ex.is_empty() {
                return Err(none_exposed());
            }
            // Only what the model marks as not needed for the purpose can be left out.
            let unneeded = &model.processing.unnecessary_categories;
            let mut m = model.clone();
            let mut targets = Vec::new();
            for &p in &ex {
                let cats = crate::engine::cat_ids(kb, an.parties[p].categories);
                if !cats.iter().any(|c| unneeded.iter().any(|s| s == c)) {
                    continue;
                }
                targets.push(p);
                for &k in &an.parties[p].inbound {
                    let current: Vec<String> = crate::engine::cat_ids(kb, an.flows[k].categories)
                        .into_iter()
                        .map(String::from)
                        .collect();
                    m.flows[k].data_categories = Some(
                        current
                            .into_iter()
                            .filter(|c| !unneeded.contains(c))
                            .collect(),
                    );
                }
            }
            if targets.is_empty() {
                return Err((
                    OptionStatus::NotApplicable,
                    kb.phrase("option.no_sensitive", lang, &[]),
                ));
            }
            Ok((m, targets))
        }
        OptionAction::ExcludeProtectedIdentity => {
            if in_place("exclude_protected_identity") {
                return Err((
                    OptionStatus::InPlace,
                    kb.phrase("option.in_place", lang, &[]),
                ));
            }
            if ex.is_empty() {
                return Err(none_exposed());
            }
            let mut m = model.clone();
            m.processing
                .measures
                .push("exclude_protected_identity".into());
            m.processing.data_categories.retain(|c| {
                kb.data_categories
                    .get(c)
                    .is_none_or(|d| !d.flags.contains(&CategoryFlag::ProtectedIdentity))
            });
            for f in m.flows.iter_mut() {
                if let Some(cs) = f.data_categories.as_mut() {
                    cs.retain(|c| {
                        kb.data_categories
                            .get(c)
                            .is_none_or(|d| !d.flags.contains(&CategoryFlag::ProtectedIdentity))
                    });
                }
            }
            Ok((m, ex))
        }
        OptionAction::OptOut => {
            if in_place("opt_out") {
                return Err((
                    OptionStatus::InPlace,
                    kb.phrase("option.in_place", lang, &[]),
                ));
            }
            if ex.is_empty() {
                return Err(none_exposed());
            }
            let mut m = model.clone();
            m.processing.measures.push("opt_out".into());
            Ok((m, ex))
        }
    }
}

/// Categories that identify a person directly (everything but logs and free content counts).
fn identifying(an: &Analysis) -> crate::engine::CatSet {
    let kb = an.kb;
    kb.data_categories
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.flags.contains(&CategoryFlag::Unstructured))
        .fold(0, |s, (i, _)| s | (1u128 << i))
}

/// Replaces the exposed parties with EU/EEA-controlled providers (an alternative from the
/// catalogue when the model names one) and drops the sub-processors that leave with them.
fn replace(an: &Analysis, targets: &[usize]) -> Model {
    let kb = an.kb;
    let lang = an.model.language;
    let mut m = an.model.clone();
    let as_of = an.as_of;
    // The replacement sits in the controller's country, or else the first EU/EEA country known.
    let home = if kb.in_eea(&m.controller.country, as_of) {
        m.controller.country.clone()
    } else {
        kb.jurisdictions
            .iter()
            .find(|j| kb.in_eea(&j.code, as_of))
            .map(|j| j.code.clone())
            .unwrap_or_default()
    };
    for &p in targets {
        let old = &an.model.parties[p];
        let alt = old
            .alternatives
            .iter()
            .filter_map(|a| kb.vendors.get(a))
            .next();
        let eea_locations: Vec<String> = old
            .locations
            .value
            .iter()
            .filter(|c| kb.in_eea(c, as_of))
            .cloned()
            .collect();
        fn fact<T>(value: T, from: &FactSource) -> Fact<T> {
            Fact {
                value,
                from: from.clone(),
            }
        }
        let (name, vendor, from, incorporated, locations, access_locations, owners) = match alt {
            Some(v) => {
                let mut seen = Vec::new();
                // A catalogue alternative keeps its own owners (it was chosen as EU/EEA-controlled).
                let owners = v
                    .parents
                    .owners()
                    .iter()
                    .filter_map(|o| {
                        crate::model::catalogue_owner(kb, &o.vendor, o.share, &mut seen)
                    })
                    .collect();
                (
                    v.name.clone(),
                    Some(v.id.clone()),
                    FactSource::Vendor(v.id.clone()),
                    v.incorporated.clone(),
                    v.locations.clone(),
                    v.access_locations.clone(),
                    owners,
                )
            }
            None => (
                kb.phrase(
                    "option.replacement_name",
                    lang,
                    &[("party", &old.name.value)],
                ),
                None,
                FactSource::Default,
                eea_locations
                    .first()
                    .cloned()
                    .unwrap_or_else(|| home.clone()),
                if eea_locations.is_empty() {
                    vec![home.clone()]
                } else {
                    eea_locations
                },
                Vec::new(),
                Vec::new(),
            ),
        };
        m.parties[p] = Party {
            id: old.id.clone(),
            name: fact(name, &from),
            role: old.role,
            vendor,
            incorporated: fact(incorporated, &from),
            owners: fact(owners, &from),
            // A replacement is chosen as EU/EEA-owned: that is what the option means.
            owners_known: true,
            ownership_source: None,
            locations: fact(locations, &from),
            access_locations: fact(access_locations, &from),
            dpf_certified: Fact {
                value: false,
                from: FactSource::Default,
            },
            dpf: Fact {
                value: crate::knowledge::DpfListing::unknown(),
                from: FactSource::Default,
            },
            needs_cleartext: old.needs_cleartext.clone(),
            service: old.service.clone(),
            dpa: Default::default(),
            dpa_from: FactSource::Default,
            alternatives: Vec::new(),
            announced: None,
            hypothetical: true,
        };
    }
    // The replaced parties' onward flows leave with them; so do parties no longer reached.
    let replaced: HashSet<usize> = targets.iter().copied().collect();
    m.flows
        .retain(|f| !matches!(f.from_ix, Endpoint::Party(j) if replaced.contains(&j)));
    for f in m.flows.iter_mut().filter(|f| replaced.contains(&f.to_ix)) {
        f.transfer_tools.clear();
    }
    drop_unreached(&mut m);
    m
}

/// Removes parties no flow from the controller reaches any more, and their flows.
pub fn drop_unreached(m: &mut Model) {
    let n = m.parties.len();
    let mut reached = vec![false; n];
    let mut changed = true;
    while changed {
        changed = false;
        for f in &m.flows {
            let from_ok = match f.from_ix {
                Endpoint::Controller => true,
                Endpoint::Party(j) => reached[j],
            };
            if from_ok && !reached[f.to_ix] {
                reached[f.to_ix] = true;
                changed = true;
            }
        }
    }
    let mut new_index = vec![usize::MAX; n];
    let mut parties = Vec::new();
    for (i, p) in m.parties.drain(..).enumerate() {
        if reached[i] {
            new_index[i] = parties.len();
            parties.push(p);
        }
    }
    m.parties = parties;
    m.flows
        .retain(|f| reached[f.to_ix] && !matches!(f.from_ix, Endpoint::Party(j) if !reached[j]));
    for f in m.flows.iter_mut() {
        f.to_ix = new_index[f.to_ix];
        if let Endpoint::Party(j) = f.from_ix {
            f.from_ix = Endpoint::Party(new_index[j]);
        }
    }
}
