//! The model file as the user writes it (YAML or JSON, one schema). Plain data; `resolve` turns
//! it into the validated [`crate::model::Model`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A data-flow model: who the controller is, what it processes, which parties receive the data
/// and how.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelInput {
    /// Title, reference, memo language and policy profile.
    #[serde(default)]
    pub assessment: Option<AssessmentInput>,
    /// The controller (personuppgiftsansvarig) that hands the data over.
    #[serde(default)]
    pub controller: Option<ControllerInput>,
    /// What is processed, about whom, and why.
    #[serde(default)]
    pub processing: Option<ProcessingInput>,
    /// Processors and sub-processors (personuppgiftsbiträden och underbiträden).
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// Who hands which data to whom, and what the recipient can read.
    #[serde(default)]
    pub flows: Vec<FlowInput>,
    /// Optional quantitative estimate of foreign lawful access (shown, never deciding).
    #[serde(default)]
    pub risk_estimate: Option<RiskEstimateInput>,
    /// What the assessment takes for granted without a source, printed in the memo, e.g.
    /// "Supportärenden innehåller inga personuppgifter om elever".
    #[serde(default)]
    pub assumptions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    pub title: String,
    /// The controller's case or file number (diarienummer).
    #[serde(default)]
    pub reference: Option<String>,
    /// Language of the documents: sv, da or en (default: the controller's authority's).
    #[serde(default)]
    pub language: Option<Lang>,
    /// Policy profile id from knowledge/policies (default: the profile marked default).
    #[serde(default)]
    pub policy: Option<String>,
    /// Free text shown in the report's background.
    #[serde(default)]
    pub description: Option<String>,
    /// The day by which the assessment is next reviewed (EDPB Recommendations 01/2020, step 6:
    /// re-evaluate "at appropriate intervals"). The memo's decision names it and `tia
    /// portfolio` sorts by it; without it, the policy profile's interval, else unknown.
    #[serde(default)]
    pub next_review: Option<chrono::NaiveDate>,
}

/// Language of texts in reports.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Sv,
    En,
    Da,
}

impl Lang {
    /// The language's code as the model and the JSON write it: `sv`, `en` or `da`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
            Lang::Da => "da",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            "da" => Some(Lang::Da),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControllerInput {
    pub name: String,
    /// ISO 3166-1 alpha-2 country code of establishment, e.g. SE or DK. With `kind` it decides
    /// the supervisory authority, the national-law question, the default profile and language.
    pub country: String,
    /// public_body (myndighet, kommun, region; kommune), company, or eu_institution (EUDPR).
    #[serde(default)]
    pub kind: Option<crate::knowledge::ControllerKind>,
    /// Deprecated: write `kind: public_body`. Still read, with a warning.
    #[serde(default)]
    pub public_body: Option<bool>,
    #[serde(default)]
    pub org_number: Option<String>,
    /// The data protection officer (GDPR art. 37–39; art. 36(3)(d)).
    #[serde(default)]
    pub dpo: Option<ContactInput>,
    /// The organ that takes the decision, e.g. "Kommunstyrelsen", "Økonomiudvalget", "The
    /// Board". The memo's proposed decision is written in its name; when missing, a public
    /// body's memo shows a placeholder to fill in and a company's says "the board".
    #[serde(default)]
    pub decision_body: Option<String>,
    /// Who the decision tasks with carrying it out, e.g. "stadsdirektören",
    /// "kommunaldirektøren" (default: the administration).
    #[serde(default)]
    pub assignee: Option<String>,
    /// The day by which the assignee reports back (default: three months after the memo).
    #[serde(default)]
    pub report_back_by: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingInput {
    pub purpose: String,
    /// The legal basis in words (art. 6, and art. 9(2) for special categories), e.g. "art. 6.1 e
    /// GDPR och 2 kap. 2 § dataskyddslagen". The consultation pack's art. 35(7)(b) part.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Why the processing is necessary and proportionate to the purpose, and why less
    /// intrusive means do not suffice (art. 35(7)(b)).
    #[serde(default)]
    pub necessity: Option<String>,
    /// The means of processing (art. 36(3)(b)), in words.
    #[serde(default)]
    pub means: Option<String>,
    /// Data subject category ids from knowledge/data_subjects (employees, children, …).
    #[serde(default)]
    pub data_subjects: Vec<String>,
    /// Data category ids from knowledge/data_categories; `{ id: national_id, necessary: false }`
    /// marks a category the purpose does not need (the minimisation option then applies).
    #[serde(default)]
    pub data_categories: Vec<CategoryRef>,
    /// Whether the data subjects may choose to take part (`voluntary`) or not (`required`,
    /// e.g. payroll). The opt-out option applies only to voluntary processing.
    #[serde(default)]
    pub participation: Option<Participation>,
    #[serde(default)]
    pub scale: Option<ScaleInput>,
    /// WP248 criteria the engine cannot derive from the data (e.g. wp248-1 evaluation or scoring).
    #[serde(default)]
    pub dpia_criteria: Vec<String>,
    /// Processing-level measures in place (attribute_minimisation, exclude_protected_identity…).
    #[serde(default)]
    pub measures: Vec<String>,
}

/// A data category, by id or with whether the purpose needs it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CategoryRef {
    Id(String),
    Marked(MarkedCategory),
}

impl CategoryRef {
    pub fn id(&self) -> &str {
        match self {
            CategoryRef::Id(s) => s,
            CategoryRef::Marked(m) => &m.id,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkedCategory {
    pub id: String,
    /// False when the purpose does not need the category.
    #[serde(default = "yes")]
    pub necessary: bool,
}

fn yes() -> bool {
    true
}

/// Whether taking part is the data subject's choice.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Participation {
    Voluntary,
    Required,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleInput {
    /// Number of data subjects.
    #[serde(default)]
    pub subjects: Option<u64>,
    /// Override the large-scale judgement (WP248 criterion 5).
    #[serde(default)]
    pub large_scale: Option<bool>,
}

/// Role of a party in the chain.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Processor,
    Subprocessor,
    /// A recipient that decides purposes and means itself (e.g. a provider using the data for
    /// its own business operations, an authority receiving a disclosure).
    Controller,
    /// Decides purposes and means together with the controller (art. 26).
    JointController,
    /// Any other recipient (art. 4(9)), neither processor nor controller of this processing.
    Recipient,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// Id used in flows; unique in the model.
    pub id: String,
    /// Legal name; taken from the vendor catalogue when omitted.
    #[serde(default)]
    pub name: Option<String>,
    /// Vendor catalogue id: supplies incorporation, owners, locations and DPF status, each of
    /// which the model may override.
    #[serde(default)]
    pub vendor: Option<String>,
    /// The party's LEI (20 characters), instead of `vendor:`: the catalogue entry with this
    /// LEI supplies the facts (`tia knowledge import-gleif` writes such entries from GLEIF).
    #[serde(default)]
    pub lei: Option<String>,
    pub role: Role,
    /// Country of incorporation (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub incorporated: Option<String>,
    /// Direct owners, each possibly with owners of its own; `none` when a source says nobody
    /// controls the party, `unknown` when nobody has checked. Omitted: the catalogue's, else
    /// unknown — unknown ownership is a finding, never read as "no foreign parent".
    #[serde(default)]
    pub parents: Option<OwnersInput>,
    /// Where the ownership facts come from (business register extract, annual report…).
    #[serde(default)]
    pub ownership_source: Option<String>,
    /// Countries where the party processes or stores the data.
    #[serde(default)]
    pub locations: Option<Vec<String>>,
    /// Countries from which the party's staff or tools can access the data (support, operations).
    #[serde(default)]
    pub access_locations: Option<Vec<String>>,
    /// Listed as active on the EU–US Data Privacy Framework List, for every kind of data
    /// (`true`), or not listed (`false`): the model's own statement, e.g. after reading the
    /// list. Omitted: the catalogue's `dpf` status, else unknown (judged as not listed).
    #[serde(default)]
    pub dpf_certified: Option<bool>,
    /// Whether the service must read the data in the clear to work (default: true when it
    /// receives cleartext).
    #[serde(default)]
    pub needs_cleartext: Option<bool>,
    /// What the party does, in words.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub dpa: Option<DpaInput>,
    /// Vendor ids of EU/EEA-controlled providers that could replace this party.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// The day the processor announced this party as a new or changed sub-processor. `tia diff`
    /// counts the objection period from it, one deadline per announcement (else from
    /// `--notice-date`).
    #[serde(default)]
    pub announced: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerInput {
    /// Vendor catalogue id of the owner (brings its own owners along).
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Country of incorporation of the owner.
    #[serde(default)]
    pub country: Option<String>,
    /// Share of capital or votes, from 0 to 1.
    pub share: f64,
    #[serde(default)]
    pub dpf_certified: Option<bool>,
    /// The owner's own owners, `none` or `unknown` (omitted: the catalogue's for a vendor,
    /// else unknown).
    #[serde(default)]
    pub parents: Option<OwnersInput>,
}

/// Owners as a list, or a word saying there are none or that nobody knows.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OwnersInput {
    Keyword(crate::knowledge::OwnershipKeyword),
    Listed(Vec<OwnerInput>),
}

/// Terms of the data processing agreement (PuB-avtal) that the engine reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DpaInput {
    /// Days of notice before a sub-processor change.
    #[serde(default)]
    pub change_notice_days: Option<u32>,
    /// Days the controller has to object after notice.
    #[serde(default)]
    pub objection_days: Option<u32>,
    /// Whether the controller could negotiate the terms.
    #[serde(default)]
    pub negotiable: Option<bool>,
    /// Whether the provider may change the terms on its own (STH-6).
    #[serde(default)]
    pub unilateral_changes: Option<bool>,
    /// Third-country transfers only on documented instruction (Danish standard clauses C.6).
    #[serde(default)]
    pub third_country_instruction: Option<bool>,
    /// Audit evidence offered (ISAE 3402, ISAE 3000, ISO 27001…).
    #[serde(default)]
    pub audit: Vec<String>,
    #[serde(default)]
    pub deletion_days: Option<u32>,
    #[serde(default)]
    pub backup_deletion_days: Option<u32>,
    #[serde(default)]
    pub breach_notice_hours: Option<u32>,
    /// Where the terms are (document, version, annex).
    #[serde(default)]
    pub reference: Option<String>,
}

/// What the recipient of a flow can do with the data.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The recipient processes the data in the clear.
    Cleartext,
    /// The recipient's staff or tools can reach the data in the clear remotely (support).
    RemoteAccess,
    /// The recipient stores encrypted data; `key_holder` says who can decrypt.
    StorageEncrypted,
    /// The data only passes through the recipient's network.
    TransitOnly,
    /// The recipient gets pseudonymised or split data; `key_holder` says who holds what
    /// re-identifies them (EDPB Recommendations 01/2020 use cases 2 and 5).
    Pseudonymised,
}

/// Who holds the keys that decrypt the flow's data.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum KeyHolder {
    /// Only the controller (customer-held keys).
    Controller,
    /// The sending processor, not the recipient.
    Processor,
    /// The recipient itself.
    Provider,
    /// Nobody can decrypt (e.g. hashed or discarded keys).
    None,
}

/// GDPR Chapter V transfer tools.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum TransferTool {
    /// No tool.
    None,
    /// Art. 45 adequacy decision for the destination country.
    Adequacy,
    /// Art. 45: EU–US Data Privacy Framework (Decision 2023/1795), certified importers only.
    Dpf,
    /// Art. 45: the EU–US Privacy Shield (invalid since 16 July 2020).
    PrivacyShield,
    /// Art. 46(2)(c) Standard Contractual Clauses.
    Scc,
    /// Art. 47 Binding Corporate Rules.
    Bcr,
    /// Art. 49 derogation.
    Derogation,
}

/// A transfer tool, alone or with the dates it was relied on.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ToolEntry {
    Tool(TransferTool),
    Dated(DatedTool),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatedTool {
    pub tool: TransferTool,
    /// First day the tool was relied on.
    #[serde(default)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day the tool was relied on.
    #[serde(default)]
    pub until: Option<chrono::NaiveDate>,
}

/// One tool or several in order of preference (`[dpf, scc]`: DPF, with SCCs as fall-back).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowInput {
    /// Id for findings; default `from->to`.
    #[serde(default)]
    pub id: Option<String>,
    /// `controller` or a party id.
    pub from: String,
    /// A party id.
    pub to: String,
    /// Data category ids; default: every category that reaches `from`.
    #[serde(default)]
    pub data_categories: Option<Vec<String>>,
    pub access: Access,
    /// Who can decrypt; default: the recipient (`provider`).
    #[serde(default)]
    pub key_holder: Option<KeyHolder>,
    /// Flow-level measure ids from knowledge/measures.
    #[serde(default)]
    pub measures: Vec<String>,
    /// The Chapter V tool(s) relied on, in order; inferred when omitted; `none` says no tool
    /// is documented. A tool valid only for a time: `{ tool: scc, until: 2023-07-09 }`
    /// (`until` is the last day it was relied on).
    #[serde(default)]
    pub transfer_tool: Option<OneOrMany<ToolEntry>>,
    #[serde(default)]
    pub purpose: Option<String>,
}

/// Rosenthal-style estimate: per law, factors whose product is the yearly probability of
/// lawful access; combined over the horizon.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskEstimateInput {
    pub horizon_years: f64,
    pub laws: Vec<LawEstimateInput>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LawEstimateInput {
    /// Law id from knowledge/laws.
    pub law: String,
    pub factors: Vec<FactorInput>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorInput {
    pub name: String,
    /// Probability from 0 to 1.
    pub probability: f64,
}
