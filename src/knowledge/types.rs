//! The knowledge base's entry types. Every file under `knowledge/<kind>/` is a YAML list of one
//! kind of entry; unknown keys are load errors (`deny_unknown_fields`), so a misspelt field can
//! never silently change a judgement.

use crate::model::Access;
use crate::rules::Predicate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Text in the languages the users read: Swedish and English always, Danish where translated
/// (`knowledge check` lists the texts without it; a Danish document falls back to English, never
/// to Swedish).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub sv: String,
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub da: Option<String>,
}

impl Text {
    pub fn get(&self, lang: crate::model::Lang) -> &str {
        match lang {
            crate::model::Lang::Sv => &self.sv,
            crate::model::Lang::En => &self.en,
            crate::model::Lang::Da => self.da.as_deref().unwrap_or(&self.en),
        }
    }
}

/// A span of time a fact held: `from` inclusive, `until` exclusive (the first day it no longer
/// held). Either end may be open.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

impl Period {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| d >= f) && self.until.is_none_or(|u| d < u)
    }
}

/// A reference to an entry of `sources/`, with the place inside it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinpoint: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Version of the knowledge base, stored with every assessment.
    pub version: String,
    /// The date the knowledge base as a whole was last reviewed.
    pub as_of: NaiveDate,
    /// Entries whose `as_of` is older than this many days are reported as stale.
    pub stale_after_days: i64,
    pub title: Text,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    pub as_of: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
    /// False when what the entry relies on could not be checked against a source that was read
    /// (only a secondary report, or nothing); `uncertain` says what is open. Documents print
    /// such a source as not verified.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub verified: bool,
    /// What is not verified and would settle it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Whom an adequacy decision covers.
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
pub enum AdequacyScope {
    /// The whole country.
    Full,
    /// Commercial organisations only (e.g. Canada under PIPEDA).
    Commercial,
    /// Only organisations certified under the EU–US Data Privacy Framework.
    DpfCertified,
    /// Only organisations self-certified under the (invalidated) Privacy Shield.
    PrivacyShieldCertified,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adequacy {
    pub decision: String,
    pub scope: AdequacyScope,
    #[serde(flatten)]
    pub period: Period,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
    /// What may change it (a pending court case, a review).
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    /// ISO 3166-1 alpha-2 code.
    pub code: String,
    pub name: Text,
    /// Periods of EU membership.
    #[serde(default)]
    pub eu: Vec<Period>,
    /// Periods of EEA membership (EU members are EEA members; add the EFTA three here).
    #[serde(default)]
    pub eea: Vec<Period>,
    #[serde(default)]
    pub adequacy: Vec<Adequacy>,
    pub source: String,
    pub as_of: NaiveDate,
}

/// How a law gets at the data.
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
pub enum Mechanism {
    /// An order to a provider to hand over data in its possession, custody or control.
    CompelledDisclosure,
    /// Interception of data in transit (upstream collection).
    UpstreamInterception,
    /// An order to hand over decryption keys or decrypt.
    KeyDisclosure,
}

/// What connects an entity to a law.
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
pub enum Connection {
    /// The party is incorporated in the law's country.
    Incorporation,
    /// A parent above the profile's control threshold is incorporated there.
    Control,
    /// The party processes, stores or accesses the data there.
    Location,
    /// The data travel to the party across networks outside the EU/EEA (signals intelligence on
    /// data in transit and abroad: Schrems II paras 63, 183).
    Transit,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Law {
    pub id: String,
    pub name: Text,
    /// Short name used in explanation paths ("CLOUD Act §2713").
    pub short: String,
    pub jurisdiction: String,
    pub citation: String,
    pub mechanisms: Vec<Mechanism>,
    pub reach: Vec<Connection>,
    /// What makes an entity reachable, in words.
    pub reaches: Text,
    #[serde(default)]
    pub in_force: Vec<Period>,
    /// False where no court or adequacy decision has found the law to give guarantees
    /// essentially equivalent to EU law (see `assessment` for who assessed what).
    pub essentially_equivalent: bool,
    /// Who assessed the law and what they found (the CJEU in Schrems II, the Commission in the
    /// DPF decision, nobody): the finding text quotes this instead of claiming an assessment.
    #[serde(default)]
    pub assessment: Option<Text>,
    /// The law imposes a general duty to assist intelligence or security services (China's
    /// National Intelligence Law art. 7, Russia's SORM): no contract or transfer tool can
    /// override it.
    #[serde(default)]
    pub intelligence_duty: bool,
    /// Citations for the law beyond its own source (e.g. EDPB Guidelines 02/2024).
    #[serde(default)]
    pub citations: Vec<Citation>,
    #[serde(default)]
    pub uncertainty: Option<Text>,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
}

/// Properties of a data category that rules and DPIA criteria test.
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
pub enum CategoryFlag {
    /// GDPR art. 9 special category.
    Art9,
    /// GDPR art. 10 criminal convictions and offences.
    Art10,
    /// National identity number (art. 87; personnummer, CPR).
    NationalId,
    /// Persons with protected identity (skyddade personuppgifter).
    ProtectedIdentity,
    /// Data about children.
    Children,
    /// Data of a highly personal nature (WP248 criterion 4: financial, location, communications).
    HighlyPersonal,
    /// Free content users write (documents, chat, meetings): what is in it is up to each user.
    Unstructured,
    /// Data under secrecy (OSL) when the controller is a Swedish public body.
    Secrecy,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataCategory {
    pub id: String,
    pub name: Text,
    #[serde(default)]
    pub flags: Vec<CategoryFlag>,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSubject {
    pub id: String,
    pub name: Text,
    /// WP248 criterion 7: vulnerable data subjects (employees, children, patients…).
    #[serde(default)]
    pub vulnerable: bool,
    /// Children (WP248 criterion 7; GDPR recital 38): raises the `children` data flag.
    #[serde(default)]
    pub children: bool,
    /// Data about the workforce collected in the employment context ("HR data"): the DPF
    /// covers them only when the recipient's listing includes HR data.
    #[serde(default)]
    pub hr: bool,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
}

/// How the engine decides that a WP248 criterion is met.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CriterionTest {
    /// Declared by the model in `processing.dpia_criteria`.
    Declared,
    /// Met when a data category has one of `flags`.
    CategoryFlags,
    /// Met when the number of data subjects reaches the profile's large-scale threshold.
    LargeScale,
    /// Met when a data subject category is vulnerable.
    VulnerableSubjects,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DpiaCriterion {
    pub id: String,
    pub number: u8,
    pub name: Text,
    pub test: CriterionTest,
    #[serde(default)]
    pub flags: Vec<CategoryFlag>,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
}

/// An owner of an entity in the vendor catalogue, with the GLEIF details of the relationship
/// when it comes from a golden copy (`tia knowledge import-gleif`).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorOwner {
    pub vendor: String,
    /// Share of capital or votes, 0–1. GLEIF publishes no share: an accounting-consolidation
    /// parent controls the entity by definition and a head office is the same legal person as
    /// its branch, so both are written as 1.
    pub share: f64,
    /// The owner's LEI (Legal Entity Identifier, ISO 17442).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lei: Option<String>,
    /// What GLEIF says the link is: the direct or the ultimate accounting-consolidation parent,
    /// or the head office of an international branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<OwnerRelationship>,
    /// First day the relationship held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day the relationship held: from the day after, the owner is not a current owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// How far the managing LOU corroborated the relationship.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corroboration: Option<Corroboration>,
    /// `active` (default), `lapsed` (GLEIF: not renewed in time, so no longer verified) or
    /// `inactive` (GLEIF: ended or retired). Only an active relationship is a current owner;
    /// the others are kept as evidence and reported by `knowledge check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RelationshipState>,
}

impl VendorOwner {
    /// Whether the relationship counts as a current owner on `date`.
    pub fn current_on(&self, date: NaiveDate) -> bool {
        self.status.is_none_or(|s| s == RelationshipState::Active)
            && self.valid_from.is_none_or(|f| f <= date)
            && self.valid_to.is_none_or(|t| date <= t)
    }

    /// The period the relationship counts as current, or None when its status rules it out.
    pub fn period(&self) -> Option<Period> {
        if self.status.is_some_and(|s| s != RelationshipState::Active) {
            return None;
        }
        Some(Period {
            from: self.valid_from,
            until: self.valid_to.and_then(|t| t.succ_opt()),
        })
    }
}

/// GLEIF's relationship types that say who stands behind an entity.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnerRelationship {
    /// IS_DIRECTLY_CONSOLIDATED_BY.
    Direct,
    /// IS_ULTIMATELY_CONSOLIDATED_BY: counted only when no direct owner's chain reaches it.
    Ultimate,
    /// IS_INTERNATIONAL_BRANCH_OF: the owner is the head office, the same legal person.
    Branch,
}

/// GLEIF's corroboration levels of a relationship record (`Registration.ValidationSources`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Corroboration {
    FullyCorroborated,
    PartiallyCorroborated,
    EntitySuppliedOnly,
    Pending,
}

/// Whether a sourced relationship still holds.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipState {
    Active,
    /// Not renewed by its renewal date: it may still hold, but nobody re-checked it.
    Lapsed,
    /// Ended (GLEIF: RelationshipStatus INACTIVE or registration RETIRED).
    Inactive,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorDpa {
    #[serde(default)]
    pub change_notice_days: Option<u32>,
    #[serde(default)]
    pub objection_days: Option<u32>,
    #[serde(default)]
    pub negotiable: Option<bool>,
    #[serde(default)]
    pub unilateral_changes: Option<bool>,
}

/// The ownership of a catalogue entry as a source states it.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum VendorParents {
    /// `none` (`unknown` alone is refused at load: say why with `{ unknown: "…" }`).
    Keyword(OwnershipKeyword),
    /// `{ unknown: "why" }`: nobody has sourced the owners, and this is why (no register
    /// extract read, a GLEIF reporting exception…).
    Unknown(UnknownOwnership),
    Listed(Vec<VendorOwner>),
}

/// Ownership nobody has sourced, with the reason.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnknownOwnership {
    pub unknown: String,
}

impl Default for VendorParents {
    fn default() -> Self {
        VendorParents::Keyword(OwnershipKeyword::Unknown)
    }
}

impl VendorParents {
    /// The listed owners, current or not (none for `none` and `unknown`).
    pub fn owners(&self) -> &[VendorOwner] {
        match self {
            VendorParents::Listed(v) => v,
            VendorParents::Keyword(_) | VendorParents::Unknown(_) => &[],
        }
    }

    /// Whether the ownership is stated: owners listed (at least one still active), or `none`
    /// with a source.
    pub fn known(&self) -> bool {
        match self {
            VendorParents::Listed(v) => v
                .iter()
                .any(|o| o.status.is_none_or(|s| s == RelationshipState::Active)),
            VendorParents::Keyword(k) => *k == OwnershipKeyword::None,
            VendorParents::Unknown(_) => false,
        }
    }

    /// Why the ownership is unknown, when a source says so.
    pub fn unknown_reason(&self) -> Option<&str> {
        match self {
            VendorParents::Unknown(u) => Some(&u.unknown),
            _ => None,
        }
    }
}

/// What a source says about an entity's owners when it lists none.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipKeyword {
    /// A source says no entity controls it (widely held, founder-owned…).
    None,
    /// Nobody has sourced its owners.
    Unknown,
}

/// An organisation's entry on the Data Privacy Framework List, as read on a date.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DpfStatus {
    /// Listed and active: the DPF adequacy decision covers transfers to it (for the data its
    /// listing covers).
    Active,
    /// Listed as inactive (lapsed or withdrawn): no longer a DPF recipient.
    Inactive,
    /// Not on the list.
    NotListed,
    /// Nobody checked the list: neither certified nor not certified. Judged as not listed,
    /// and named as an unknown fact.
    Unknown,
}

impl DpfStatus {
    pub fn key(self) -> &'static str {
        match self {
            DpfStatus::Active => "active",
            DpfStatus::Inactive => "inactive",
            DpfStatus::NotListed => "not_listed",
            DpfStatus::Unknown => "unknown",
        }
    }
}

/// The kinds of data a DPF listing covers.
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
pub enum DpfData {
    /// Human-resources data: about employees, collected in the employment context.
    Hr,
    /// All other personal data.
    NonHr,
}

/// What the DPF List said about an organisation, when and where it was read.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DpfListing {
    pub status: DpfStatus,
    /// The day the list was read (required unless the status is `unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<NaiveDate>,
    /// The list page read (required unless the status is `unknown`, where it may name a lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The data the listing covers (required for `active`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<DpfData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl DpfListing {
    /// Nobody checked.
    pub fn unknown() -> Self {
        DpfListing {
            status: DpfStatus::Unknown,
            checked: None,
            page: None,
            covers: Vec::new(),
            note: None,
        }
    }

    /// Whether the listing is active and covers every kind of data in `needed`.
    pub fn covers_all(&self, needed: &[DpfData]) -> bool {
        self.status == DpfStatus::Active && needed.iter().all(|d| self.covers.contains(d))
    }
}

/// A legal entity in the vendor catalogue.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub incorporated: String,
    #[serde(default)]
    pub registration: Option<String>,
    /// `none` (a source says there is no controlling parent), `unknown`, or the owners.
    /// Omitted or an empty list means unknown: unknown is never read as "no foreign parent".
    #[serde(default)]
    pub parents: VendorParents,
    /// Where the ownership facts come from (required with `parents: none`); default `source`.
    #[serde(default)]
    pub ownership_source: Option<String>,
    #[serde(default)]
    pub ownership_pinpoint: Option<String>,
    /// The day the ownership was last known to be as stated. Default: the `ownership_source`
    /// entry's date (else its `as_of`); without an `ownership_source`, the entry's `as_of`.
    #[serde(default)]
    pub ownership_as_of: Option<NaiveDate>,
    /// The entity's LEI (Legal Entity Identifier, ISO 17442): a model party may name it with
    /// `lei:` instead of `vendor:`.
    #[serde(default)]
    pub lei: Option<String>,
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub access_locations: Vec<String>,
    /// The entity's entry on the DPF List as read on a date; omitted: nobody checked (unknown,
    /// judged as not listed).
    #[serde(default)]
    pub dpf: Option<DpfListing>,
    #[serde(default)]
    pub service: Option<String>,
    /// Whether the service must read the data in the clear to work (EDPB use case 6).
    #[serde(default)]
    pub needs_cleartext: Option<bool>,
    #[serde(default)]
    pub dpa: Option<VendorDpa>,
    /// Marks an EU/EEA-controlled provider a replacement option may propose.
    #[serde(default)]
    pub eu_alternative_for: Vec<String>,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

impl Vendor {
    /// The DPF List status as yes (active), no (inactive or not listed) or unknown (nobody
    /// checked).
    pub fn dpf_certified(&self) -> Option<bool> {
        match self.dpf.as_ref().map(|d| d.status) {
            Some(DpfStatus::Active) => Some(true),
            Some(DpfStatus::Inactive | DpfStatus::NotListed) => Some(false),
            Some(DpfStatus::Unknown) | None => None,
        }
    }
}

/// What a measure removes: a mechanism, optionally only for some kinds of access.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Removes {
    pub mechanism: Mechanism,
    #[serde(default)]
    pub access: Vec<Access>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasureLevel {
    /// Declared on a flow.
    Flow,
    /// Declared on the processing as a whole.
    Processing,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub id: String,
    pub name: Text,
    pub description: Text,
    pub level: MeasureLevel,
    /// EDPB Recommendations 01/2020 Annex 2 use case this measure is judged by.
    #[serde(default)]
    pub edpb_use_case: Option<u8>,
    /// Mechanisms of compelled access this measure makes ineffective.
    #[serde(default)]
    pub removes: Vec<Removes>,
    /// Reduces the consequences of access without removing it (STH-7).
    #[serde(default)]
    pub reduces_consequences: bool,
    pub source: String,
    #[serde(default)]
    pub pinpoint: Option<String>,
    pub as_of: NaiveDate,
}

/// What an option does to a copy of the graph. A closed set: each has code that applies it.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionAction {
    /// Introduce the service as modelled, accepting the risk (Stockholm course 1).
    AcceptRisk,
    /// Wait, monitor and re-evaluate (Stockholm course 2).
    WaitAndMonitor,
    /// Replace exposed parties with EU/EEA-controlled providers (Stockholm course 4).
    ReplaceWithEuProvider,
    /// Keep the processing on premises, with no external provider (Stockholm course 3/4).
    OnPremises,
    /// Encrypt with keys held only by the controller (EDPB use case 1).
    CustomerHeldKeys,
    /// Pseudonymise before handing over (EDPB use case 2).
    Pseudonymise,
    /// Stop sending the sensitive categories to exposed parties (STH-7).
    MinimiseCategories,
    /// Exclude persons with protected identity (STH-7).
    ExcludeProtectedIdentity,
    /// Inform the data subjects and let them opt out (STH-7).
    OptOut,
}

/// When an option makes sense (a closed set; each has code that tests it).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Applicability {
    /// The data subjects may choose whether to take part (`processing.participation: voluntary`).
    VoluntaryParticipation,
    /// Persons with protected identity are among the data (a category with that flag).
    ProtectedIdentityPresent,
    /// The model marks a category as not necessary for the purpose (`necessary: false`).
    UnnecessaryCategory,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    pub id: String,
    pub action: OptionAction,
    pub title: Text,
    pub description: Text,
    /// Lower is preferred when two options reach the same residual verdict.
    pub preference: u32,
    /// Which of Stockholm's four courses of action this corresponds to.
    #[serde(default)]
    pub course: Option<u8>,
    /// Conditions under which the option makes sense at all; when one fails the option is
    /// listed as not applicable with the condition's reason.
    #[serde(default)]
    pub applies_when: Vec<Applicability>,
    pub citations: Vec<Citation>,
    pub as_of: NaiveDate,
}

/// How a finding weighs on the verdict under a policy profile.
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
pub enum Effect {
    /// Informs; does not change the verdict.
    Inform,
    /// Acceptable only once the finding's measure is taken.
    Measures,
    /// Not acceptable.
    Blocking,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlThreshold {
    /// A single foreign holder above this share of capital or votes controls the entity.
    pub single: f64,
    /// Holders from one foreign country above this share together control the entity.
    pub combined: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub name: Text,
    pub description: Text,
    #[serde(default)]
    pub default: bool,
    pub control: ControlThreshold,
    /// Adequacy scopes this profile accepts as removing an exposure.
    pub trusted_adequacy: Vec<AdequacyScope>,
    /// Number of data subjects from which the processing counts as large scale (WP248 no. 5).
    pub large_scale_subjects: u64,
    /// Number of WP248 criteria from which a DPIA is required.
    pub dpia_min_criteria: usize,
    /// Months between re-evaluations of an assessment (EDPB Recommendations 01/2020, step 6:
    /// "at appropriate intervals"); none: the profile sets no interval, and the next review is
    /// unknown unless something changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_interval_months: Option<u32>,
    pub citations: Vec<Citation>,
    pub as_of: NaiveDate,
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
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

/// What a rule is evaluated over: one finding per matching subject.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Each (party, law) exposure.
    Exposure,
    /// Each flow.
    Flow,
    /// Each party.
    Party,
    /// The processing as a whole.
    Processing,
}

/// The three legal questions every finding answers (legal-review §1).
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
pub enum Question {
    /// GDPR Chapter V: which flows are transfers, and on which tool.
    ChapterV,
    /// Foreign access without a transfer: arts. 24, 28, 32, 48 with EDPB Guidelines 02/2024.
    ForeignAccess,
    /// National public law for public bodies (OSL, säkerhetsskydd; Danish law; the EUDPR).
    NationalLaw,
}

impl Question {
    pub const ALL: [Question; 3] = [
        Question::ChapterV,
        Question::ForeignAccess,
        Question::NationalLaw,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Question::ChapterV => "chapter_v",
            Question::ForeignAccess => "foreign_access",
            Question::NationalLaw => "national_law",
        }
    }
}

/// Whether a rule states the law or a policy profile's own line.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// What the law requires: judged on the law's own facts (the DPF is adequacy for listed
    /// recipients under every profile).
    Law,
    /// The profile's line, stricter than the law: judged through the adequacy the profile
    /// accepts, and worded as the profile's choice.
    Policy,
}

/// A legal question's definition: its title and the provisions it rests on.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionDef {
    pub id: Question,
    pub title: Text,
    /// What the question asks, in one sentence.
    pub asks: Text,
    pub citations: Vec<Citation>,
    pub as_of: NaiveDate,
}

/// The kind of controller, which decides the authority, the national-law question and the
/// default profile.
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
    Default,
)]
#[serde(rename_all = "snake_case")]
pub enum ControllerKind {
    /// A public authority or body (myndighet, kommun, region; kommune, region, styrelse).
    PublicBody,
    /// A company or other private organisation.
    #[default]
    Company,
    /// An EU institution, body, office or agency (Regulation (EU) 2018/1725, the EUDPR).
    EuInstitution,
}

/// A supervisory authority and the jurisdiction it stands for.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    pub id: String,
    pub name: Text,
    /// Short name used in sentences ("IMY", "Datatilsynet", "EDPS").
    pub short: String,
    /// Controllers established in these countries answer to it (empty: any EU/EEA country
    /// without an authority of its own here).
    #[serde(default)]
    pub countries: Vec<String>,
    /// The kinds of controller it supervises.
    pub kinds: Vec<ControllerKind>,
    /// The data protection law that applies: `gdpr` or `eudpr`.
    pub regime: String,
    /// The language its controllers read first (memo default, when tia has it).
    pub language: String,
    /// The default policy profile per kind of controller.
    pub default_policy: BTreeMap<ControllerKind, String>,
    /// The national public law questions for public bodies, in words.
    #[serde(default)]
    pub national_law: Option<Text>,
    pub citations: Vec<Citation>,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// The legal question the finding answers.
    pub question: Question,
    /// Whether the rule states the law or the profile's policy.
    pub basis: Basis,
    pub title: Text,
    /// The finding's text; `{party}`, `{law}`, `{jurisdiction}`, `{flow}`, `{tool}`, `{categories}`
    /// and `{measures}` are filled in.
    pub text: Text,
    #[serde(default)]
    pub mitigation: Option<Text>,
    pub scope: Scope,
    pub severity: Severity,
    pub when: Predicate,
    /// Effect on the verdict per policy profile id; `default` for the others.
    pub effect: BTreeMap<String, Effect>,
    pub citations: Vec<Citation>,
    pub as_of: NaiveDate,
}

impl Rule {
    pub fn effect_under(&self, policy: &str) -> Effect {
        self.effect
            .get(policy)
            .or_else(|| self.effect.get("default"))
            .copied()
            .unwrap_or(Effect::Inform)
    }
}
