//! Rules as data: a closed set of typed predicates, deserialised with `deny_unknown_fields`.
//! An unknown key is a load error, never a silently ignored rule; a predicate used in a scope
//! where it has no meaning is a load error too.

use crate::engine::{Analysis, Exposure, ExposureStatus};
use crate::knowledge::{
    Basis, CategoryFlag, Connection, ControllerKind, Knowledge, Mechanism, Scope,
};
use crate::model::{Access, KeyHolder, Role, TransferTool};
use serde::{Deserialize, Serialize};

/// A DPA term whose absence a rule can test.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DpaTerm {
    ChangeNoticeDays,
    ObjectionDays,
    ThirdCountryInstruction,
    Audit,
    BreachNoticeHours,
    DeletionDays,
}

/// A condition over one subject (an exposure, a flow, a party or the processing).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Predicate {
    /// Every one holds.
    All(Vec<Predicate>),
    /// At least one holds.
    Any(Vec<Predicate>),
    /// It does not hold.
    Not(Box<Predicate>),

    // --- exposure scope ---
    /// The exposing law is one of these ids.
    Law(Vec<String>),
    /// The exposing law works through one of these mechanisms.
    LawMechanism(Vec<Mechanism>),
    /// The exposing law's country is one of these.
    LawJurisdiction(Vec<String>),
    /// Whether the law was found essentially equivalent to EU guarantees.
    LawEssentiallyEquivalent(bool),
    /// Whether the law imposes a general duty to assist intelligence services.
    LawIntelligenceDuty(bool),
    /// Whether the law's country is none of the party's processing or access locations: the
    /// law reaches the party without a transfer to that country (foreign access).
    LawOutsideLocations(bool),
    /// The party is connected to the law in one of these ways, through a connection that is
    /// not covered (in law for a law rule, under the profile for a policy rule).
    Connection(Vec<Connection>),
    /// The exposure's status is one of these (in law for a law rule, under the profile for a
    /// policy rule).
    ExposureStatus(Vec<ExposureStatus>),
    /// Whether every processing and access location of the party lies in the EU/EEA.
    DataOnlyInEea(bool),

    // --- flow scope ---
    /// Whether the flow's recipient processes or accesses the data outside the EU/EEA.
    ThirdCountryTransfer(bool),
    /// The flow's effective transfer tool is one of these.
    TransferTool(Vec<TransferTool>),
    /// Whether a transfer tool the model declares is not valid for this flow on the date.
    DeclaredToolInvalid(bool),
    /// Whether every third country of the flow has an adequacy decision (in law: the DPF for
    /// a listed recipient; for a policy rule: only adequacy the profile accepts).
    DestinationAdequate(bool),
    /// Whether the profile accepts the flow's tool (false: a DPF transfer under a profile
    /// that does not rely on the DPF).
    ToolAcceptedByProfile(bool),
    /// The flow's access is one of these.
    FlowAccess(Vec<Access>),
    /// The flow's key holder is one of these.
    KeyHolder(Vec<KeyHolder>),
    /// The flow carries one of these measures.
    FlowMeasure(Vec<String>),

    // --- party facts (exposure, flow: the recipient; party) ---
    PartyRole(Vec<Role>),
    /// Whether the party has an effective exposure (in law or under the profile, by the
    /// rule's basis).
    PartyExposed(bool),
    /// Whether the party's owners are stated all the way up (listed, or `none` with a source).
    OwnershipKnown(bool),
    /// The party's status on a list that an adequacy decision for its country of
    /// incorporation rests on (the DPF List) is one of these; `unknown` when nobody checked.
    /// Never holds for a party whose country has no list-based adequacy.
    DpfStatus(Vec<crate::knowledge::DpfStatus>),
    /// Whether the party can read the data in the clear (or holds the keys).
    PartyReads(bool),
    /// Whether the party's service must read the data in the clear to work.
    NeedsCleartext(bool),
    /// The party's DPA lacks one of these terms.
    DpaMissing(Vec<DpaTerm>),
    /// The party's terms can be changed by the provider alone (or cannot be negotiated).
    DpaUnilateral(bool),

    // --- any scope ---
    /// The data concerned (reaching the party, on the flow, or in the processing) has a flag.
    DataFlag(Vec<CategoryFlag>),
    ControllerPublicBody(bool),
    /// The controller is of one of these kinds.
    ControllerKind(Vec<ControllerKind>),
    /// The controller is established in one of these countries.
    ControllerCountry(Vec<String>),
    /// One of these processing-level measures is in place.
    ProcessingMeasure(Vec<String>),
    DpiaRequired(bool),
    /// Some exposure in the graph has one of these statuses.
    AnyExposure(Vec<ExposureStatus>),
    RiskEstimateGiven(bool),
}

/// The subject a predicate is evaluated on, and whether the rule judges the law or the policy.
pub struct Ctx<'a> {
    pub an: &'a Analysis<'a>,
    pub exposure: Option<&'a Exposure>,
    pub flow: Option<usize>,
    pub party: Option<usize>,
    pub basis: Basis,
}

impl Predicate {
    fn scopes(&self) -> &'static [Scope] {
        use Predicate::*;
        use Scope as S;
        match self {
            All(_) | Any(_) | Not(_) => &[S::Exposure, S::Flow, S::Party, S::Processing],
            Law(_)
            | LawMechanism(_)
            | LawJurisdiction(_)
            | LawEssentiallyEquivalent(_)
            | LawIntelligenceDuty(_)
            | LawOutsideLocations(_)
            | Connection(_)
            | ExposureStatus(_)
            | DataOnlyInEea(_) => &[S::Exposure],
            ThirdCountryTransfer(_)
            | TransferTool(_)
            | DeclaredToolInvalid(_)
            | DestinationAdequate(_)
            | ToolAcceptedByProfile(_)
            | FlowAccess(_)
            | KeyHolder(_)
            | FlowMeasure(_) => &[S::Flow],
            PartyRole(_) | PartyExposed(_) | PartyReads(_) | NeedsCleartext(_) | DpaMissing(_)
            | DpaUnilateral(_) | OwnershipKnown(_) | DpfStatus(_) => {
                &[S::Exposure, S::Flow, S::Party]
            }
            DataFlag(_)
            | ControllerPublicBody(_)
            | ControllerKind(_)
            | ControllerCountry(_)
            | ProcessingMeasure(_)
            | DpiaRequired(_)
            | AnyExposure(_)
            | RiskEstimateGiven(_) => &[S::Exposure, S::Flow, S::Party, S::Processing],
        }
    }

    /// Problems with this predicate in a rule of `scope`: wrong scope, unknown ids.
    pub fn check(&self, scope: Scope, kb: &Knowledge) -> Vec<String> {
        let mut out = Vec::new();
        self.check_into(scope, kb, &mut out);
        out
    }

    fn check_into(&self, scope: Scope, kb: &Knowledge, out: &mut Vec<String>) {
        if !self.scopes().contains(&scope) {
            let name = serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
                .unwrap_or_default();
            out.push(format!(
                "predicate `{name}` has no meaning in a rule of scope `{}`",
                serde_json::to_value(scope).unwrap().as_str().unwrap()
            ));
        }
        match self {
            Predicate::All(ps) | Predicate::Any(ps) => {
                ps.iter().for_each(|p| p.check_into(scope, kb, out))
            }
            Predicate::Not(p) => p.check_into(scope, kb, out),
            Predicate::Law(ids) => ids
                .iter()
                .filter(|i| !kb.laws.contains(i))
                .for_each(|i| out.push(format!("unknown law `{i}`"))),
            Predicate::LawJurisdiction(cs) | Predicate::ControllerCountry(cs) => cs
                .iter()
                .filter(|c| !kb.jurisdictions.contains(c))
                .for_each(|c| out.push(format!("unknown country `{c}`"))),
            Predicate::FlowMeasure(ms) | Predicate::ProcessingMeasure(ms) => ms
                .iter()
                .filter(|m| !kb.measures.contains(m))
                .for_each(|m| out.push(format!("unknown measure `{m}`"))),
            _ => {}
        }
    }

    pub fn eval(&self, c: &Ctx) -> bool {
        use Predicate::*;
        let an = c.an;
        match self {
            All(ps) => ps.iter().all(|p| p.eval(c)),
            Any(ps) => ps.iter().any(|p| p.eval(c)),
            Not(p) => !p.eval(c),
            Law(ids) => c
                .exposure
                .is_some_and(|e| ids.iter().any(|i| i == &an.kb.laws.items[e.law].id)),
            LawMechanism(ms) => c.exposure.is_some_and(|e| {
                an.kb.laws.items[e.law]
                    .mechanisms
                    .iter()
                    .any(|m| ms.contains(m))
            }),
            LawJurisdiction(cs) => c
                .exposure
                .is_some_and(|e| cs.contains(&an.kb.laws.items[e.law].jurisdiction)),
            LawEssentiallyEquivalent(b) => c
                .exposure
                .is_some_and(|e| an.kb.laws.items[e.law].essentially_equivalent == *b),
            LawIntelligenceDuty(b) => c
                .exposure
                .is_some_and(|e| an.kb.laws.items[e.law].intelligence_duty == *b),
            LawOutsideLocations(b) => c.exposure.is_some_and(|e| {
                let party = &an.model.parties[e.party];
                let j = &an.kb.laws.items[e.law].jurisdiction;
                let located = party
                    .locations
                    .value
                    .iter()
                    .chain(&party.access_locations.value)
                    .any(|l| l == j);
                located != *b
            }),
            Connection(cs) => c.exposure.is_some_and(|e| {
                e.connections.iter().any(|x| {
                    cs.contains(&x.connection)
                        && match c.basis {
                            Basis::Law => !x.covered,
                            Basis::Policy => !x.policy_covered,
                        }
                })
            }),
            ExposureStatus(ss) => c.exposure.is_some_and(|e| {
                ss.contains(match c.basis {
                    Basis::Law => &e.status,
                    Basis::Policy => &e.policy_status,
                })
            }),
            DataOnlyInEea(b) => c.party.is_some_and(|p| {
                let party = &an.model.parties[p];
                party
                    .locations
                    .value
                    .iter()
                    .chain(&party.access_locations.value)
                    .all(|l| an.kb.in_eea(l, an.as_of))
                    == *b
            }),
            ThirdCountryTransfer(b) => c
                .flow
                .is_some_and(|f| an.flows[f].transfer.third_countries.is_empty() != *b),
            TransferTool(ts) => c
                .flow
                .is_some_and(|f| ts.contains(&an.flows[f].transfer.effective)),
            DeclaredToolInvalid(b) => c
                .flow
                .is_some_and(|f| an.flows[f].transfer.invalid.is_empty() != *b),
            DestinationAdequate(b) => c
                .flow
                .is_some_and(|f| an.destination_adequate(f, c.basis) == *b),
            ToolAcceptedByProfile(b) => {
                c.flow.is_some_and(|f| an.tool_accepted_by_profile(f) == *b)
            }
            FlowAccess(a) => c
                .flow
                .is_some_and(|f| a.contains(&an.model.flows[f].access)),
            KeyHolder(k) => c
                .flow
                .is_some_and(|f| k.contains(&an.model.flows[f].key_holder)),
            FlowMeasure(ms) => c
                .flow
                .is_some_and(|f| an.model.flows[f].measures.iter().any(|m| ms.contains(m))),
            PartyRole(rs) => c
                .party
                .is_some_and(|p| rs.contains(&an.model.parties[p].role)),
            PartyExposed(b) => c.party.is_some_and(|p| {
                let facts = &an.parties[p];
                let exposed = match c.basis {
                    Basis::Law => facts.exposed_in_law,
                    Basis::Policy => facts.exposed,
                };
                exposed == *b
            }),
            OwnershipKnown(b) => c.party.is_some_and(|p| an.owners_known(p) == *b),
            DpfStatus(ss) => c.party.is_some_and(|p| {
                let party = &an.model.parties[p];
                ss.contains(&party.dpf.value.status)
                    && an
                        .kb
                        .adequacy_on(&party.incorporated.value, an.as_of)
                        .any(|a| a.scope == crate::knowledge::AdequacyScope::DpfCertified)
            }),
            PartyReads(b) => c.party.is_some_and(|p| an.parties[p].reads == *b),
            NeedsCleartext(b) => c.party.is_some_and(|p| an.needs_cleartext(p) == *b),
            DpaMissing(terms) => c.party.is_some_and(|p| {
                // A replacement an option proposes has no agreement yet: its terms are part of
                // the option, not a fact to verify.
                let party = &an.model.parties[p];
                let d = &party.dpa;
                !party.hypothetical
                    && terms.iter().any(|t| match t {
                        DpaTerm::ChangeNoticeDays => d.change_notice_days.is_none(),
                        DpaTerm::ObjectionDays => d.objection_days.is_none(),
                        DpaTerm::ThirdCountryInstruction => d.third_country_instruction.is_none(),
                        DpaTerm::Audit => d.audit.is_empty(),
                        DpaTerm::BreachNoticeHours => d.breach_notice_hours.is_none(),
                        DpaTerm::DeletionDays => d.deletion_days.is_none(),
                    })
            }),
            DpaUnilateral(b) => c.party.is_some_and(|p| {
                let d = &an.model.parties[p].dpa;
                (d.unilateral_changes == Some(true) || d.negotiable == Some(false)) == *b
            }),
            DataFlag(fs) => {
                let flags = match (c.flow, c.party) {
                    (Some(f), _) => an.flows[f].flags,
                    (None, Some(p)) => an.parties[p].flags,
                    (None, None) => an.processing_flags,
                };
                fs.iter().any(|f| flags & crate::engine::flag_bit(*f) != 0)
            }
            ControllerPublicBody(b) => an.model.controller.public_body == *b,
            ControllerKind(ks) => ks.contains(&an.model.controller.kind),
            ControllerCountry(cs) => cs.contains(&an.model.controller.country),
            ProcessingMeasure(ms) => an.model.processing.measures.iter().any(|m| ms.contains(m)),
            DpiaRequired(b) => an.dpia.required == *b,
            AnyExposure(ss) => an.exposures.iter().any(|e| {
                ss.contains(match c.basis {
                    Basis::Law => &e.status,
                    Basis::Policy => &e.policy_status,
                })
            }),
            RiskEstimateGiven(b) => an.model.risk_estimate.is_some() == *b,
        }
    }
}
