//! The change report between two versions of a model (`tia diff`): which parties, flows,
//! exposures and findings came or went, how the verdict moved, and by when the controller must
//! object to the change. Plain data with ids and display names; the wording lives in templates.
//!
//! Parties are matched by vendor catalogue id when both versions have one, else by party id,
//! so renaming a party (`winlas` → `lasia`, both `vendor: lasia`) is no change of sub-processor.
//! Flows, exposures and findings are matched through the matched parties.

use crate::engine::{ExposureStatus, Verdict};
use crate::model::{Access, KeyHolder, Model, Role, TransferTool, CONTROLLER};
use crate::report::{ExposureReport, Finding, Named, PartyReport, Report, TransferReport};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::Hash;

/// What the diff needs beyond the two assessments.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// The day the processor gave notice of the change.
    pub notice_date: Option<NaiveDate>,
    /// Days to object after notice, overriding every processor's DPA terms.
    pub objection_days: Option<u32>,
    /// The report's date, against which deadlines are passed or not (default: today).
    pub today: Option<NaiveDate>,
}

/// Everything that changed between two versions of a model.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ChangeReport {
    pub old: VersionSummary,
    pub new: VersionSummary,
    pub verdict_change: VerdictChange,
    pub prior_consultation_change: PriorConsultationChange,
    /// Whether the verdict, the prior consultation or any party, flow, exposure or finding
    /// changed.
    pub has_changes: bool,
    pub parties: PartyChanges,
    pub flows: FlowChanges,
    pub exposures: ExposureChanges,
    pub findings: FindingChanges,
    pub notice_date: Option<NaiveDate>,
    /// The report's date: a last day to object before it has passed.
    pub today: NaiveDate,
    /// One per processor (role `processor`) of the new version.
    pub objection_deadlines: Vec<ObjectionDeadline>,
    /// The earliest of the processors' last days to object.
    pub last_day_to_object: Option<NaiveDate>,
}

/// One version's assessment in brief.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ChangeVersion")]
pub struct VersionSummary {
    pub title: String,
    pub reference: Option<String>,
    pub file: String,
    pub input_sha256: String,
    pub policy: Named,
    pub as_of: NaiveDate,
    pub verdict: Verdict,
    pub verdict_text: String,
    pub prior_consultation_required: bool,
    pub prior_consultation_text: String,
    pub controller: String,
}

/// How the verdict moved (not_acceptable < acceptable_with_measures < acceptable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictChange {
    Improved,
    Worsened,
    Unchanged,
}

/// How the need to consult the supervisory authority (art. 36) moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorConsultationChange {
    NowRequired,
    NoLongerRequired,
    Unchanged,
}

/// One field that differs in a matched party or flow; values as in the JSON report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// The field's key: `name`, `locations`, `access`, `measures`…
    pub field: &'static str,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct PartyChanges {
    pub added: Vec<PartyRef>,
    pub removed: Vec<PartyRef>,
    pub changed: Vec<PartyChange>,
}

/// A party as one version has it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ChangedParty")]
pub struct PartyRef {
    pub id: String,
    pub name: String,
    pub vendor: Option<String>,
    pub role: Role,
    pub incorporated: String,
    pub locations: Vec<String>,
    pub service: Option<String>,
    pub exposed: bool,
    pub reads_cleartext: bool,
    /// The chain from the controller: "Controller → Processor → this party".
    pub chain: String,
}

/// A party in both versions whose facts differ; id, name and role are the new version's.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PartyChange {
    pub old_id: String,
    pub id: String,
    pub name: String,
    pub vendor: Option<String>,
    pub role: Role,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct FlowChanges {
    pub added: Vec<FlowRef>,
    pub removed: Vec<FlowRef>,
    pub changed: Vec<FlowChange>,
}

/// A flow as one version has it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FlowRef {
    pub id: String,
    pub from: Named,
    pub to: Named,
    pub access: Access,
    pub key_holder: KeyHolder,
    pub measures: Vec<String>,
    /// The declared categories; None: every category that reaches the sender.
    pub data_categories: Option<Vec<String>>,
    /// The effective Chapter V tool; None when the flow is not reached from the controller.
    pub transfer_tool: Option<TransferTool>,
    pub third_countries: Vec<String>,
}

/// A flow in both versions whose terms differ; ids and names are the new version's.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FlowChange {
    pub old_id: String,
    pub id: String,
    pub from: Named,
    pub to: Named,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct ExposureChanges {
    pub appeared: Vec<ExposureRef>,
    pub disappeared: Vec<ExposureRef>,
    pub changed: Vec<ExposureChange>,
}

/// A party × law exposure as one version has it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExposureRef {
    pub party: Named,
    pub law: Named,
    pub jurisdiction: String,
    pub status: ExposureStatus,
    /// The flows that bring the data to the party, from the controller.
    pub chain: String,
    /// Each connection's explanation: party → owner … → law.
    pub paths: Vec<String>,
}

/// An exposure in both versions whose status differs; `status` is the new one.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExposureChange {
    #[serde(flatten)]
    pub exposure: ExposureRef,
    pub old_status: ExposureStatus,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct FindingChanges {
    pub appeared: Vec<Finding>,
    pub disappeared: Vec<Finding>,
}

/// By when the controller must object to the change, for one processor.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ObjectionDeadline {
    pub party: Named,
    pub notice_date: Option<NaiveDate>,
    /// The new or changed parties announced on `notice_date` (empty when the versions differ
    /// in no party below this processor).
    pub changes: Vec<Named>,
    /// The override if given, else the DPA's.
    pub objection_days: Option<u32>,
    pub change_notice_days: Option<u32>,
    /// notice_date + change_notice_days: when the change takes effect.
    pub effective_date: Option<NaiveDate>,
    pub last_day_to_object: Option<NaiveDate>,
    pub basis: DeadlineBasis,
    /// The last day is before the report's date.
    pub passed: bool,
    /// The terms come from the vendor catalogue or a default, not from the model's own DPA:
    /// check them against the signed agreement.
    pub terms_assumed: bool,
}

/// Which term gave the last day to object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineBasis {
    /// `DiffOptions::objection_days`: notice_date + those days.
    Override,
    /// The DPA's `objection_days`: notice_date + those days.
    ObjectionDays,
    /// The DPA's `change_notice_days`: the day before the change takes effect.
    ChangeNoticeDays,
    /// The DPA states neither period: no deadline can be computed.
    Unknown,
    /// No notice date was given: no deadline can be computed.
    NoNoticeDate,
}

/// Compares two versions of a model; each report must be the assessment of its model.
pub fn diff(
    old_model: &Model,
    old: &Report,
    new_model: &Model,
    new: &Report,
    opts: &DiffOptions,
) -> ChangeReport {
    let o = Side::new(old_model, old);
    let n = Side::new(new_model, new);

    let (old_vendor, old_id) = (
        |i: usize| old.parties[i].vendor.as_deref(),
        |i: usize| old.parties[i].id.as_str(),
    );
    let (new_vendor, new_id) = (
        |j: usize| new.parties[j].vendor.as_deref(),
        |j: usize| new.parties[j].id.as_str(),
    );
    // Same vendor and id, then same vendor, then same id where a side names no vendor.
    let parties = Pairing::new(old.parties.len(), new.parties.len())
        .pass(
            |i| Some((old_vendor(i)?, old_id(i))),
            |j| Some((new_vendor(j)?, new_id(j))),
        )
        .pass(old_vendor, new_vendor)
        .pass(
            |i| old_vendor(i).is_none().then(|| old_id(i)),
            |j| Some(new_id(j)),
        )
        .pass(
            |i| Some(old_id(i)),
            |j| new_vendor(j).is_none().then(|| new_id(j)),
        );
    let old_party = |i| parties.old_slot(i);
    let new_party = |j: usize| j;

    let (old_flows, new_flows) = (&old_model.flows, &new_model.flows);
    // Same endpoints and id, then same endpoints (ids follow renamed parties).
    let flows = Pairing::new(old_flows.len(), new_flows.len())
        .pass(
            |i| Some((o.endpoints(i, old_party)?, old_flows[i].id.as_str())),
            |j| Some((n.endpoints(j, new_party)?, new_flows[j].id.as_str())),
        )
        .pass(|i| o.endpoints(i, old_party), |j| n.endpoints(j, new_party));
    let old_flow = |i| flows.old_slot(i);
    let new_flow = |j: usize| j;

    let exposures = Pairing::new(old.exposures.len(), new.exposures.len()).pass(
        |i| o.exposure_key(&old.exposures[i], &old_party),
        |j| n.exposure_key(&new.exposures[j], &new_party),
    );

    let findings = Pairing::new(old.findings.len(), new.findings.len()).pass(
        |i| o.finding_key(&old.findings[i], &old_party, &old_flow),
        |j| n.finding_key(&new.findings[j], &new_party, &new_flow),
    );

    let parties = PartyChanges {
        added: parties
            .added()
            .map(|j| party_ref(&new.parties[j]))
            .collect(),
        removed: parties
            .removed()
            .map(|i| party_ref(&old.parties[i]))
            .collect(),
        changed: parties
            .pairs()
            .filter_map(|(i, j)| party_change(&old.parties[i], &new.parties[j]))
            .collect(),
    };
    let flows = FlowChanges {
        added: flows.added().map(|j| n.flow_ref(j)).collect(),
        removed: flows.removed().map(|i| o.flow_ref(i)).collect(),
        changed: flows
            .pairs()
            .filter_map(|(i, j)| flow_change(&o.flow_ref(i), n.flow_ref(j)))
            .collect(),
    };
    let exposures = ExposureChanges {
        appeared: exposures
            .added()
            .map(|j| exposure_ref(&new.exposures[j]))
            .collect(),
        disappeared: exposures
            .removed()
            .map(|i| exposure_ref(&old.exposures[i]))
            .collect(),
        changed: exposures
            .pairs()
            .filter(|&(i, j)| old.exposures[i].status != new.exposures[j].status)
            .map(|(i, j)| ExposureChange {
                exposure: exposure_ref(&new.exposures[j]),
                old_status: old.exposures[i].status,
            })
            .collect(),
    };
    let findings = FindingChanges {
        appeared: findings.added().map(|j| new.findings[j].clone()).collect(),
        disappeared: findings
            .removed()
            .map(|i| old.findings[i].clone())
            .collect(),
    };

    let verdict_change = match new.verdict.cmp(&old.verdict) {
        std::cmp::Ordering::Greater => VerdictChange::Improved,
        std::cmp::Ordering::Less => VerdictChange::Worsened,
        std::cmp::Ordering::Equal => VerdictChange::Unchanged,
    };
    let prior_consultation_change = match (
        old.prior_consultation_required,
        new.prior_consultation_required,
    ) {
        (false, true) => PriorConsultationChange::NowRequired,
        (true, false) => PriorConsultationChange::NoLongerRequired,
        _ => PriorConsultationChange::Unchanged,
    };
    let has_changes = verdict_change != VerdictChange::Unchanged
        || prior_consultation_change != PriorConsultationChange::Unchanged
        || !(parties.added.is_empty() && parties.removed.is_empty() && parties.changed.is_empty())
        || !(flows.added.is_empty() && flows.removed.is_empty() && flows.changed.is_empty())
        || !(exposures.appeared.is_empty()
            && exposures.disappeared.is_empty()
            && exposures.changed.is_empty())
        || !(findings.appeared.is_empty() && findings.disappeared.is_empty());

    // One deadline per processor and announcement: the new or changed parties below a
    // processor, grouped by the day each was announced (else the notice date given).
    let announced: Vec<(String, String, Option<NaiveDate>)> = parties
        .added
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .chain(
            parties
                .changed
                .iter()
                .map(|p| (p.id.clone(), p.name.clone())),
        )
        .map(|(id, name)| {
            let day = new_model
                .parties
                .iter()
                .find(|q| q.id == id)
                .and_then(|q| q.announced)
                .or(opts.notice_date);
            (id, name, day)
        })
        .collect();
    let mut objection_deadlines: Vec<ObjectionDeadline> = Vec::new();
    for p in new.parties.iter().filter(|p| p.role == Role::Processor) {
        let below = downstream(new_model, &p.id);
        let mut by_day: BTreeMap<Option<NaiveDate>, Vec<Named>> = BTreeMap::new();
        for (id, name, day) in announced
            .iter()
            .filter(|(id, ..)| below.contains(id.as_str()))
        {
            by_day.entry(*day).or_default().push(Named {
                id: id.clone(),
                name: name.clone(),
            });
        }
        if by_day.is_empty() {
            objection_deadlines.push(deadline(p, opts, opts.notice_date, Vec::new()));
        }
        // Dated announcements in order, then the changes without a date.
        let mut by_day: Vec<_> = by_day.into_iter().collect();
        by_day.sort_by_key(|(day, _)| (day.is_none(), *day));
        for (day, changes) in by_day {
            objection_deadlines.push(deadline(p, opts, day, changes));
        }
    }
    let last_day_to_object = objection_deadlines
        .iter()
        .filter_map(|d| d.last_day_to_object)
        .min();

    ChangeReport {
        old: summary(old),
        new: summary(new),
        verdict_change,
        prior_consultation_change,
        has_changes,
        parties,
        flows,
        exposures,
        findings,
        notice_date: opts.notice_date,
        today: today(opts),
        objection_deadlines,
        last_day_to_object,
    }
}

/// Which old item matches which new one.
struct Pairing {
    old: Vec<Option<usize>>,
    new: Vec<Option<usize>>,
}

impl Pairing {
    fn new(old: usize, new: usize) -> Self {
        Pairing {
            old: vec![None; old],
            new: vec![None; new],
        }
    }

    /// Pairs the items still unpaired whose keys are equal, first with first (None: no key).
    fn pass<K: Hash + Eq>(
        mut self,
        old_key: impl Fn(usize) -> Option<K>,
        new_key: impl Fn(usize) -> Option<K>,
    ) -> Self {
        let mut open: HashMap<K, VecDeque<usize>> = HashMap::new();
        for j in (0..self.new.len()).filter(|&j| self.new[j].is_none()) {
            if let Some(k) = new_key(j) {
                open.entry(k).or_default().push_back(j);
            }
        }
        for i in 0..self.old.len() {
            if self.old[i].is_some() {
                continue;
            }
            if let Some(j) = old_key(i).and_then(|k| open.get_mut(&k)?.pop_front()) {
                self.old[i] = Some(j);
                self.new[j] = Some(i);
            }
        }
        self
    }

    /// A key that an old item shares with its new match: the new index, or a number past the
    /// new items when it has none. New items' keys are their indices.
    fn old_slot(&self, i: usize) -> usize {
        self.old[i].unwrap_or(self.new.len() + i)
    }

    /// New items without a match, in order.
    fn added(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.new.len()).filter(|&j| self.new[j].is_none())
    }

    /// Old items without a match, in order.
    fn removed(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.old.len()).filter(|&i| self.old[i].is_none())
    }

    /// Matched (old, new) pairs, in the new order.
    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.new.len()).filter_map(|j| self.new[j].map(|i| (i, j)))
    }
}

/// What a finding is about, in matched slots: comparable across versions.
#[derive(PartialEq, Eq, Hash)]
enum SubjectKey<'a> {
    Exposure(usize, &'a str),
    Flow(usize),
    Party(usize),
    Processing,
}

/// One version: its model and report, with ids indexed.
struct Side<'a> {
    model: &'a Model,
    report: &'a Report,
    /// Party id → index in the report's parties.
    parties: HashMap<&'a str, usize>,
    /// Flow id → index in the model's flows.
    flows: HashMap<&'a str, usize>,
    transfers: HashMap<&'a str, &'a TransferReport>,
}

impl<'a> Side<'a> {
    fn new(model: &'a Model, report: &'a Report) -> Self {
        Side {
            model,
            report,
            parties: report
                .parties
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect(),
            flows: model
                .flows
                .iter()
                .enumerate()
                .map(|(k, f)| (f.id.as_str(), k))
                .collect(),
            transfers: report
                .transfers
                .iter()
                .map(|t| (t.flow.as_str(), t))
                .collect(),
        }
    }

    fn party(&self, id: &str) -> Option<usize> {
        self.parties.get(id).copied()
    }

    /// A flow's sender (None: the controller) and recipient, as party slots.
    fn endpoints(&self, k: usize, slot: impl Fn(usize) -> usize) -> Option<(Option<usize>, usize)> {
        let f = &self.model.flows[k];
        let from = match f.from.as_str() {
            CONTROLLER => None,
            id => Some(slot(self.party(id)?)),
        };
        Some((from, slot(self.party(&f.to)?)))
    }

    /// An exposure's party slot and law.
    fn exposure_key(
        &self,
        e: &'a ExposureReport,
        party: &dyn Fn(usize) -> usize,
    ) -> Option<(usize, &'a str)> {
        Some((party(self.party(&e.party)?), e.law.as_str()))
    }

    /// A finding's rule and subject, in slots.
    fn finding_key(
        &self,
        f: &'a Finding,
        party: &dyn Fn(usize) -> usize,
        flow: &dyn Fn(usize) -> usize,
    ) -> Option<(&'a str, SubjectKey<'a>)> {
        let id = f.subject.id.as_str();
        let subject = match f.subject.kind {
            "exposure" => {
                let (p, law) = id.rsplit_once('/')?;
                SubjectKey::Exposure(party(self.party(p)?), law)
            }
            "flow" => SubjectKey::Flow(flow(*self.flows.get(id)?)),
            "party" => SubjectKey::Party(party(self.party(id)?)),
            "processing" => SubjectKey::Processing,
            _ => return None,
        };
        Some((f.rule.as_str(), subject))
    }

    /// A flow endpoint's id and display name.
    fn endpoint(&self, id: &str) -> Named {
        let name = match id {
            CONTROLLER => self.model.controller.name.clone(),
            _ => self
                .party(id)
                .map(|p| self.report.parties[p].name.value.clone())
                .unwrap_or_else(|| id.to_string()),
        };
        Named {
            id: id.to_string(),
            name,
        }
    }

    fn flow_ref(&self, k: usize) -> FlowRef {
        let f = &self.model.flows[k];
        let transfer = self.transfers.get(f.id.as_str());
        FlowRef {
            id: f.id.clone(),
            from: self.endpoint(&f.from),
            to: self.endpoint(&f.to),
            access: f.access,
            key_holder: f.key_holder,
            measures: sorted(&f.measures),
            data_categories: f.data_categories.as_deref().map(sorted),
            transfer_tool: transfer.map(|t| t.effective),
            third_countries: transfer
                .map(|t| sorted(&t.third_countries))
                .unwrap_or_default(),
        }
    }
}

/// Field changes of a matched item.
#[derive(Default)]
struct Changes(Vec<FieldChange>);

impl Changes {
    /// Records the field when its JSON values differ.
    fn field<T: Serialize + ?Sized>(&mut self, field: &'static str, old: &T, new: &T) {
        let (old, new) = (json(old), json(new));
        if old != new {
            self.0.push(FieldChange { field, old, new });
        }
    }
}

fn json<T: Serialize + ?Sized>(v: &T) -> Value {
    serde_json::to_value(v).expect("report data serialises to JSON")
}

/// A list compared as a set.
fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn summary(r: &Report) -> VersionSummary {
    VersionSummary {
        title: r.title.clone(),
        reference: r.reference.clone(),
        file: r.file.clone(),
        input_sha256: r.input_sha256.clone(),
        policy: r.policy.clone(),
        as_of: r.as_of,
        verdict: r.verdict,
        verdict_text: r.verdict_text.clone(),
        prior_consultation_required: r.prior_consultation_required,
        prior_consultation_text: r.prior_consultation.text.clone(),
        controller: r.controller.name.clone(),
    }
}

fn party_ref(p: &PartyReport) -> PartyRef {
    PartyRef {
        id: p.id.clone(),
        name: p.name.value.clone(),
        vendor: p.vendor.clone(),
        role: p.role,
        incorporated: p.incorporated.value.clone(),
        locations: p.locations.value.clone(),
        service: p.service.clone(),
        exposed: p.exposed,
        reads_cleartext: p.reads_cleartext,
        chain: p.chain.clone(),
    }
}

/// The facts of a matched party that differ; None when none does.
fn party_change(a: &PartyReport, b: &PartyReport) -> Option<PartyChange> {
    let mut c = Changes::default();
    c.field("name", &a.name.value, &b.name.value);
    c.field("vendor", &a.vendor, &b.vendor);
    c.field("role", &a.role, &b.role);
    c.field("incorporated", &a.incorporated.value, &b.incorporated.value);
    c.field("owners", &a.owners.value, &b.owners.value);
    c.field(
        "locations",
        &sorted(&a.locations.value),
        &sorted(&b.locations.value),
    );
    c.field(
        "access_locations",
        &sorted(&a.access_locations.value),
        &sorted(&b.access_locations.value),
    );
    c.field(
        "dpf_certified",
        &a.dpf_certified.value,
        &b.dpf_certified.value,
    );
    c.field(
        "dpf_status",
        &a.dpf.value.status.key(),
        &b.dpf.value.status.key(),
    );
    c.field("service", &a.service, &b.service);
    c.field("dpa", &a.dpa, &b.dpa);
    c.field("exposed", &a.exposed, &b.exposed);
    c.field("reads_cleartext", &a.reads_cleartext, &b.reads_cleartext);
    (!c.0.is_empty()).then(|| PartyChange {
        old_id: a.id.clone(),
        id: b.id.clone(),
        name: b.name.value.clone(),
        vendor: b.vendor.clone(),
        role: b.role,
        changes: c.0,
    })
}

/// The terms of a matched flow that differ; None when none does.
fn flow_change(a: &FlowRef, b: FlowRef) -> Option<FlowChange> {
    let mut c = Changes::default();
    c.field("access", &a.access, &b.access);
    c.field("key_holder", &a.key_holder, &b.key_holder);
    c.field("measures", &a.measures, &b.measures);
    c.field("data_categories", &a.data_categories, &b.data_categories);
    c.field("transfer_tool", &a.transfer_tool, &b.transfer_tool);
    c.field("third_countries", &a.third_countries, &b.third_countries);
    (!c.0.is_empty()).then(|| FlowChange {
        old_id: a.id.clone(),
        id: b.id,
        from: b.from,
        to: b.to,
        changes: c.0,
    })
}

fn exposure_ref(e: &ExposureReport) -> ExposureRef {
    ExposureRef {
        party: Named {
            id: e.party.clone(),
            name: e.party_name.clone(),
        },
        law: Named {
            id: e.law.clone(),
            name: e.law_name.clone(),
        },
        jurisdiction: e.jurisdiction.clone(),
        status: e.status,
        chain: e.chain.clone(),
        paths: e.connections.iter().map(|c| c.path.clone()).collect(),
    }
}

/// The last day to object for one processor: notice + objection days (the override first),
/// else the day before notice + change-notice days, when the change takes effect.
/// The parties a processor hands data to, directly or through others (itself included).
fn downstream<'m>(model: &'m Model, from: &'m str) -> BTreeSet<&'m str> {
    let mut seen: BTreeSet<&str> = BTreeSet::from([from]);
    let mut queue = vec![from];
    while let Some(at) = queue.pop() {
        for f in model.flows.iter().filter(|f| f.from == at) {
            if seen.insert(f.to.as_str()) {
                queue.push(f.to.as_str());
            }
        }
    }
    seen
}

fn deadline(
    p: &PartyReport,
    opts: &DiffOptions,
    notice_date: Option<NaiveDate>,
    changes: Vec<Named>,
) -> ObjectionDeadline {
    let objection_days = opts.objection_days.or(p.dpa.objection_days);
    let change_notice_days = p.dpa.change_notice_days;
    let basis = if notice_date.is_none() {
        DeadlineBasis::NoNoticeDate
    } else if opts.objection_days.is_some() {
        DeadlineBasis::Override
    } else if p.dpa.objection_days.is_some() {
        DeadlineBasis::ObjectionDays
    } else if change_notice_days.is_some() {
        DeadlineBasis::ChangeNoticeDays
    } else {
        DeadlineBasis::Unknown
    };
    let after = |days: u32| notice_date?.checked_add_days(Days::new(days.into()));
    let effective_date = change_notice_days.and_then(after);
    let last_day_to_object = match basis {
        DeadlineBasis::Override | DeadlineBasis::ObjectionDays => objection_days.and_then(after),
        DeadlineBasis::ChangeNoticeDays => effective_date.and_then(|d| d.pred_opt()),
        DeadlineBasis::Unknown | DeadlineBasis::NoNoticeDate => None,
    };
    ObjectionDeadline {
        party: Named {
            id: p.id.clone(),
            name: p.name.value.clone(),
        },
        notice_date,
        changes,
        objection_days,
        change_notice_days,
        effective_date,
        last_day_to_object,
        basis,
        passed: last_day_to_object.is_some_and(|d| d < today(opts)),
        terms_assumed: opts.objection_days.is_none()
            && !matches!(p.dpa_from, crate::model::FactSource::Model),
    }
}

/// The report's date: the given one, else today's.
fn today(opts: &DiffOptions) -> NaiveDate {
    opts.today
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}
