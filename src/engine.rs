//! The analysis: the flow graph (petgraph), what each party can read, who can compel it under
//! which law and why, the transfer tool per flow, the DPIA screening, the rules and the verdict.

use crate::knowledge::{
    AdequacyScope, Authority, Basis, CategoryFlag, Connection, CriterionTest, Effect, Knowledge,
    Mechanism, Policy, Question, Scope, Severity,
};
use crate::model::{Access, Endpoint, KeyHolder, Model, Owner, TransferTool};
use crate::rules::Ctx;
use chrono::NaiveDate;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A set of data categories, by index into the knowledge base (at most 128, checked at load).
pub type CatSet = u128;

pub fn flag_bit(f: CategoryFlag) -> u16 {
    1 << (f as u16)
}

/// Whether compelled access to a party is real, removed or covered.
#[derive(
    Debug,
    Clone,
    Copy,
    Deserialize,
    Serialize,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExposureStatus {
    /// The party can read the data and nothing removes the law's reach.
    Effective,
    /// Supplementary measures on every flow into the party remove the law's mechanisms.
    Mitigated,
    /// An adequacy decision covers every connection (in law: the DPF for a listed US
    /// recipient; under a profile: only the adequacy the profile accepts).
    CoveredByAdequacy,
    /// The party cannot read the data (encrypted with keys it does not hold).
    Neutralised,
}

/// One way a party is connected to a law, with the entities on the way.
#[derive(Debug, Clone)]
pub struct ConnectionPath {
    pub connection: Connection,
    /// For control: the owners from the direct parent up to the controlling one.
    pub owners: Vec<(String, String, f64)>,
    /// For location: the country and whether it is an access (not processing) location.
    pub location: Option<(String, bool)>,
    /// For transit: the third countries the data travel to.
    pub transit: Vec<String>,
    /// Covered in law by an adequacy decision (the DPF covers a transfer to a listed US
    /// recipient, never a party reached through its parent).
    pub covered: bool,
    /// Covered by adequacy the policy profile accepts.
    pub policy_covered: bool,
    /// The decision that covers it in law.
    pub decision: Option<String>,
}

/// A party that a law can compel.
#[derive(Debug, Clone)]
pub struct Exposure {
    pub party: usize,
    pub law: usize,
    pub connections: Vec<ConnectionPath>,
    /// The status in law.
    pub status: ExposureStatus,
    /// The status under the policy profile (differs when the profile refuses an adequacy
    /// decision the law provides, e.g. the DPF).
    pub policy_status: ExposureStatus,
    /// Measures that remove the law's mechanisms (when mitigated).
    pub mitigated_by: Vec<String>,
    /// The adequacy decision that covers the connection (when covered).
    pub covered_by: Option<String>,
}

/// A link in the ownership chain above the profile's control threshold.
#[derive(Debug, Clone)]
struct ControlLink {
    owners: Vec<(String, String, f64)>,
    country: String,
}

#[derive(Debug, Clone, Default)]
pub struct PartyFacts {
    pub reachable: bool,
    /// Flow indices from the controller to this party (shortest path).
    pub chain: Vec<usize>,
    pub inbound: Vec<usize>,
    /// Inbound flows through which the party can get at the data (all but encrypted ones it
    /// holds no key for).
    pub exposable: Vec<usize>,
    /// Whether the party can read the data in the clear or holds the keys.
    pub reads: bool,
    pub categories: CatSet,
    pub flags: u16,
    /// An effective exposure under the policy profile.
    pub exposed: bool,
    /// An effective exposure in law.
    pub exposed_in_law: bool,
    control: Vec<ControlLink>,
}

/// The Chapter V view of a flow.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Transfer {
    /// Countries outside the EU/EEA where the recipient processes or accesses the data.
    pub third_countries: Vec<String>,
    pub declared: Vec<TransferTool>,
    /// The tool relied on: the first declared one valid on the date, else one inferred.
    pub effective: TransferTool,
    pub inferred: bool,
    /// Declared tools that are not valid here, with why.
    pub invalid: Vec<(TransferTool, String)>,
    /// The decision the tool rests on, for adequacy and DPF.
    pub basis: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FlowFacts {
    pub reachable: bool,
    pub categories: CatSet,
    pub flags: u16,
    pub transfer: Transfer,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CriterionMet {
    pub id: String,
    pub number: u8,
    /// Why it is met: the categories, subjects, scale or the model's declaration.
    pub because: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Dpia {
    pub required: bool,
    pub min_criteria: usize,
    pub criteria: Vec<CriterionMet>,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Exposure(usize),
    Flow(usize),
    Party(usize),
    Processing,
}

/// A rule that fired, before rendering.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub subject: Subject,
    pub effect: Effect,
    pub severity: Severity,
}

/// One legal question's conclusion.
#[derive(Debug, Clone)]
pub struct QuestionResult {
    pub question: Question,
    /// Whether the question arises for this controller (national public law: public bodies
    /// and EU institutions).
    pub applicable: bool,
    pub conclusion: Verdict,
    /// Indices into `hits`.
    pub hits: Vec<usize>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    Deserialize,
    Serialize,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    NotAcceptable,
    AcceptableWithMeasures,
    Acceptable,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Acceptable => "acceptable",
            Verdict::AcceptableWithMeasures => "acceptable_with_measures",
            Verdict::NotAcceptable => "not_acceptable",
        }
    }
}

/// Everything the engine worked out about one model under one profile on one date.
pub struct Analysis<'a> {
    pub kb: &'a Knowledge,
    pub model: &'a Model,
    pub policy: &'a Policy,
    pub as_of: NaiveDate,
    pub graph: DiGraph<Option<usize>, usize>,
    pub parties: Vec<PartyFacts>,
    pub flows: Vec<FlowFacts>,
    pub exposures: Vec<Exposure>,
    pub processing_categories: CatSet,
    pub processing_flags: u16,
    pub dpia: Dpia,
    pub hits: Vec<Hit>,
    /// Per rule: how many subjects it was evaluated on, and how many it fired for.
    pub trace: Vec<(usize, usize)>,
    /// The three legal questions, in order, each with its conclusion.
    pub questions: Vec<QuestionResult>,
    pub verdict: Verdict,
    /// The questions whose conclusion is the verdict (empty when acceptable).
    pub decided_by: Vec<Question>,
    pub prior_consultation_required: bool,
    /// The controller's supervisory authority.
    pub authority: Option<&'a Authority>,
}

fn cat_index(kb: &Knowledge, id: &str) -> Option<usize> {
    kb.data_categories.position(id)
}

fn catset(kb: &Knowledge, ids: &[String]) -> CatSet {
    ids.iter()
        .filter_map(|c| cat_index(kb, c))
        .fold(0, |s, i| s | (1u128 << i))
}

fn flags_of(kb: &Knowledge, cats: CatSet) -> u16 {
    let mut f = 0;
    let mut rest = cats;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        for fl in &kb.data_categories.items[i].flags {
            f |= flag_bit(*fl);
        }
    }
    f
}

/// Category ids in a set, in knowledge order.
pub fn cat_ids(kb: &Knowledge, cats: CatSet) -> Vec<&str> {
    (0..kb.data_categories.len())
        .filter(|i| cats & (1u128 << i) != 0)
        .map(|i| kb.data_categories.items[i].id.as_str())
        .collect()
}

impl<'a> Analysis<'a> {
    /// Runs the whole analysis.
    pub fn run(
        model: &'a Model,
        kb: &'a Knowledge,
        policy: &'a Policy,
        as_of: NaiveDate,
    ) -> Analysis<'a> {
        Analysis::run_with(model, kb, policy, as_of, false)
    }

    /// Runs the analysis; with `verdict_only`, rules that only inform under the profile are
    /// skipped (for residual verdicts of options, where only the verdict and its findings count).
    pub fn run_with(
        model: &'a Model,
        kb: &'a Knowledge,
        policy: &'a Policy,
        as_of: NaiveDate,
        verdict_only: bool,
    ) -> Analysis<'a> {
        let mut an = Analysis {
            kb,
            model,
            policy,
            as_of,
            graph: DiGraph::new(),
            parties: vec![PartyFacts::default(); model.parties.len()],
            flows: Vec::with_capacity(model.flows.len()),
            exposures: Vec::new(),
            processing_categories: catset(kb, &model.processing.data_categories),
            processing_flags: 0,
            dpia: Dpia {
                required: false,
                min_criteria: policy.dpia_min_criteria,
                criteria: Vec::new(),
            },
            hits: Vec::new(),
            trace: Vec::new(),
            questions: Vec::new(),
            verdict: Verdict::Acceptable,
            decided_by: Vec::new(),
            prior_consultation_required: false,
            authority: kb.authority_for(&model.controller.country, model.controller.kind, as_of),
        };
        an.processing_flags = flags_of(kb, an.processing_categories)
            | subject_flags(kb, &model.processing.data_subjects);
        an.build_graph();
        an.propagate();
        an.control();
        an.transfers();
        an.find_exposures();
        an.screen_dpia();
        an.apply_rules(verdict_only);
        an.decide();
        an
    }

    fn node(&self, e: Endpoint) -> NodeIndex {
        match e {
            Endpoint::Controller => NodeIndex::new(0),
            Endpoint::Party(i) => NodeIndex::new(i + 1),
        }
    }

    fn build_graph(&mut self) {
        let g = &mut self.graph;
        g.reserve_nodes(self.model.parties.len() + 1);
        g.reserve_edges(self.model.flows.len());
        g.add_node(None);
        for i in 0..self.model.parties.len() {
            g.add_node(Some(i));
        }
        for (k, f) in self.model.flows.iter().enumerate() {
            let (a, b) = (self.node(f.from_ix), self.node(Endpoint::Party(f.to_ix)));
            self.graph.add_edge(a, b, k);
            self.parties[f.to_ix].inbound.push(k);
        }
    }

    /// Reachability, chains, and the categories each flow and party carries, in topological order.
    fn propagate(&mut self) {
        let kb = self.kb;
        let n = self.model.parties.len();
        // Breadth-first from the controller: reachability and the shortest chain.
        let mut pred: Vec<Option<usize>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue = VecDeque::new();
        queue.push_back(NodeIndex::new(0));
        while let Some(u) = queue.pop_front() {
            for e in self.graph.edges(u) {
                let v = e.target().index() - 1;
                if !seen[v] {
                    seen[v] = true;
                    pred[v] = Some(*e.weight());
                    queue.push_back(e.target());
                }
            }
        }
        // Topological order (the model was checked to be acyclic).
        let order = petgraph::algo::toposort(&self.graph, None).expect("flows are acyclic");
        let mut node_cats: Vec<CatSet> = vec![0; n + 1];
        node_cats[0] = self.processing_categories;
        let mut flow_cats: Vec<CatSet> = vec![0; self.model.flows.len()];
        for u in order {
            let from_cats = node_cats[u.index()];
            let edges: Vec<(usize, usize)> = self
                .graph
                .edges(u)
                .map(|e| (*e.weight(), e.target().index()))
                .collect();
            for (k, v) in edges {
                let f = &self.model.flows[k];
                let cats = match &f.data_categories {
                    Some(ids) => catset(kb, ids),
                    None => from_cats,
                };
                flow_cats[k] = cats;
                node_cats[v] |= cats;
            }
        }
        for (i, p) in self.parties.iter_mut().enumerate() {
            p.reachable = seen[i];
            p.categories = node_cats[i + 1];
            p.flags = flags_of(kb, p.categories);
            let mut chain = Vec::new();
            let mut cur = pred[i];
            while let Some(k) = cur {
                chain.push(k);
                cur = match self.model.flows[k].from_ix {
                    Endpoint::Controller => None,
                    Endpoint::Party(j) => pred[j],
                };
                if chain.len() > n {
                    break;
                }
            }
            chain.reverse();
            p.chain = chain;
            let model_flows = &self.model.flows;
            p.exposable = p
                .inbound
                .iter()
                .copied()
                .filter(|&k| seen_from(model_flows[k].from_ix, &seen))
                .filter(|&k| {
                    let f = &model_flows[k];
                    !matches!(f.access, Access::StorageEncrypted | Access::Pseudonymised)
                        || f.key_holder == KeyHolder::Provider
                })
                .collect();
            p.reads = p
                .exposable
                .iter()
                .any(|&k| model_flows[k].access != Access::TransitOnly);
        }
        for (k, f) in self.model.flows.iter().enumerate() {
            self.flows.push(FlowFacts {
                reachable: seen_from(f.from_ix, &seen),
                categories: flow_cats[k],
                flags: flags_of(kb, flow_cats[k]),
                transfer: Transfer {
                    third_countries: Vec::new(),
                    declared: Vec::new(),
                    effective: TransferTool::None,
                    inferred: false,
                    invalid: Vec::new(),
                    basis: None,
                },
            });
        }
    }

    /// The owners above the profile's control threshold, transitively.
    fn control(&mut self) {
        let (as_of, kb, policy) = (self.as_of, self.kb, self.policy);
        for (i, party) in self.model.parties.iter().enumerate() {
            let mut links = Vec::new();
            collect_control(
                kb,
                policy,
                as_of,
                &party.owners.value,
                &mut Vec::new(),
                &mut links,
            );
            self.parties[i].control = links;
        }
    }

    /// Whether the party's owners are known all the way up on the day judged: an owner whose
    /// relationship has ended does not count, and a party left with none is unknown.
    pub fn owners_known(&self, p: usize) -> bool {
        let party = &self.model.parties[p];
        party.owners_known && crate::model::owners_known_on(&party.owners.value, true, self.as_of)
    }

    /// Whether the party's service must read the data in the clear to work.
    pub fn needs_cleartext(&self, p: usize) -> bool {
        match self.model.parties[p].needs_cleartext.value {
            Some(b) => b,
            None => self.parties[p].reads,
        }
    }

    /// Whether every third country a flow reaches has adequacy: in law (the DPF for a listed
    /// recipient), or under the profile (only the adequacy it accepts).
    pub fn destination_adequate(&self, k: usize, basis: Basis) -> bool {
        let p = self.model.flows[k].to_ix;
        self.flows[k]
            .transfer
            .third_countries
            .iter()
            .all(|c| self.adequacy_covering(p, c, false, basis).is_some())
    }

    /// The adequacy decision that covers a transfer to (or a law of) country `c` for party
    /// `p`. The DPF and Privacy Shield cover only a recipient that is itself listed and
    /// incorporated there; `control_only` (a party reached through its parent, no transfer)
    /// is covered only by a decision on the whole country. Under `Basis::Policy` only the
    /// scopes the profile accepts count.
    pub fn adequacy_covering(
        &self,
        p: usize,
        c: &str,
        control_only: bool,
        basis: Basis,
    ) -> Option<&'a crate::knowledge::Adequacy> {
        let kb = self.kb;
        let party = &self.model.parties[p];
        kb.adequacy_on(c, self.as_of).find(|a| {
            (basis == Basis::Law || self.policy.trusted_adequacy.contains(&a.scope))
                && match a.scope {
                    AdequacyScope::Full | AdequacyScope::Commercial => true,
                    AdequacyScope::DpfCertified | AdequacyScope::PrivacyShieldCertified => {
                        !control_only && party.incorporated.value == c && party.dpf_certified.value
                    }
                }
        })
    }

    /// Whether the flow's tool is one the profile accepts (false for a DPF transfer under a
    /// profile that does not rely on the DPF).
    pub fn tool_accepted_by_profile(&self, k: usize) -> bool {
        let t = &self.flows[k].transfer;
        let scope = match t.effective {
            TransferTool::Dpf => AdequacyScope::DpfCertified,
            TransferTool::PrivacyShield => AdequacyScope::PrivacyShieldCertified,
            _ => return true,
        };
        self.policy.trusted_adequacy.contains(&scope)
    }

    fn transfers(&mut self) {
        let (kb, as_of) = (self.kb, self.as_of);
        for k in 0..self.model.flows.len() {
            let f = &self.model.flows[k];
            let party = &self.model.parties[f.to_ix];
            let mut third: Vec<String> = party
                .locations
                .value
                .iter()
                .chain(&party.access_locations.value)
                .filter(|c| !kb.in_eea(c, as_of))
                .cloned()
                .collect();
            third.sort();
            third.dedup();
            let mut t = Transfer {
                third_countries: third,
                declared: f
                    .transfer_tools
                    .iter()
                    .zip(&f.tool_periods)
                    .filter(|(_, p)| p.contains(as_of))
                    .map(|(t, _)| *t)
                    .collect(),
                effective: TransferTool::None,
                inferred: false,
                invalid: Vec::new(),
                basis: None,
            };
            if !t.third_countries.is_empty() {
                let mut chosen = None;
                for tool in &t.declared.clone() {
                    match self.tool_valid(*tool, &t.third_countries, f.to_ix) {
                        Ok(basis) => {
                            chosen = Some((*tool, basis));
                            break;
                        }
                        Err(_) if *tool == TransferTool::None => {}
                        Err(why) => t.invalid.push((*tool, why)),
                    }
                }
                if chosen.is_none() && f.transfer_tools.is_empty() {
                    // No tool declared: infer adequacy or the DPF where the law gives it.
                    for tool in [TransferTool::Adequacy, TransferTool::Dpf] {
                        if let Ok(basis) = self.tool_valid(tool, &t.third_countries, f.to_ix) {
                            chosen = Some((tool, basis));
                            t.inferred = true;
                            break;
                        }
                    }
                }
                if let Some((tool, basis)) = chosen {
                    t.effective = tool;
                    t.basis = basis;
                }
            }
            self.flows[k].transfer = t;
        }
    }

    /// Whether a tool covers a transfer to these countries on the date; the decision it rests on.
    fn tool_valid(
        &self,
        tool: TransferTool,
        countries: &[String],
        p: usize,
    ) -> Result<Option<String>, String> {
        let kb = self.kb;
        let lang = self.model.language;
        let date = self.as_of.to_string();
        let by_scope = |scopes: &[AdequacyScope]| -> Result<Vec<String>, String> {
            let mut decisions = Vec::new();
            for c in countries {
                match kb
                    .adequacy_on(c, self.as_of)
                    .find(|a| scopes.contains(&a.scope))
                {
                    Some(a) => decisions.push(a.decision.clone()),
                    None => {
                        return Err(kb.phrase(
                            "tool.no_adequacy",
                            lang,
                            &[("country", &kb.country_name(c, lang)), ("date", &date)],
                        ));
                    }
                }
            }
            decisions.dedup();
            Ok(decisions)
        };
        match tool {
            TransferTool::None => Err(kb.phrase("tool.none_declared", lang, &[])),
            TransferTool::Adequacy => by_scope(&[AdequacyScope::Full, AdequacyScope::Commercial])
                .map(|d| Some(d.join("; "))),
            TransferTool::Dpf | TransferTool::PrivacyShield => {
                let scope = if tool == TransferTool::Dpf {
                    AdequacyScope::DpfCertified
                } else {
                    AdequacyScope::PrivacyShieldCertified
                };
                let mut decisions = Vec::new();
                for c in countries {
                    if let Some(a) = kb.adequacy_on(c, self.as_of).find(|a| {
                        a.scope == AdequacyScope::Full || a.scope == AdequacyScope::Commercial
                    }) {
                        decisions.push(a.decision.clone());
                        continue;
                    }
                    let Some(a) = kb.adequacy_on(c, self.as_of).find(|a| a.scope == scope) else {
                        let key = if tool == TransferTool::Dpf {
                            "tool.dpf_not_in_force"
                        } else {
                            "tool.privacy_shield_not_in_force"
                        };
                        return Err(kb.phrase(
                            key,
                            lang,
                            &[("country", &kb.country_name(c, lang)), ("date", &date)],
                        ));
                    };
                    let party = &self.model.parties[p];
                    if !(party.dpf_certified.value && party.incorporated.value == *c) {
                        return Err(self.not_certified_reason(p));
                    }
                    decisions.push(a.decision.clone());
                }
                decisions.dedup();
                Ok(Some(decisions.join("; ")))
            }
            TransferTool::Scc | TransferTool::Bcr | TransferTool::Derogation => Ok(None),
        }
    }

    /// Why the DPF does not cover a transfer to party `p`: nobody checked the list, the
    /// listing does not cover the data, or it is not (or no longer) listed.
    fn not_certified_reason(&self, p: usize) -> String {
        use crate::knowledge::DpfStatus;
        let (kb, lang) = (self.kb, self.model.language);
        let party = &self.model.parties[p];
        let name = party.name.value.as_str();
        let listing = &party.dpf.value;
        match listing.status {
            DpfStatus::Unknown => kb.phrase("tool.dpf_unknown", lang, &[("party", name)]),
            DpfStatus::Active => {
                let needed = crate::model::dpf_data_needed(kb, Some(&self.model.processing));
                let missing: Vec<String> = needed
                    .iter()
                    .filter(|d| !listing.covers.contains(d))
                    .map(|d| {
                        let key = match d {
                            crate::knowledge::DpfData::Hr => "dpf_data.hr",
                            crate::knowledge::DpfData::NonHr => "dpf_data.non_hr",
                        };
                        kb.phrase(key, lang, &[])
                    })
                    .collect();
                if missing.is_empty() {
                    kb.phrase("tool.not_certified", lang, &[("party", name)])
                } else {
                    kb.phrase(
                        "tool.dpf_not_covered",
                        lang,
                        &[("party", name), ("data", &missing.join(", "))],
                    )
                }
            }
            _ => kb.phrase("tool.not_certified", lang, &[("party", name)]),
        }
    }

    fn find_exposures(&mut self) {
        let (kb, as_of) = (self.kb, self.as_of);
        let processing_measures: Vec<&crate::knowledge::Measure> = self
            .model
            .processing
            .measures
            .iter()
            .filter_map(|m| kb.measures.get(m))
            .collect();
        let laws: Vec<usize> = (0..kb.laws.len())
            .filter(|&l| {
                let law = &kb.laws.items[l];
                (law.in_force.is_empty() || law.in_force.iter().any(|p| p.contains(as_of)))
                    && !kb.in_eea(&law.jurisdiction, as_of)
            })
            .collect();
        for p in 0..self.model.parties.len() {
            if !self.parties[p].reachable {
                continue;
            }
            let party = &self.model.parties[p];
            // The third countries the data travel to on their way to the party (every flow into
            // it reaches the same ones: the party's own locations outside the EU/EEA).
            let transit: Vec<String> = self.parties[p]
                .exposable
                .iter()
                .map(|&k| &self.flows[k].transfer.third_countries)
                .find(|cs| !cs.is_empty())
                .cloned()
                .unwrap_or_default();
            for &l in &laws {
                let law = &kb.laws.items[l];
                let j = law.jurisdiction.as_str();
                let mut conns = Vec::new();
                let conn = |connection, owners, location| ConnectionPath {
                    connection,
                    owners,
                    location,
                    transit: Vec::new(),
                    covered: false,
                    policy_covered: false,
                    decision: None,
                };
                for reach in &law.reach {
                    match reach {
                        Connection::Incorporation if party.incorporated.value == j => {
                            conns.push(conn(Connection::Incorporation, Vec::new(), None))
                        }
                        Connection::Control => {
                            for c in self.parties[p].control.iter().filter(|c| c.country == j) {
                                conns.push(conn(Connection::Control, c.owners.clone(), None));
                            }
                        }
                        Connection::Location => {
                            if party.locations.value.iter().any(|c| c == j) {
                                conns.push(conn(
                                    Connection::Location,
                                    Vec::new(),
                                    Some((j.to_string(), false)),
                                ));
                            } else if party.access_locations.value.iter().any(|c| c == j) {
                                conns.push(conn(
                                    Connection::Location,
                                    Vec::new(),
                                    Some((j.to_string(), true)),
                                ));
                            }
                        }
                        Connection::Transit if !transit.is_empty() => {
                            conns.push(ConnectionPath {
                                transit: transit.clone(),
                                ..conn(Connection::Transit, Vec::new(), None)
                            });
                        }
                        _ => {}
                    }
                }
                if conns.is_empty() {
                    continue;
                }
                // Coverage per connection, in law and under the profile.
                for c in conns.iter_mut() {
                    for basis in [Basis::Law, Basis::Policy] {
                        let decision = match c.connection {
                            Connection::Transit => c
                                .transit
                                .iter()
                                .map(|cc| self.adequacy_covering(p, cc, false, basis))
                                .collect::<Option<Vec<_>>>()
                                .and_then(|ds| ds.into_iter().next()),
                            // Reached through a parent without being in the law's country
                            // itself: foreign access, which only a decision on the whole
                            // country covers, never the DPF. A listed recipient in that
                            // country is covered as a recipient, its parent adds nothing.
                            Connection::Control => {
                                self.adequacy_covering(p, j, party.incorporated.value != j, basis)
                            }
                            _ => self.adequacy_covering(p, j, false, basis),
                        };
                        match basis {
                            Basis::Law => {
                                c.covered = decision.is_some();
                                c.decision = decision.map(|a| a.decision.clone());
                            }
                            Basis::Policy => c.policy_covered = decision.is_some(),
                        }
                    }
                }
                let facts = &self.parties[p];
                let mut mitigated_by = Vec::new();
                let (status, policy_status) = if facts.exposable.is_empty() {
                    (ExposureStatus::Neutralised, ExposureStatus::Neutralised)
                } else if let Some(ms) = self.mitigation(p, &law.mechanisms, &processing_measures) {
                    mitigated_by = ms;
                    (ExposureStatus::Mitigated, ExposureStatus::Mitigated)
                } else {
                    let of = |covered: bool| {
                        if covered {
                            ExposureStatus::CoveredByAdequacy
                        } else {
                            ExposureStatus::Effective
                        }
                    };
                    (
                        of(conns.iter().all(|c| c.covered)),
                        of(conns.iter().all(|c| c.policy_covered)),
                    )
                };
                let covered_by = if status == ExposureStatus::CoveredByAdequacy {
                    conns.iter().find_map(|c| c.decision.clone())
                } else {
                    None
                };
                if status == ExposureStatus::Effective {
                    self.parties[p].exposed_in_law = true;
                }
                if policy_status == ExposureStatus::Effective {
                    self.parties[p].exposed = true;
                }
                self.exposures.push(Exposure {
                    party: p,
                    law: l,
                    connections: conns,
                    status,
                    policy_status,
                    mitigated_by,
                    covered_by,
                });
            }
        }
    }

    /// The measures that remove every mechanism of a law on every flow through which the party
    /// can get at the data; None when some mechanism stays.
    fn mitigation(
        &self,
        p: usize,
        mechanisms: &[Mechanism],
        processing: &[&crate::knowledge::Measure],
    ) -> Option<Vec<String>> {
        let kb = self.kb;
        let mut used: Vec<String> = Vec::new();
        for &k in &self.parties[p].exposable {
            let f = &self.model.flows[k];
            for m in mechanisms {
                let by = f
                    .measures
                    .iter()
                    .filter_map(|id| kb.measures.get(id))
                    .chain(processing.iter().copied())
                    .find(|ms| {
                        ms.removes.iter().any(|r| {
                            r.mechanism == *m
                                && (r.access.is_empty() || r.access.contains(&f.access))
                        })
                    });
                match by {
                    Some(ms) => {
                        if !used.contains(&ms.id) {
                            used.push(ms.id.clone());
                        }
                    }
                    None => return None,
                }
            }
        }
        Some(used)
    }

    fn screen_dpia(&mut self) {
        let kb = self.kb;
        let lang = self.model.language;
        let proc_ = &self.model.processing;
        let mut met = Vec::new();
        for c in kb.dpia_criteria.iter() {
            let because: Vec<String> = match c.test {
                CriterionTest::Declared => {
                    if proc_.dpia_criteria.contains(&c.id) {
                        vec![kb.phrase("dpia.declared", lang, &[])]
                    } else {
                        vec![]
                    }
                }
                CriterionTest::CategoryFlags => proc_
                    .data_categories
                    .iter()
                    .filter_map(|id| kb.data_categories.get(id))
                    .filter(|cat| cat.flags.iter().any(|f| c.flags.contains(f)))
                    .map(|cat| cat.name.get(lang).to_string())
                    .collect(),
                CriterionTest::LargeScale => {
                    let large = proc_.large_scale.unwrap_or_else(|| {
                        proc_
                            .subjects
                            .is_some_and(|n| n >= self.policy.large_scale_subjects)
                    });
                    if large {
                        vec![match proc_.subjects {
                            Some(n) => kb.phrase(
                                "dpia.subjects",
                                lang,
                                &[
                                    ("n", &crate::knowledge::group_thousands(n)),
                                    (
                                        "threshold",
                                        &crate::knowledge::group_thousands(
                                            self.policy.large_scale_subjects,
                                        ),
                                    ),
                                ],
                            ),
                            None => kb.phrase("dpia.declared", lang, &[]),
                        }]
                    } else {
                        vec![]
                    }
                }
                CriterionTest::VulnerableSubjects => proc_
                    .data_subjects
                    .iter()
                    .filter_map(|id| kb.data_subjects.get(id))
                    .filter(|s| s.vulnerable)
                    .map(|s| s.name.get(lang).to_string())
                    .collect(),
            };
            if !because.is_empty() {
                met.push(CriterionMet {
                    id: c.id.clone(),
                    number: c.number,
                    because,
                });
            }
        }
        self.dpia.required = met.len() >= self.policy.dpia_min_criteria;
        self.dpia.criteria = met;
    }

    fn apply_rules(&mut self, verdict_only: bool) {
        let kb = self.kb;
        let mut hits = Vec::new();
        let mut trace = Vec::with_capacity(kb.rules.len());
        for (r, rule) in kb.rules.iter().enumerate() {
            let effect = rule.effect_under(&self.policy.id);
            if verdict_only && effect == Effect::Inform {
                trace.push((0, 0));
                continue;
            }
            let mut n = 0;
            let before = hits.len();
            let mut fire = |subject: Subject, c: &Ctx| {
                if rule.when.eval(c) {
                    hits.push(Hit {
                        rule: r,
                        subject,
                        effect,
                        severity: rule.severity,
                    });
                }
            };
            match rule.scope {
                Scope::Exposure => {
                    for (i, e) in self.exposures.iter().enumerate() {
                        n += 1;
                        fire(
                            Subject::Exposure(i),
                            &Ctx {
                                an: self,
                                exposure: Some(e),
                                flow: None,
                                party: Some(e.party),
                                basis: rule.basis,
                            },
                        );
                    }
                }
                Scope::Flow => {
                    for (k, f) in self.model.flows.iter().enumerate() {
                        if self.flows[k].reachable {
                            n += 1;
                            fire(
                                Subject::Flow(k),
                                &Ctx {
                                    an: self,
                                    exposure: None,
                                    flow: Some(k),
                                    party: Some(f.to_ix),
                                    basis: rule.basis,
                                },
                            );
                        }
                    }
                }
                Scope::Party => {
                    for p in 0..self.model.parties.len() {
                        if self.parties[p].reachable {
                            n += 1;
                            fire(
                                Subject::Party(p),
                                &Ctx {
                                    an: self,
                                    exposure: None,
                                    flow: None,
                                    party: Some(p),
                                    basis: rule.basis,
                                },
                            );
                        }
                    }
                }
                Scope::Processing => {
                    n += 1;
                    fire(
                        Subject::Processing,
                        &Ctx {
                            an: self,
                            exposure: None,
                            flow: None,
                            party: None,
                            basis: rule.basis,
                        },
                    );
                }
            }
            trace.push((n, hits.len() - before));
        }
        self.hits = hits;
        self.trace = trace;
    }

    fn decide(&mut self) {
        let kb = self.kb;
        let conclusion = |effect: Effect| match effect {
            Effect::Blocking => Verdict::NotAcceptable,
            Effect::Measures => Verdict::AcceptableWithMeasures,
            Effect::Inform => Verdict::Acceptable,
        };
        let national = matches!(
            self.model.controller.kind,
            crate::knowledge::ControllerKind::PublicBody
                | crate::knowledge::ControllerKind::EuInstitution
        );
        self.questions = Question::ALL
            .iter()
            .map(|&q| {
                let hits: Vec<usize> = self
                    .hits
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| kb.rules.items[h.rule].question == q)
                    .map(|(i, _)| i)
                    .collect();
                let worst = hits
                    .iter()
                    .map(|&i| self.hits[i].effect)
                    .max()
                    .unwrap_or(Effect::Inform);
                QuestionResult {
                    question: q,
                    applicable: q != Question::NationalLaw || national || !hits.is_empty(),
                    conclusion: conclusion(worst),
                    hits,
                }
            })
            .collect();
        // The verdict is the worst of the three conclusions.
        self.verdict = self
            .questions
            .iter()
            .map(|q| q.conclusion)
            .min()
            .unwrap_or(Verdict::Acceptable);
        self.decided_by = if self.verdict == Verdict::Acceptable {
            Vec::new()
        } else {
            self.questions
                .iter()
                .filter(|q| q.conclusion == self.verdict)
                .map(|q| q.question)
                .collect()
        };
        self.prior_consultation_required = self.dpia.required
            && self
                .hits
                .iter()
                .any(|h| h.severity == Severity::High && h.effect != Effect::Inform);
    }

    /// What a finding is about, comparable across copies of the model (ids, not indices).
    pub fn finding_key(&self, h: &Hit) -> (usize, &str, usize) {
        match h.subject {
            Subject::Exposure(i) => {
                let e = &self.exposures[i];
                (h.rule, self.model.parties[e.party].id.as_str(), e.law)
            }
            Subject::Flow(k) => (h.rule, self.model.flows[k].id.as_str(), usize::MAX - 1),
            Subject::Party(p) => (h.rule, self.model.parties[p].id.as_str(), usize::MAX),
            Subject::Processing => (h.rule, "", usize::MAX),
        }
    }

    /// A stable id for a finding: `RULE@party/law`, `RULE@flow`, `RULE@party` or `RULE`.
    pub fn finding_id(&self, h: &Hit) -> String {
        let rule = &self.kb.rules.items[h.rule].id;
        match h.subject {
            Subject::Exposure(i) => {
                let e = &self.exposures[i];
                format!(
                    "{rule}@{}/{}",
                    self.model.parties[e.party].id, self.kb.laws.items[e.law].id
                )
            }
            Subject::Flow(k) => format!("{rule}@{}", self.model.flows[k].id),
            Subject::Party(p) => format!("{rule}@{}", self.model.parties[p].id),
            Subject::Processing => rule.clone(),
        }
    }
}

/// The data flags the data subjects raise (children).
fn subject_flags(kb: &Knowledge, subjects: &[String]) -> u16 {
    subjects
        .iter()
        .filter_map(|s| kb.data_subjects.get(s))
        .filter(|s| s.children)
        .fold(0, |f, _| f | flag_bit(CategoryFlag::Children))
}

fn seen_from(e: Endpoint, seen: &[bool]) -> bool {
    match e {
        Endpoint::Controller => true,
        Endpoint::Party(j) => seen[j],
    }
}

/// Walks an ownership tree and records every owner that controls the entity below it, directly
/// (one holder above the single threshold) or together (holders from outside the EU/EEA above
/// the combined threshold), and so, transitively, the entity at the bottom.
fn collect_control(
    kb: &Knowledge,
    policy: &Policy,
    as_of: NaiveDate,
    owners: &[Owner],
    path: &mut Vec<(String, String, f64)>,
    out: &mut Vec<ControlLink>,
) {
    // A relationship that has ended (or not begun) on the day judged does not control.
    let owners = || owners.iter().filter(|o| o.current_on(as_of));
    let foreign_total: f64 = owners()
        .filter(|o| !kb.in_eea(&o.country, as_of))
        .map(|o| o.share)
        .sum();
    for o in owners() {
        let foreign = !kb.in_eea(&o.country, as_of);
        let controls =
            o.share > policy.control.single || (foreign && foreign_total > policy.control.combined);
        if !controls || path.len() > 32 {
            continue;
        }
        path.push((o.name.clone(), o.country.clone(), o.share));
        out.push(ControlLink {
            owners: path.clone(),
            country: o.country.clone(),
        });
        collect_control(kb, policy, as_of, &o.owners, path, out);
        path.pop();
    }
}
