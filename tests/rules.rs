//! Every rule in knowledge/rules fires in one test and stays silent in another.
//!
//! Each pair of tests differs in the one fact the rule is about. The models are small inline
//! YAML files with parties described inline (not through the vendor catalogue), so the tests do
//! not move when the catalogue does. Every test fixes `as_of` and `today`.
//!
//! `TABLE` at the bottom maps each rule id to its two tests.
//! `the_table_covers_exactly_the_rules_in_the_knowledge_base` fails when a rule is added to
//! knowledge/rules without tests. `each_table_entry_checks_the_rule_it_is_listed_under` fails
//! when an entry points at tests that check another rule.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::OnceLock;

use tia::knowledge::{Basis, Effect, Question};
use tia::model::TransferTool;
use tia::{assess, load_model, AssessOptions, Knowledge, Report, Verdict};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const SE_PUBLIC: &str = "se-public-sector";
const BASELINE: &str = "gdpr-baseline";
const AS_OF: &str = "2026-11-01";
const TODAY: &str = "2026-11-21";

fn kb() -> &'static Knowledge {
    static KB: OnceLock<Knowledge> = OnceLock::new();
    KB.get_or_init(|| Knowledge::embedded().expect("the embedded knowledge base loads"))
}

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().expect("a YYYY-MM-DD date")
}

/// A small model plus the profile and date to judge it under.
#[derive(Clone)]
struct Scenario {
    policy: &'static str,
    as_of: &'static str,
    public_body: bool,
    /// The controller's country.
    country: &'static str,
    /// The controller's kind, overriding `public_body`.
    kind: Option<&'static str>,
    subjects: &'static str,
    categories: &'static str,
    processing: Vec<String>,
    parties: Vec<String>,
    flows: Vec<String>,
    tail: Vec<String>,
}

/// A controller (a Swedish company, not a public body) processing customers' contact data,
/// with no parties yet, judged under `gdpr-baseline` on 2026-11-01.
fn model() -> Scenario {
    Scenario {
        policy: BASELINE,
        as_of: AS_OF,
        public_body: false,
        country: "SE",
        kind: None,
        subjects: "[customers]",
        categories: "[contact]",
        processing: Vec::new(),
        parties: Vec::new(),
        flows: Vec::new(),
        tail: Vec::new(),
    }
}

impl Scenario {
    fn policy(mut self, p: &'static str) -> Self {
        self.policy = p;
        self
    }
    /// Judge the facts as they stood on this date (`as_of`).
    fn on(mut self, d: &'static str) -> Self {
        self.as_of = d;
        self
    }
    fn public_body(mut self, b: bool) -> Self {
        self.public_body = b;
        self
    }
    fn subjects(mut self, s: &'static str) -> Self {
        self.subjects = s;
        self
    }
    fn categories(mut self, c: &'static str) -> Self {
        self.categories = c;
        self
    }
    /// An extra line under `processing:`, e.g. `measures: [opt_out]`.
    fn processing(mut self, line: &str) -> Self {
        self.processing.push(line.to_string());
        self
    }
    /// A party in YAML flow style: `{ id: acme, role: processor, incorporated: US, … }`.
    fn party(mut self, p: &str) -> Self {
        self.parties.push(p.to_string());
        self
    }
    /// A flow in YAML flow style: `{ from: controller, to: acme, access: cleartext }`.
    fn flow(mut self, f: &str) -> Self {
        self.flows.push(f.to_string());
        self
    }
    /// Top-level YAML appended as is (e.g. a `risk_estimate:` block).
    fn tail(mut self, yaml: &str) -> Self {
        self.tail.push(yaml.to_string());
        self
    }

    fn yaml(&self) -> String {
        let mut y = String::new();
        y.push_str("assessment: { title: Rule test, language: en }\n");
        y.push_str(&format!(
            "controller: {{ name: Exempel AB, country: {}, kind: {} }}\n",
            self.country,
            self.kind.unwrap_or(if self.public_body {
                "public_body"
            } else {
                "company"
            })
        ));
        y.push_str("processing:\n  purpose: Testing one rule\n");
        y.push_str(&format!("  data_subjects: {}\n", self.subjects));
        y.push_str(&format!("  data_categories: {}\n", self.categories));
        for l in &self.processing {
            y.push_str(&format!("  {l}\n"));
        }
        let list = |name: &str, items: &[String], y: &mut String| {
            if items.is_empty() {
                y.push_str(&format!("{name}: []\n"));
            } else {
                y.push_str(&format!("{name}:\n"));
                for i in items {
                    y.push_str(&format!("  - {i}\n"));
                }
            }
        };
        // Parties stated inline have no owners unless the test says so (`parents: …`), so that
        // UNKNOWN-OWNERSHIP fires only in the tests about it.
        let parties: Vec<String> = self
            .parties
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let Some(rest) = p.strip_prefix('{') {
                    if !p.contains("parents") {
                        p = format!("{{ parents: none,{rest}");
                    }
                }
                // Processors' DPAs state the sub-processor terms unless the test is about them.
                if let Some(rest) = p.strip_prefix('{') {
                    if !p.contains("dpa:") && p.contains("role: processor") {
                        p = format!(
                            "{{ dpa: {{ change_notice_days: 30, objection_days: 14 }},{rest}"
                        );
                    }
                }
                p
            })
            .collect();
        list("parties", &parties, &mut y);
        list("flows", &self.flows, &mut y);
        for t in &self.tail {
            y.push_str(t);
            if !t.ends_with('\n') {
                y.push('\n');
            }
        }
        y
    }

    fn run(&self) -> Report {
        let yaml = self.yaml();
        let model = load_model(&yaml, "test.yaml", kb())
            .unwrap_or_else(|e| panic!("the test model does not load: {e:?}\n{yaml}"));
        assess(
            &model,
            kb(),
            &AssessOptions {
                policy: Some(self.policy.to_string()),
                as_of: Some(date(self.as_of)),
                lang: None,
                today: Some(date(TODAY)),
            },
        )
        .unwrap_or_else(|e| panic!("assessment failed: {e:?}\n{yaml}"))
    }
}

thread_local! {
    /// (rule, expected to fire) for every `fires`/`silent` check made on this thread.
    static CHECKED: RefCell<Vec<(String, bool)>> = const { RefCell::new(Vec::new()) };
}

fn describe(report: &Report) -> String {
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    format!("verdict {:?}, findings {ids:#?}", report.verdict)
}

/// Asserts that `rule` fired on the scenario; returns the report for further checks.
fn fires(rule: &str, s: Scenario) -> Report {
    CHECKED.with(|c| c.borrow_mut().push((rule.to_string(), true)));
    let report = s.run();
    assert!(
        report.findings.iter().any(|f| f.rule == rule),
        "expected {rule} to fire, but it did not.\n{}\nmodel:\n{}",
        describe(&report),
        s.yaml()
    );
    report
}

/// Asserts that `rule` did not fire on the scenario; returns the report for further checks.
fn silent(rule: &str, s: Scenario) -> Report {
    CHECKED.with(|c| c.borrow_mut().push((rule.to_string(), false)));
    let report = s.run();
    let hits = finding_ids(&report, rule);
    assert!(
        hits.is_empty(),
        "expected {rule} to stay silent, but it fired: {hits:?}\n{}\nmodel:\n{}",
        describe(&report),
        s.yaml()
    );
    report
}

/// The ids of the findings of one rule, sorted.
fn finding_ids(report: &Report, rule: &str) -> Vec<String> {
    let mut v: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.id.clone())
        .collect();
    v.sort();
    v
}

fn effect_of(report: &Report, finding: &str) -> Effect {
    report
        .findings
        .iter()
        .find(|f| f.id == finding)
        .unwrap_or_else(|| panic!("no finding {finding}\n{}", describe(report)))
        .effect
}

// ---------------------------------------------------------------------------------------------
// Parties used by several tests
// ---------------------------------------------------------------------------------------------

/// A US company processing the data in the US, not DPF-certified.
const US_ACME: &str =
    "{ id: acme, name: Acme Inc, role: processor, incorporated: US, locations: [US] }";
/// The same company, certified under the EU–US Data Privacy Framework.
const US_ACME_DPF: &str = "{ id: acme, name: Acme Inc, role: processor, incorporated: US, locations: [US], dpf_certified: true }";
/// An Irish company wholly owned by a US parent, processing only in Ireland.
const EU_SUB_OF_US: &str = "{ id: acme-eu, name: Acme Europe Ltd, role: processor, incorporated: IE, locations: [IE], parents: [{ name: Acme Inc, country: US, share: 1, parents: none }] }";
/// The same Irish company without a parent.
const EU_STANDALONE: &str =
    "{ id: acme-eu, name: Acme Europe Ltd, role: processor, incorporated: IE, locations: [IE] }";
/// A Swedish company processing in Sweden.
const SE_HOST: &str =
    "{ id: host, name: Svensk Drift AB, role: processor, incorporated: SE, locations: [SE] }";

const TO_ACME_CLEAR: &str = "{ from: controller, to: acme, access: cleartext }";
const TO_ACME_CLEAR_SCC: &str =
    "{ from: controller, to: acme, access: cleartext, transfer_tool: scc }";

/// The US provider receiving cleartext under SCCs.
fn us_cleartext() -> Scenario {
    model().party(US_ACME).flow(TO_ACME_CLEAR_SCC)
}

// ---------------------------------------------------------------------------------------------
// Stockholm rules STH-1 … STH-9
// ---------------------------------------------------------------------------------------------

fn sth_1_model(access: &str) -> Scenario {
    model().policy(SE_PUBLIC).party(US_ACME).flow(&format!(
        "{{ from: controller, to: acme, {access}, transfer_tool: scc }}"
    ))
}

#[test]
fn sth_1_fires_for_us_provider_with_cleartext() {
    let r = fires("STH-1", sth_1_model("access: cleartext"));
    assert_eq!(finding_ids(&r, "STH-1"), ["STH-1@acme/fisa-702"]);
    assert_eq!(effect_of(&r, "STH-1@acme/fisa-702"), Effect::Blocking);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn sth_1_stays_silent_when_only_the_controller_holds_the_keys() {
    let r = silent(
        "STH-1",
        sth_1_model("access: storage_encrypted, key_holder: controller"),
    );
    // Still a transfer under SCCs, but nothing the provider can read.
    assert_eq!(r.verdict, Verdict::AcceptableWithMeasures);
}

#[test]
fn sth_1_fires_for_an_eu_subsidiary_controlled_from_the_us() {
    let r = fires(
        "STH-1",
        model()
            .policy(SE_PUBLIC)
            .party(EU_SUB_OF_US)
            .flow("{ from: controller, to: acme-eu, access: cleartext }"),
    );
    assert_eq!(finding_ids(&r, "STH-1"), ["STH-1@acme-eu/fisa-702"]);
}

#[test]
fn sth_1_only_informs_under_the_gdpr_baseline() {
    let r = fires("STH-1", us_cleartext().policy(BASELINE));
    assert_eq!(effect_of(&r, "STH-1@acme/fisa-702"), Effect::Inform);
}

#[test]
fn sth_1_stays_silent_for_a_dpf_certified_provider_under_the_gdpr_baseline() {
    // The baseline trusts DPF certification as adequacy: the exposure is covered, not effective.
    silent("STH-1", model().party(US_ACME_DPF).flow(TO_ACME_CLEAR));
}

#[test]
fn sth_1_fires_for_a_dpf_certified_provider_under_the_public_sector_profile() {
    // The public-sector profile does not count the DPF as protection.
    fires(
        "STH-1",
        model()
            .policy(SE_PUBLIC)
            .party(US_ACME_DPF)
            .flow(TO_ACME_CLEAR),
    );
}

fn sth_2_model(needs_cleartext: &str) -> Scenario {
    model()
        .party(&format!(
            "{{ id: acme, role: processor, incorporated: US, locations: [US]{needs_cleartext} }}"
        ))
        .flow(TO_ACME_CLEAR_SCC)
}

#[test]
fn sth_2_fires_when_an_exposed_service_must_read_the_data() {
    // needs_cleartext defaults to true for a party receiving cleartext.
    let r = fires("STH-2", sth_2_model(""));
    assert_eq!(finding_ids(&r, "STH-2"), ["STH-2@acme"]);
}

#[test]
fn sth_2_stays_silent_when_the_service_could_work_on_encrypted_data() {
    silent("STH-2", sth_2_model(", needs_cleartext: false"));
}

#[test]
fn sth_2_stays_silent_for_a_service_that_needs_cleartext_but_is_not_exposed() {
    silent(
        "STH-2",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], needs_cleartext: true }")
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
}

fn sth_3_model(party: &str) -> Scenario {
    model()
        .policy(SE_PUBLIC)
        .party(party)
        .flow("{ from: controller, to: acme-eu, access: cleartext }")
}

#[test]
fn sth_3_fires_for_eu_subsidiary_of_us_parent_with_data_only_in_the_eu() {
    let r = fires("STH-3", sth_3_model(EU_SUB_OF_US));
    assert_eq!(
        finding_ids(&r, "STH-3"),
        ["STH-3@acme-eu/cloud-act", "STH-3@acme-eu/fisa-702"]
    );
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn sth_3_stays_silent_for_the_same_subsidiary_without_a_parent() {
    let r = silent("STH-3", sth_3_model(EU_STANDALONE));
    assert!(r.exposures.is_empty());
    assert_eq!(r.verdict, Verdict::Acceptable);
}

#[test]
fn sth_3_stays_silent_when_the_us_company_also_processes_in_the_us() {
    // Not data-only-in-the-EEA: that is a transfer (STH-9, EDPB-UC6), not STH-3.
    silent(
        "STH-3",
        model()
            .policy(SE_PUBLIC)
            .party("{ id: acme, role: processor, incorporated: US, locations: [IE, US] }")
            .flow(TO_ACME_CLEAR_SCC),
    );
}

#[test]
fn sth_3_stays_silent_for_a_us_minority_owner_under_the_gdpr_baseline() {
    // 30 % is control under SecNumCloud (public-sector profile) but not from 50 % (baseline).
    let party = "{ id: acme-eu, role: processor, incorporated: IE, locations: [IE], parents: [{ name: Acme Inc, country: US, share: 0.3 }] }";
    fires("STH-3", sth_3_model(party));
    silent("STH-3", sth_3_model(party).policy(BASELINE));
}

#[test]
fn sth_3_fires_through_an_eu_holding_company_owned_from_the_us() {
    // Control is transitive: IE subsidiary ← NL holding ← US parent.
    let r = fires(
        "STH-3",
        sth_3_model("{ id: acme-eu, role: processor, incorporated: IE, locations: [IE], parents: [{ name: Acme Holding BV, country: NL, share: 1, parents: [{ name: Acme Inc, country: US, share: 1 }] }] }"),
    );
    assert_eq!(
        finding_ids(&r, "STH-3"),
        ["STH-3@acme-eu/cloud-act", "STH-3@acme-eu/fisa-702"]
    );
}

#[test]
fn sth_3_fires_for_foreign_minority_owners_that_together_pass_the_combined_threshold() {
    // SecNumCloud: 20 % + 20 % from outside the EEA is above the combined 39 %.
    let two = |share: &str| {
        format!("{{ id: acme-eu, role: processor, incorporated: IE, locations: [IE], parents: [{{ name: A, country: US, share: {share} }}, {{ name: B, country: US, share: {share} }}] }}")
    };
    fires("STH-3", sth_3_model(&two("0.2")));
    silent("STH-3", sth_3_model(&two("0.19")));
}

const RISK_ESTIMATE: &str = "\
risk_estimate:
  horizon_years: 5
  laws:
    - law: cloud-act
      factors: [{ name: a request is made, probability: 0.01 }]
";

#[test]
fn sth_4_fires_when_a_risk_estimate_is_given_and_a_party_is_exposed() {
    let r = fires("STH-4", us_cleartext().tail(RISK_ESTIMATE));
    assert_eq!(finding_ids(&r, "STH-4"), ["STH-4"]);
    assert!(r.quantitative_estimate.is_some());
}

#[test]
fn sth_4_stays_silent_without_a_risk_estimate() {
    silent("STH-4", us_cleartext());
}

#[test]
fn sth_4_stays_silent_for_a_risk_estimate_when_nothing_is_exposed() {
    silent(
        "STH-4",
        model()
            .party(SE_HOST)
            .flow("{ from: controller, to: host, access: cleartext }")
            .tail(RISK_ESTIMATE),
    );
}

#[test]
fn sth_5_fires_when_free_content_reaches_an_exposed_party() {
    let r = fires("STH-5", us_cleartext().categories("[contact, documents]"));
    assert_eq!(finding_ids(&r, "STH-5"), ["STH-5@acme"]);
}

#[test]
fn sth_5_stays_silent_for_structured_data_only() {
    silent("STH-5", us_cleartext().categories("[contact]"));
}

fn sth_6_model(dpa: &str) -> Scenario {
    model()
        .party(&format!(
            "{{ id: acme, role: processor, incorporated: US, locations: [US], dpa: {dpa} }}"
        ))
        .flow(TO_ACME_CLEAR_SCC)
}

#[test]
fn sth_6_fires_when_the_provider_may_change_the_terms_alone() {
    let r = fires("STH-6", sth_6_model("{ unilateral_changes: true }"));
    assert_eq!(finding_ids(&r, "STH-6"), ["STH-6@acme"]);
}

#[test]
fn sth_6_stays_silent_when_the_terms_cannot_change_unilaterally() {
    silent("STH-6", sth_6_model("{ unilateral_changes: false }"));
}

#[test]
fn sth_6_fires_when_the_terms_cannot_be_negotiated() {
    fires("STH-6", sth_6_model("{ negotiable: false }"));
}

#[test]
fn sth_6_stays_silent_for_unilateral_terms_of_a_party_that_is_not_exposed() {
    silent(
        "STH-6",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], dpa: { unilateral_changes: true } }")
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
}

#[test]
fn sth_7_fires_for_consequence_reducing_measures_beside_an_exposure() {
    let r = fires(
        "STH-7",
        us_cleartext().processing("measures: [attribute_minimisation]"),
    );
    assert_eq!(finding_ids(&r, "STH-7"), ["STH-7"]);
    // The measure reduces consequences; it removes no exposure.
    assert!(r.findings.iter().any(|f| f.id == "STH-1@acme/fisa-702"));
}

#[test]
fn sth_7_stays_silent_without_such_measures() {
    silent("STH-7", us_cleartext());
}

#[test]
fn sth_8_fires_when_a_dpia_is_required_and_a_provider_is_exposed() {
    let r = fires(
        "STH-8",
        us_cleartext()
            .policy(SE_PUBLIC)
            .subjects("[employees]")
            .categories("[contact, health]"),
    );
    assert_eq!(finding_ids(&r, "STH-8"), ["STH-8"]);
    assert!(r.dpia.required);
    assert!(r.prior_consultation_required);
}

#[test]
fn sth_8_stays_silent_when_no_dpia_is_required() {
    let r = silent(
        "STH-8",
        us_cleartext()
            .policy(SE_PUBLIC)
            .subjects("[customers]")
            .categories("[contact]"),
    );
    assert!(!r.dpia.required);
    assert!(!r.prior_consultation_required);
}

#[test]
fn sth_8_stays_silent_when_a_dpia_is_required_but_nobody_is_exposed() {
    silent(
        "STH-8",
        model()
            .subjects("[employees]")
            .categories("[contact, health]")
            .party(SE_HOST)
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
}

/// A Swiss company (Switzerland has a full adequacy decision and no law in the knowledge base)
/// processing in the given country; the flow declares no tool.
fn sth_9_model(location: &str) -> Scenario {
    model()
        .policy(SE_PUBLIC)
        .party(&format!(
            "{{ id: swiss, role: processor, incorporated: CH, locations: [{location}] }}"
        ))
        .flow("{ from: controller, to: swiss, access: cleartext }")
}

#[test]
fn sth_9_fires_for_cleartext_to_a_country_without_adequacy() {
    let r = fires("STH-9", sth_9_model("US"));
    assert_eq!(finding_ids(&r, "STH-9"), ["STH-9@controller->swiss"]);
    assert_eq!(effect_of(&r, "STH-9@controller->swiss"), Effect::Blocking);
}

#[test]
fn sth_9_stays_silent_for_cleartext_to_a_country_with_adequacy() {
    let r = silent("STH-9", sth_9_model("CH"));
    assert_eq!(r.transfers[0].effective, TransferTool::Adequacy);
    assert!(r.transfers[0].inferred);
    assert_eq!(r.verdict, Verdict::Acceptable);
}

#[test]
fn sth_9_fires_for_encrypted_storage_when_the_provider_holds_the_key() {
    fires(
        "STH-9",
        model().party(US_ACME).flow(
            "{ from: controller, to: acme, access: storage_encrypted, key_holder: provider, transfer_tool: scc }",
        ),
    );
}

#[test]
fn sth_9_stays_silent_for_encrypted_storage_when_the_controller_holds_the_key() {
    silent(
        "STH-9",
        model().party(US_ACME).flow(
            "{ from: controller, to: acme, access: storage_encrypted, key_holder: controller, transfer_tool: scc }",
        ),
    );
}

#[test]
fn sth_9_fires_for_remote_support_access_from_a_third_country() {
    fires(
        "STH-9",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], access_locations: [US] }")
            .flow("{ from: controller, to: host, access: remote_access, transfer_tool: scc }"),
    );
}

// ---------------------------------------------------------------------------------------------
// EDPB rules and other exposures
// ---------------------------------------------------------------------------------------------

fn exp_1_model(country: &str) -> Scenario {
    model()
        .policy(SE_PUBLIC)
        .party(&format!(
            "{{ id: acme, role: processor, incorporated: {country}, locations: [{country}] }}"
        ))
        .flow(TO_ACME_CLEAR_SCC)
}

#[test]
fn exp_1_fires_for_a_provider_under_a_non_equivalent_disclosure_law() {
    let r = fires("EXP-1", exp_1_model("IN"));
    // The DPDP Act s. 36 applies only from 2027.
    assert_eq!(finding_ids(&r, "EXP-1"), ["EXP-1@acme/in-it-act-69"]);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn exp_1_stays_silent_for_a_provider_under_an_essentially_equivalent_law() {
    // UK IPA 2016 reaches the party but was found essentially equivalent (and GB has adequacy).
    let r = silent("EXP-1", exp_1_model("GB"));
    assert!(r.exposures.iter().any(|e| e.law == "uk-ipa-2016"));
}

#[test]
fn exp_1_fires_for_the_indian_dpdp_act_once_it_applies() {
    let r = fires("EXP-1", exp_1_model("IN").on("2027-06-01"));
    assert_eq!(
        finding_ids(&r, "EXP-1"),
        ["EXP-1@acme/in-dpdp-36", "EXP-1@acme/in-it-act-69"]
    );
}

#[test]
fn exp_1_leaves_fisa_702_to_sth_1() {
    // A Swiss company processing in the US: FISA 702 (location) and EO 12333 (interception
    // only) reach it, the CLOUD Act (incorporation, control) does not.
    let r = silent(
        "EXP-1",
        model()
            .party("{ id: swiss, role: processor, incorporated: CH, locations: [US] }")
            .flow("{ from: controller, to: swiss, access: cleartext, transfer_tool: scc }"),
    );
    assert_eq!(finding_ids(&r, "STH-1"), ["STH-1@swiss/fisa-702"]);
}

#[test]
fn exp_1_fires_for_the_cloud_act_but_not_for_fisa_702() {
    let r = fires("EXP-1", us_cleartext());
    assert_eq!(finding_ids(&r, "EXP-1"), ["EXP-1@acme/cloud-act"]);
}

fn uc1_model(key_holder: &str) -> Scenario {
    model().party(US_ACME).flow(&format!(
        "{{ from: controller, to: acme, access: storage_encrypted, key_holder: {key_holder}, transfer_tool: scc }}"
    ))
}

#[test]
fn edpb_uc1_fires_for_encrypted_storage_with_keys_the_provider_lacks() {
    let r = fires("EDPB-UC1", uc1_model("controller"));
    assert_eq!(
        finding_ids(&r, "EDPB-UC1"),
        ["EDPB-UC1@acme/cloud-act", "EDPB-UC1@acme/fisa-702"]
    );
    assert!(!r.parties[0].exposed && !r.parties[0].reads_cleartext);
}

#[test]
fn edpb_uc1_stays_silent_when_the_provider_holds_the_keys() {
    let r = silent("EDPB-UC1", uc1_model("provider"));
    assert!(r.parties[0].exposed);
}

#[test]
fn edpb_uc1_fires_when_the_sending_processor_holds_the_keys() {
    fires(
        "EDPB-UC1",
        model()
            .party(SE_HOST)
            .party(US_ACME)
            .flow("{ from: controller, to: host, access: cleartext }")
            .flow("{ from: host, to: acme, access: storage_encrypted, key_holder: processor, transfer_tool: scc }"),
    );
}

fn uc2_model(measures: &str) -> Scenario {
    model().party(US_ACME).flow(&format!(
        "{{ from: controller, to: acme, access: cleartext, transfer_tool: scc, measures: {measures} }}"
    ))
}

#[test]
fn edpb_uc2_fires_for_a_pseudonymised_flow() {
    let r = fires("EDPB-UC2", uc2_model("[pseudonymisation]"));
    assert_eq!(finding_ids(&r, "EDPB-UC2"), ["EDPB-UC2@controller->acme"]);
    // Pseudonymisation removes every mechanism: the exposures are mitigated.
    assert!(r
        .exposures
        .iter()
        .all(|e| e.mitigated_by == ["pseudonymisation"]));
    assert!(finding_ids(&r, "STH-1").is_empty());
}

#[test]
fn edpb_uc2_stays_silent_without_pseudonymisation() {
    silent("EDPB-UC2", uc2_model("[]"));
}

/// A Danish network carrier that the data only pass through, encrypted, in the given country.
fn uc3_model(location: &str) -> Scenario {
    model()
        .party(&format!(
            "{{ id: carrier, role: subprocessor, incorporated: DK, locations: [{location}] }}"
        ))
        .flow("{ from: controller, to: carrier, access: transit_only, measures: [transport_encryption], transfer_tool: scc }")
}

#[test]
fn edpb_uc3_fires_for_encrypted_transit_through_a_third_country() {
    let r = fires("EDPB-UC3", uc3_model("US"));
    assert_eq!(
        finding_ids(&r, "EDPB-UC3"),
        ["EDPB-UC3@controller->carrier"]
    );
}

#[test]
fn edpb_uc3_stays_silent_when_the_transit_stays_in_the_eea() {
    silent("EDPB-UC3", uc3_model("DE"));
}

#[test]
fn edpb_uc3_stays_silent_for_transit_without_transport_encryption() {
    silent(
        "EDPB-UC3",
        model()
            .party("{ id: carrier, role: subprocessor, incorporated: DK, locations: [US] }")
            .flow("{ from: controller, to: carrier, access: transit_only, transfer_tool: scc }"),
    );
}

fn uc6_model(locations: &str) -> Scenario {
    model()
        .party(&format!(
            "{{ id: acme, role: processor, incorporated: US, locations: {locations} }}"
        ))
        .flow(TO_ACME_CLEAR_SCC)
}

#[test]
fn edpb_uc6_fires_for_cleartext_processing_in_a_third_country() {
    let r = fires("EDPB-UC6", uc6_model("[US]"));
    assert_eq!(finding_ids(&r, "EDPB-UC6"), ["EDPB-UC6@acme/fisa-702"]);
    assert_eq!(effect_of(&r, "EDPB-UC6@acme/fisa-702"), Effect::Blocking);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn edpb_uc6_stays_silent_when_the_same_company_processes_only_in_the_eu() {
    silent("EDPB-UC6", uc6_model("[IE]"));
}

#[test]
fn edpb_uc6_fires_for_support_access_from_a_third_country() {
    let r = fires(
        "EDPB-UC6",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], access_locations: [US] }")
            .flow("{ from: controller, to: host, access: cleartext, transfer_tool: scc }"),
    );
    assert_eq!(finding_ids(&r, "EDPB-UC6"), ["EDPB-UC6@host/fisa-702"]);
}

fn uc7_model(party: &str, tool: &str) -> Scenario {
    model().policy(SE_PUBLIC).party(party).flow(&format!(
        "{{ from: controller, to: acme, access: remote_access, transfer_tool: {tool} }}"
    ))
}

#[test]
fn edpb_uc7_fires_for_remote_cleartext_access_under_sccs() {
    let r = fires("EDPB-UC7", uc7_model(US_ACME, "scc"));
    assert_eq!(finding_ids(&r, "EDPB-UC7"), ["EDPB-UC7@controller->acme"]);
    assert_eq!(effect_of(&r, "EDPB-UC7@controller->acme"), Effect::Blocking);
}

#[test]
fn edpb_uc7_stays_silent_when_the_remote_access_rests_on_the_dpf() {
    let r = silent("EDPB-UC7", uc7_model(US_ACME_DPF, "dpf"));
    assert_eq!(r.transfers[0].effective, TransferTool::Dpf);
}

#[test]
fn edpb_uc7_stays_silent_for_remote_access_from_inside_the_eea() {
    silent(
        "EDPB-UC7",
        model()
            .party("{ id: acme, role: processor, incorporated: SE, locations: [SE], access_locations: [NO] }")
            .flow("{ from: controller, to: acme, access: remote_access, transfer_tool: scc }"),
    );
}

fn art28_model(party: &str) -> Scenario {
    model()
        .policy(BASELINE)
        .party(party)
        .flow("{ from: controller, to: acme-eu, access: cleartext }")
}

#[test]
fn art28_exposure_fires_for_eu_subsidiary_of_us_parent() {
    let r = fires("ART28-EXPOSURE", art28_model(EU_SUB_OF_US));
    assert_eq!(
        finding_ids(&r, "ART28-EXPOSURE"),
        [
            "ART28-EXPOSURE@acme-eu/cloud-act",
            "ART28-EXPOSURE@acme-eu/fisa-702"
        ]
    );
    assert_eq!(
        effect_of(&r, "ART28-EXPOSURE@acme-eu/cloud-act"),
        Effect::Measures
    );
    assert_eq!(r.verdict, Verdict::AcceptableWithMeasures);
}

#[test]
fn art28_exposure_stays_silent_for_the_same_subsidiary_without_a_parent() {
    let r = silent("ART28-EXPOSURE", art28_model(EU_STANDALONE));
    assert_eq!(r.verdict, Verdict::Acceptable);
}

#[test]
fn art28_exposure_fires_although_the_us_parent_is_dpf_certified() {
    // The DPF covers transfers to listed US organisations, not an EU subsidiary compelled
    // through its parent: the foreign-access question is never covered by the DPF.
    let r = fires(
        "ART28-EXPOSURE",
        art28_model("{ id: acme-eu, role: processor, incorporated: IE, locations: [IE], parents: [{ name: Acme Inc, country: US, share: 1, dpf_certified: true, parents: none }] }"),
    );
    let e = r
        .exposures
        .iter()
        .find(|e| e.law == "cloud-act")
        .expect("a CLOUD Act exposure");
    assert_eq!(e.status, tia::engine::ExposureStatus::Effective);
    assert!(e.connections.iter().all(|c| !c.covered_by_adequacy));
    assert_eq!(r.verdict, Verdict::AcceptableWithMeasures);
    assert_eq!(r.decided_by, [Question::ForeignAccess]);
}

#[test]
fn a_dpf_flag_on_the_parent_or_not_gives_the_same_verdict() {
    // Two providers with the same facts but for the parent's DPF flag get the same verdict.
    let with = |dpf: bool| {
        model()
            .party(&format!("{{ id: acme-eu, role: processor, incorporated: IE, locations: [IE], parents: [{{ name: Acme Inc, country: US, share: 1, dpf_certified: {dpf}, parents: none }}] }}"))
            .flow("{ from: controller, to: acme-eu, access: cleartext }")
            .categories("[contact, health]")
            .run()
    };
    let (a, b) = (with(true), with(false));
    assert_eq!(a.verdict, b.verdict);
    let ids = |r: &Report| r.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

#[test]
fn art28_exposure_fires_for_a_party_outside_the_eea_reached_through_its_us_parent() {
    // An Indian support affiliate of a US group: the transfer is to India; the US reach
    // through the parent is foreign access without a transfer to the US.
    let r = fires(
        "ART28-EXPOSURE",
        model()
            .party("{ id: acme-in, role: processor, incorporated: IN, locations: [IN], parents: [{ name: Acme Inc, country: US, share: 1, parents: none }] }")
            .flow("{ from: controller, to: acme-in, access: remote_access, transfer_tool: scc }"),
    );
    assert!(
        finding_ids(&r, "ART28-EXPOSURE").contains(&"ART28-EXPOSURE@acme-in/cloud-act".to_string())
    );
}

#[test]
fn risk_sensitive_fires_when_health_data_reach_an_exposed_party() {
    let r = fires(
        "RISK-SENSITIVE",
        us_cleartext().categories("[contact, health]"),
    );
    assert_eq!(
        finding_ids(&r, "RISK-SENSITIVE"),
        [
            "RISK-SENSITIVE@acme/cloud-act",
            "RISK-SENSITIVE@acme/eo-12333",
            "RISK-SENSITIVE@acme/fisa-702"
        ]
    );
    assert_eq!(
        effect_of(&r, "RISK-SENSITIVE@acme/fisa-702"),
        Effect::Measures
    );
}

#[test]
fn risk_sensitive_stays_silent_for_contact_data_only() {
    silent("RISK-SENSITIVE", us_cleartext().categories("[contact]"));
}

#[test]
fn risk_sensitive_fires_for_national_identity_numbers() {
    fires(
        "RISK-SENSITIVE",
        us_cleartext().categories("[contact, national_id]"),
    );
}

#[test]
fn risk_sensitive_stays_silent_when_the_sensitive_data_go_elsewhere() {
    // Health data go to a Swedish host; the US provider gets contact data only.
    silent(
        "RISK-SENSITIVE",
        model()
            .categories("[contact, health]")
            .party(SE_HOST)
            .party(US_ACME)
            .flow("{ from: controller, to: host, access: cleartext }")
            .flow("{ from: controller, to: acme, data_categories: [contact], access: cleartext, transfer_tool: scc }"),
    );
}

// ---------------------------------------------------------------------------------------------
// Chapter V
// ---------------------------------------------------------------------------------------------

fn ch5_model(party: &str, tool: &str) -> Scenario {
    let flow = if tool.is_empty() {
        TO_ACME_CLEAR.to_string()
    } else {
        format!("{{ from: controller, to: acme, access: cleartext, transfer_tool: {tool} }}")
    };
    model().party(party).flow(&flow)
}

#[test]
fn ch5_no_tool_fires_for_a_third_country_transfer_without_a_tool() {
    let r = fires("CH5-NO-TOOL", ch5_model(US_ACME, ""));
    assert_eq!(
        finding_ids(&r, "CH5-NO-TOOL"),
        ["CH5-NO-TOOL@controller->acme"]
    );
    assert_eq!(r.transfers[0].effective, TransferTool::None);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn ch5_no_tool_stays_silent_when_sccs_are_declared() {
    let r = silent("CH5-NO-TOOL", ch5_model(US_ACME, "scc"));
    assert_eq!(r.transfers[0].effective, TransferTool::Scc);
}

#[test]
fn ch5_no_tool_stays_silent_without_a_third_country() {
    silent(
        "CH5-NO-TOOL",
        model()
            .party(SE_HOST)
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
}

fn tool_invalid_model(as_of: &'static str) -> Scenario {
    ch5_model(US_ACME_DPF, "[dpf, scc]").on(as_of)
}

#[test]
fn ch5_tool_invalid_fires_for_the_dpf_before_it_entered_into_force() {
    let r = fires("CH5-TOOL-INVALID", tool_invalid_model("2023-01-01"));
    assert_eq!(
        finding_ids(&r, "CH5-TOOL-INVALID"),
        ["CH5-TOOL-INVALID@controller->acme"]
    );
    let t = &r.transfers[0];
    assert_eq!(t.invalid.len(), 1);
    assert_eq!(t.invalid[0].tool, TransferTool::Dpf);
    assert_eq!(t.effective, TransferTool::Scc);
}

#[test]
fn ch5_tool_invalid_stays_silent_for_the_dpf_once_in_force() {
    let r = silent("CH5-TOOL-INVALID", tool_invalid_model("2024-01-01"));
    assert_eq!(r.transfers[0].effective, TransferTool::Dpf);
}

#[test]
fn ch5_tool_invalid_fires_for_privacy_shield_after_schrems_ii() {
    let r = fires(
        "CH5-TOOL-INVALID",
        ch5_model(US_ACME_DPF, "[privacy_shield, scc]"),
    );
    assert_eq!(r.transfers[0].invalid[0].tool, TransferTool::PrivacyShield);
    assert_eq!(r.transfers[0].effective, TransferTool::Scc);
}

#[test]
fn ch5_tool_invalid_stays_silent_for_privacy_shield_while_it_was_in_force() {
    let r = silent(
        "CH5-TOOL-INVALID",
        ch5_model(US_ACME_DPF, "[privacy_shield, scc]").on("2019-01-01"),
    );
    assert_eq!(r.transfers[0].effective, TransferTool::PrivacyShield);
}

#[test]
fn ch5_tool_invalid_fires_for_the_dpf_declared_for_an_uncertified_importer() {
    let r = fires("CH5-TOOL-INVALID", ch5_model(US_ACME, "[dpf, scc]"));
    assert_eq!(r.transfers[0].effective, TransferTool::Scc);
}

#[test]
fn ch5_scc_tia_fires_for_a_transfer_under_sccs() {
    // A US importer that is not DPF-certified: no adequacy covers it, so SCCs need a TIA.
    let r = fires("CH5-SCC-TIA", ch5_model(US_ACME, "scc"));
    assert_eq!(
        finding_ids(&r, "CH5-SCC-TIA"),
        ["CH5-SCC-TIA@controller->acme"]
    );
    assert_eq!(
        effect_of(&r, "CH5-SCC-TIA@controller->acme"),
        Effect::Measures
    );
}

#[test]
fn ch5_scc_tia_stays_silent_when_the_destination_is_adequate_for_the_importer() {
    // SCCs declared, but the DPF-certified importer is covered by an adequacy decision.
    silent("CH5-SCC-TIA", ch5_model(US_ACME_DPF, "scc"));
}

#[test]
fn ch5_scc_tia_stays_silent_for_a_transfer_under_the_dpf() {
    silent("CH5-SCC-TIA", ch5_model(US_ACME_DPF, "dpf"));
}

#[test]
fn ch5_scc_tia_fires_for_binding_corporate_rules() {
    fires("CH5-SCC-TIA", ch5_model(US_ACME, "bcr"));
}

#[test]
fn ch5_scc_tia_stays_silent_for_sccs_without_a_third_country() {
    silent(
        "CH5-SCC-TIA",
        model()
            .party(SE_HOST)
            .flow("{ from: controller, to: host, access: cleartext, transfer_tool: scc }"),
    );
}

#[test]
fn ch5_dpf_fires_when_the_dpf_is_inferred_for_a_certified_importer() {
    let r = fires("CH5-DPF", ch5_model(US_ACME_DPF, ""));
    assert_eq!(finding_ids(&r, "CH5-DPF"), ["CH5-DPF@controller->acme"]);
    assert_eq!(r.transfers[0].effective, TransferTool::Dpf);
    assert!(r.transfers[0].inferred);
}

#[test]
fn ch5_dpf_stays_silent_for_an_importer_that_is_not_certified() {
    let r = silent("CH5-DPF", ch5_model(US_ACME, ""));
    assert_eq!(
        finding_ids(&r, "CH5-NO-TOOL"),
        ["CH5-NO-TOOL@controller->acme"]
    );
}

#[test]
fn dpf_unknown_fires_for_a_us_importer_whose_list_entry_nobody_checked() {
    let r = fires("DPF-UNKNOWN", ch5_model(US_ACME, ""));
    assert_eq!(
        finding_ids(&r, "DPF-UNKNOWN"),
        ["DPF-UNKNOWN@controller->acme"]
    );
    // It informs: the missing tool decides, exactly as for an importer that is not listed.
    assert_eq!(
        effect_of(&r, "DPF-UNKNOWN@controller->acme"),
        Effect::Inform
    );
    assert_eq!(r.transfers[0].effective, TransferTool::None);
    let not_listed = "{ id: acme, name: Acme Inc, role: processor, incorporated: US, locations: [US], dpf_certified: false }";
    assert_eq!(ch5_model(not_listed, "").run().verdict, r.verdict);
}

#[test]
fn dpf_unknown_stays_silent_when_the_model_states_the_importer_is_not_listed() {
    let not_listed = "{ id: acme, name: Acme Inc, role: processor, incorporated: US, locations: [US], dpf_certified: false }";
    let r = silent("DPF-UNKNOWN", ch5_model(not_listed, ""));
    assert_eq!(
        finding_ids(&r, "CH5-NO-TOOL"),
        ["CH5-NO-TOOL@controller->acme"]
    );
}

#[test]
fn ch5_derogation_fires_for_a_transfer_resting_on_art_49() {
    let r = fires("CH5-DEROGATION", ch5_model(US_ACME, "derogation"));
    assert_eq!(
        finding_ids(&r, "CH5-DEROGATION"),
        ["CH5-DEROGATION@controller->acme"]
    );
}

#[test]
fn ch5_derogation_stays_silent_for_a_transfer_under_sccs() {
    silent("CH5-DEROGATION", ch5_model(US_ACME, "scc"));
}

// ---------------------------------------------------------------------------------------------
// DPIA, secrecy and DPA terms
// ---------------------------------------------------------------------------------------------

fn dpia_model(subjects: &'static str, categories: &'static str) -> Scenario {
    model()
        .subjects(subjects)
        .categories(categories)
        .party(SE_HOST)
        .flow("{ from: controller, to: host, access: cleartext }")
}

#[test]
fn dpia_required_fires_for_employees_health_data() {
    let r = fires(
        "DPIA-REQUIRED",
        dpia_model("[employees]", "[contact, health]"),
    );
    assert_eq!(finding_ids(&r, "DPIA-REQUIRED"), ["DPIA-REQUIRED"]);
    let met: Vec<&str> = r.dpia.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(met, ["wp248-4", "wp248-7"]);
    // Nothing is exposed: a DPIA alone needs no prior consultation.
    assert!(!r.prior_consultation_required);
}

#[test]
fn dpia_required_stays_silent_for_customers_contact_data() {
    let r = silent("DPIA-REQUIRED", dpia_model("[customers]", "[contact]"));
    assert!(r.dpia.criteria.is_empty());
}

#[test]
fn dpia_required_stays_silent_for_a_single_criterion() {
    silent(
        "DPIA-REQUIRED",
        dpia_model("[customers]", "[contact, health]"),
    );
}

#[test]
fn dpia_required_fires_for_large_scale_with_a_declared_criterion() {
    fires(
        "DPIA-REQUIRED",
        dpia_model("[customers]", "[contact]")
            .processing("scale: { subjects: 10000 }")
            .processing("dpia_criteria: [wp248-1]"),
    );
    silent(
        "DPIA-REQUIRED",
        dpia_model("[customers]", "[contact]")
            .processing("scale: { subjects: 9999 }")
            .processing("dpia_criteria: [wp248-1]"),
    );
}

fn osl_model(public_body: bool) -> Scenario {
    us_cleartext()
        .policy(SE_PUBLIC)
        .public_body(public_body)
        .categories("[contact, documents]")
}

#[test]
fn osl_10_2a_fires_for_a_public_body_handing_documents_to_an_exposed_party() {
    let r = fires("OSL-10-2A", osl_model(true));
    assert_eq!(finding_ids(&r, "OSL-10-2A"), ["OSL-10-2A@acme"]);
    assert_eq!(effect_of(&r, "OSL-10-2A@acme"), Effect::Inform);
}

#[test]
fn osl_10_2a_stays_silent_for_a_private_controller() {
    silent("OSL-10-2A", osl_model(false));
}

#[test]
fn osl_10_2a_stays_silent_for_a_public_body_with_contact_data_only() {
    silent("OSL-10-2A", osl_model(true).categories("[contact]"));
}

#[test]
fn osl_10_2a_fires_for_every_outsourcing_of_secret_data_not_only_to_exposed_parties() {
    // The inappropriateness test applies to every outsourcing; foreign access is one factor.
    let r = fires(
        "OSL-10-2A",
        model()
            .public_body(true)
            .categories("[contact, documents]")
            .party(SE_HOST)
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
    assert_eq!(r.questions[2].findings, ["OSL-10-2A@host"]);
}

#[test]
fn osl_10_2a_stays_silent_for_a_danish_public_body() {
    let mut s = osl_model(true);
    s.country = "DK";
    silent("OSL-10-2A", s);
}

fn dpa_model(role: &str, dpa: &str) -> Scenario {
    model()
        .party(&format!(
            "{{ id: host, role: {role}, incorporated: SE, locations: [SE], dpa: {dpa} }}"
        ))
        .flow("{ from: controller, to: host, access: cleartext }")
}

#[test]
fn dpa_change_terms_fires_when_the_objection_period_is_missing() {
    let r = fires(
        "DPA-CHANGE-TERMS",
        dpa_model("processor", "{ change_notice_days: 30 }"),
    );
    assert_eq!(
        finding_ids(&r, "DPA-CHANGE-TERMS"),
        ["DPA-CHANGE-TERMS@host"]
    );
    // Unknown terms are not assumed absent, and not assumed fine either.
    assert_eq!(effect_of(&r, "DPA-CHANGE-TERMS@host"), Effect::Measures);
    assert_eq!(r.verdict, Verdict::AcceptableWithMeasures);
}

#[test]
fn dpa_change_terms_stays_silent_when_notice_and_objection_periods_are_set() {
    silent(
        "DPA-CHANGE-TERMS",
        dpa_model(
            "processor",
            "{ change_notice_days: 30, objection_days: 14 }",
        ),
    );
}

#[test]
fn dpa_change_terms_fires_when_the_dpa_states_nothing() {
    fires("DPA-CHANGE-TERMS", dpa_model("processor", "{}"));
}

#[test]
fn dpa_change_terms_stays_silent_for_a_subprocessor() {
    silent("DPA-CHANGE-TERMS", dpa_model("subprocessor", "{}"));
}

// ---------------------------------------------------------------------------------------------
// Principles of the December 2026 review: sensitive data under the DPF, intelligence duties,
// pseudonymised data, unknown ownership, the profile's DPF line, national public law
// ---------------------------------------------------------------------------------------------

/// A US video service on the DPF list that reads health data in the clear.
fn dpf_health() -> Scenario {
    model()
        .subjects("[patients]")
        .categories("[contact, health]")
        .party(US_ACME_DPF)
        .flow("{ from: controller, to: acme, access: cleartext }")
}

#[test]
fn risk_sensitive_fires_for_health_data_at_a_dpf_listed_processor_under_the_baseline() {
    // The DPF settles Chapter V; it does not make art. 9 data low risk.
    let r = fires("RISK-SENSITIVE", dpf_health());
    assert_eq!(r.transfers[0].effective, TransferTool::Dpf);
    assert_eq!(
        effect_of(&r, "RISK-SENSITIVE@acme/fisa-702"),
        Effect::Measures
    );
    assert_ne!(r.verdict, Verdict::Acceptable);
    assert!(r.dpia.required);
    let q = &r.questions[0];
    assert_eq!(q.id, Question::ChapterV);
    assert_eq!(
        q.conclusion,
        Verdict::Acceptable,
        "the DPF answers Chapter V"
    );
}

#[test]
fn risk_sensitive_is_high_risk_under_every_profile() {
    for policy in [SE_PUBLIC, BASELINE, "dk-public-sector", "eu-institution"] {
        let r = fires("RISK-SENSITIVE", dpf_health().policy(policy));
        assert_ne!(r.verdict, Verdict::Acceptable, "{policy}");
    }
}

/// An EEA subsidiary of a Chinese parent, data only in the EEA.
fn cn_parent(access: &str) -> Scenario {
    model()
        .party("{ id: acme-eu, role: processor, incorporated: NL, locations: [NL], parents: [{ name: Acme Holdings, country: CN, share: 1, parents: none }] }")
        .flow(&format!("{{ from: controller, to: acme-eu, access: {access}, key_holder: controller }}"))
}

#[test]
fn intel_duty_blocks_a_chinese_controlled_processor_under_every_profile() {
    for policy in [SE_PUBLIC, BASELINE, "dk-public-sector", "eu-institution"] {
        let r = fires("INTEL-DUTY", cn_parent("cleartext").policy(policy));
        assert!(finding_ids(&r, "INTEL-DUTY").contains(&"INTEL-DUTY@acme-eu/cn-nil".to_string()));
        assert_eq!(r.verdict, Verdict::NotAcceptable, "{policy}");
        assert!(r.decided_by.contains(&Question::ForeignAccess));
    }
}

#[test]
fn intel_duty_stays_silent_when_the_party_holds_only_data_it_cannot_read() {
    let r = silent("INTEL-DUTY", cn_parent("storage_encrypted"));
    assert_eq!(r.verdict, Verdict::Acceptable);
}

/// Pseudonymised research data to a US university without DPF certification.
fn pseudonymised(key_holder: &str) -> Scenario {
    model()
        .policy(SE_PUBLIC)
        .subjects("[research_participants]")
        .categories("[health]")
        .party("{ id: uni, role: recipient, incorporated: US, locations: [US] }")
        .flow(&format!("{{ from: controller, to: uni, access: pseudonymised, key_holder: {key_holder}, transfer_tool: scc }}"))
}

#[test]
fn pseudonymised_data_with_the_key_at_the_controller_are_not_a_cleartext_transfer() {
    let r = silent("STH-9", pseudonymised("controller"));
    assert!(!finding_ids(&r, "EDPB-UC2").is_empty());
    assert!(
        r.findings.iter().all(|f| f.effect != Effect::Blocking),
        "{}",
        describe(&r)
    );
    assert_ne!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn pseudonymised_data_whose_key_the_recipient_holds_are_cleartext() {
    let r = fires("STH-9", pseudonymised("provider"));
    assert_eq!(r.verdict, Verdict::NotAcceptable);
}

#[test]
fn unknown_ownership_fires_for_a_party_that_reads_without_stated_owners() {
    let r = fires(
        "UNKNOWN-OWNERSHIP",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], parents: unknown }")
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
    assert_eq!(effect_of(&r, "UNKNOWN-OWNERSHIP@host"), Effect::Measures);
    assert_eq!(r.verdict, Verdict::AcceptableWithMeasures);
    assert!(!r.parties[0].owners_known);
}

#[test]
fn unknown_ownership_fires_when_an_owner_is_named_but_its_owners_are_not() {
    fires(
        "UNKNOWN-OWNERSHIP",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], parents: [{ name: Holding AB, country: SE, share: 1 }] }")
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
}

#[test]
fn unknown_ownership_stays_silent_when_a_source_says_there_is_no_parent() {
    let r = silent(
        "UNKNOWN-OWNERSHIP",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], parents: none, ownership_source: Bolagsverket 2026-11-30 }")
            .flow("{ from: controller, to: host, access: cleartext }"),
    );
    assert_eq!(r.verdict, Verdict::Acceptable);
}

#[test]
fn unknown_ownership_stays_silent_for_a_party_that_cannot_read_the_data() {
    silent(
        "UNKNOWN-OWNERSHIP",
        model()
            .party("{ id: host, role: processor, incorporated: SE, locations: [SE], parents: unknown }")
            .flow("{ from: controller, to: host, access: storage_encrypted, key_holder: controller }"),
    );
}

#[test]
fn profile_dpf_says_the_refusal_is_the_profiles_policy() {
    let r = fires(
        "PROFILE-DPF",
        model()
            .policy(SE_PUBLIC)
            .party(US_ACME_DPF)
            .flow(TO_ACME_CLEAR),
    );
    let f = r.findings.iter().find(|f| f.rule == "PROFILE-DPF").unwrap();
    assert_eq!(f.basis, Basis::Policy);
    // STH-9 blocks as the profile's policy and does not claim the US lacks adequacy.
    let sth9 = r
        .findings
        .iter()
        .find(|f| f.rule == "STH-9")
        .expect("STH-9 fires");
    assert_eq!(sth9.basis, Basis::Policy);
    assert!(
        sth9.explanation.contains("does not accept it"),
        "{}",
        sth9.explanation
    );
    assert!(
        !sth9.explanation.contains("has no adequacy"),
        "{}",
        sth9.explanation
    );
}

#[test]
fn profile_dpf_stays_silent_under_the_baseline() {
    silent(
        "PROFILE-DPF",
        model().party(US_ACME_DPF).flow(TO_ACME_CLEAR),
    );
}

fn swedish_public_exposed() -> Scenario {
    model()
        .public_body(true)
        .party(EU_SUB_OF_US.replace("acme-eu", "acme").leak())
        .flow(TO_ACME_CLEAR)
}

#[test]
fn se_sakerhetsskydd_fires_for_a_swedish_public_body_and_an_exposed_party() {
    let r = fires("SE-SAKERHETSSKYDD", swedish_public_exposed());
    assert_eq!(
        r.findings
            .iter()
            .find(|f| f.rule == "SE-SAKERHETSSKYDD")
            .unwrap()
            .question,
        Question::NationalLaw
    );
}

#[test]
fn se_sakerhetsskydd_stays_silent_for_a_company() {
    silent(
        "SE-SAKERHETSSKYDD",
        swedish_public_exposed().public_body(false),
    );
}

fn provider_as_controller(public_body: bool) -> Scenario {
    model()
        .public_body(public_body)
        .party("{ id: edu, role: controller, incorporated: IE, locations: [IE] }")
        .flow("{ from: controller, to: edu, access: cleartext }")
}

#[test]
fn dk_own_purposes_blocks_a_public_body_disclosing_to_a_provider_for_its_own_purposes() {
    let mut s = provider_as_controller(true).policy("dk-public-sector");
    s.country = "DK";
    let r = fires("DK-OWN-PURPOSES", s);
    assert_eq!(r.verdict, Verdict::NotAcceptable);
    assert_eq!(r.decided_by, [Question::NationalLaw]);
}

#[test]
fn dk_own_purposes_stays_silent_for_a_company() {
    silent("DK-OWN-PURPOSES", provider_as_controller(false));
}

fn danish_public(public_body: bool) -> Scenario {
    let mut s = model()
        .public_body(public_body)
        .policy("dk-public-sector")
        .party(SE_HOST)
        .flow("{ from: controller, to: host, access: cleartext }");
    s.country = "DK";
    s
}

#[test]
fn dk_public_cloud_fires_for_a_danish_public_body() {
    let r = fires("DK-PUBLIC-CLOUD", danish_public(true));
    assert_eq!(r.authority.as_ref().unwrap().id, "datatilsynet-dk");
    assert!(r.prior_consultation.text.contains("Datatilsynet"));
}

#[test]
fn dk_public_cloud_stays_silent_for_a_danish_company() {
    let r = silent("DK-PUBLIC-CLOUD", danish_public(false));
    assert!(!r.questions[2].applicable);
}

fn eu_institution(kind: &'static str) -> Scenario {
    let mut s = model()
        .policy("eu-institution")
        .party(SE_HOST)
        .flow("{ from: controller, to: host, access: cleartext }");
    s.kind = Some(kind);
    s.country = "BE";
    s
}

#[test]
fn eudpr_regime_fires_for_an_eu_institution_and_names_the_edps() {
    let r = fires("EUDPR-REGIME", eu_institution("eu_institution"));
    assert_eq!(r.authority.as_ref().unwrap().id, "edps");
    assert_eq!(r.authority.as_ref().unwrap().regime, "eudpr");
}

#[test]
fn eudpr_regime_stays_silent_for_a_company() {
    silent("EUDPR-REGIME", eu_institution("company"));
}

// ---------------------------------------------------------------------------------------------
// The table: every rule in the knowledge base, one test where it fires, one where it does not
// ---------------------------------------------------------------------------------------------

struct Case {
    rule: &'static str,
    fires: fn(),
    silent: fn(),
}

const TABLE: &[Case] = &[
    Case {
        rule: "DPF-UNKNOWN",
        fires: dpf_unknown_fires_for_a_us_importer_whose_list_entry_nobody_checked,
        silent: dpf_unknown_stays_silent_when_the_model_states_the_importer_is_not_listed,
    },
    Case {
        rule: "INTEL-DUTY",
        fires: intel_duty_blocks_a_chinese_controlled_processor_under_every_profile,
        silent: intel_duty_stays_silent_when_the_party_holds_only_data_it_cannot_read,
    },
    Case {
        rule: "UNKNOWN-OWNERSHIP",
        fires: unknown_ownership_fires_for_a_party_that_reads_without_stated_owners,
        silent: unknown_ownership_stays_silent_when_a_source_says_there_is_no_parent,
    },
    Case {
        rule: "PROFILE-DPF",
        fires: profile_dpf_says_the_refusal_is_the_profiles_policy,
        silent: profile_dpf_stays_silent_under_the_baseline,
    },
    Case {
        rule: "SE-SAKERHETSSKYDD",
        fires: se_sakerhetsskydd_fires_for_a_swedish_public_body_and_an_exposed_party,
        silent: se_sakerhetsskydd_stays_silent_for_a_company,
    },
    Case {
        rule: "DK-OWN-PURPOSES",
        fires: dk_own_purposes_blocks_a_public_body_disclosing_to_a_provider_for_its_own_purposes,
        silent: dk_own_purposes_stays_silent_for_a_company,
    },
    Case {
        rule: "DK-PUBLIC-CLOUD",
        fires: dk_public_cloud_fires_for_a_danish_public_body,
        silent: dk_public_cloud_stays_silent_for_a_danish_company,
    },
    Case {
        rule: "EUDPR-REGIME",
        fires: eudpr_regime_fires_for_an_eu_institution_and_names_the_edps,
        silent: eudpr_regime_stays_silent_for_a_company,
    },
    Case {
        rule: "STH-1",
        fires: sth_1_fires_for_us_provider_with_cleartext,
        silent: sth_1_stays_silent_when_only_the_controller_holds_the_keys,
    },
    Case {
        rule: "STH-2",
        fires: sth_2_fires_when_an_exposed_service_must_read_the_data,
        silent: sth_2_stays_silent_when_the_service_could_work_on_encrypted_data,
    },
    Case {
        rule: "STH-3",
        fires: sth_3_fires_for_eu_subsidiary_of_us_parent_with_data_only_in_the_eu,
        silent: sth_3_stays_silent_for_the_same_subsidiary_without_a_parent,
    },
    Case {
        rule: "STH-4",
        fires: sth_4_fires_when_a_risk_estimate_is_given_and_a_party_is_exposed,
        silent: sth_4_stays_silent_without_a_risk_estimate,
    },
    Case {
        rule: "STH-5",
        fires: sth_5_fires_when_free_content_reaches_an_exposed_party,
        silent: sth_5_stays_silent_for_structured_data_only,
    },
    Case {
        rule: "STH-6",
        fires: sth_6_fires_when_the_provider_may_change_the_terms_alone,
        silent: sth_6_stays_silent_when_the_terms_cannot_change_unilaterally,
    },
    Case {
        rule: "STH-7",
        fires: sth_7_fires_for_consequence_reducing_measures_beside_an_exposure,
        silent: sth_7_stays_silent_without_such_measures,
    },
    Case {
        rule: "STH-8",
        fires: sth_8_fires_when_a_dpia_is_required_and_a_provider_is_exposed,
        silent: sth_8_stays_silent_when_no_dpia_is_required,
    },
    Case {
        rule: "STH-9",
        fires: sth_9_fires_for_cleartext_to_a_country_without_adequacy,
        silent: sth_9_stays_silent_for_cleartext_to_a_country_with_adequacy,
    },
    Case {
        rule: "EXP-1",
        fires: exp_1_fires_for_a_provider_under_a_non_equivalent_disclosure_law,
        silent: exp_1_stays_silent_for_a_provider_under_an_essentially_equivalent_law,
    },
    Case {
        rule: "EDPB-UC1",
        fires: edpb_uc1_fires_for_encrypted_storage_with_keys_the_provider_lacks,
        silent: edpb_uc1_stays_silent_when_the_provider_holds_the_keys,
    },
    Case {
        rule: "EDPB-UC2",
        fires: edpb_uc2_fires_for_a_pseudonymised_flow,
        silent: edpb_uc2_stays_silent_without_pseudonymisation,
    },
    Case {
        rule: "EDPB-UC3",
        fires: edpb_uc3_fires_for_encrypted_transit_through_a_third_country,
        silent: edpb_uc3_stays_silent_when_the_transit_stays_in_the_eea,
    },
    Case {
        rule: "EDPB-UC6",
        fires: edpb_uc6_fires_for_cleartext_processing_in_a_third_country,
        silent: edpb_uc6_stays_silent_when_the_same_company_processes_only_in_the_eu,
    },
    Case {
        rule: "EDPB-UC7",
        fires: edpb_uc7_fires_for_remote_cleartext_access_under_sccs,
        silent: edpb_uc7_stays_silent_when_the_remote_access_rests_on_the_dpf,
    },
    Case {
        rule: "ART28-EXPOSURE",
        fires: art28_exposure_fires_for_eu_subsidiary_of_us_parent,
        silent: art28_exposure_stays_silent_for_the_same_subsidiary_without_a_parent,
    },
    Case {
        rule: "RISK-SENSITIVE",
        fires: risk_sensitive_fires_when_health_data_reach_an_exposed_party,
        silent: risk_sensitive_stays_silent_for_contact_data_only,
    },
    Case {
        rule: "CH5-NO-TOOL",
        fires: ch5_no_tool_fires_for_a_third_country_transfer_without_a_tool,
        silent: ch5_no_tool_stays_silent_when_sccs_are_declared,
    },
    Case {
        rule: "CH5-TOOL-INVALID",
        fires: ch5_tool_invalid_fires_for_the_dpf_before_it_entered_into_force,
        silent: ch5_tool_invalid_stays_silent_for_the_dpf_once_in_force,
    },
    Case {
        rule: "CH5-SCC-TIA",
        fires: ch5_scc_tia_fires_for_a_transfer_under_sccs,
        silent: ch5_scc_tia_stays_silent_for_a_transfer_under_the_dpf,
    },
    Case {
        rule: "CH5-DPF",
        fires: ch5_dpf_fires_when_the_dpf_is_inferred_for_a_certified_importer,
        silent: ch5_dpf_stays_silent_for_an_importer_that_is_not_certified,
    },
    Case {
        rule: "CH5-DEROGATION",
        fires: ch5_derogation_fires_for_a_transfer_resting_on_art_49,
        silent: ch5_derogation_stays_silent_for_a_transfer_under_sccs,
    },
    Case {
        rule: "DPIA-REQUIRED",
        fires: dpia_required_fires_for_employees_health_data,
        silent: dpia_required_stays_silent_for_customers_contact_data,
    },
    Case {
        rule: "OSL-10-2A",
        fires: osl_10_2a_fires_for_a_public_body_handing_documents_to_an_exposed_party,
        silent: osl_10_2a_stays_silent_for_a_private_controller,
    },
    Case {
        rule: "DPA-CHANGE-TERMS",
        fires: dpa_change_terms_fires_when_the_objection_period_is_missing,
        silent: dpa_change_terms_stays_silent_when_notice_and_objection_periods_are_set,
    },
];

#[test]
fn the_table_covers_exactly_the_rules_in_the_knowledge_base() {
    let table: Vec<&str> = TABLE.iter().map(|c| c.rule).collect();
    let covered: BTreeSet<&str> = table.iter().copied().collect();
    assert_eq!(
        covered.len(),
        table.len(),
        "a rule is listed twice in TABLE"
    );

    let embedded: BTreeSet<&str> = kb().rules.ids().collect();
    assert_eq!(
        covered, embedded,
        "TABLE (left) and the embedded knowledge base (right) name different rules: \
         give every rule a test where it fires and one where it stays silent"
    );

    // The folder on disk, in case the embedded copy lags behind it.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let on_disk = tia::load_knowledge(Some(&dir)).expect("knowledge/ loads");
    let on_disk: BTreeSet<&str> = on_disk.rules.ids().collect();
    assert_eq!(
        covered, on_disk,
        "TABLE (left) and knowledge/rules (right) differ"
    );
}

#[test]
fn each_table_entry_checks_the_rule_it_is_listed_under() {
    for case in TABLE {
        for (test, expect_fire) in [(case.fires, true), (case.silent, false)] {
            CHECKED.with(|c| c.borrow_mut().clear());
            test();
            let checked = CHECKED.with(|c| c.borrow().clone());
            assert!(
                checked.contains(&(case.rule.to_string(), expect_fire)),
                "the {} test listed for {} checks {checked:?}",
                if expect_fire { "firing" } else { "silent" },
                case.rule
            );
        }
    }
}

#[test]
fn every_rule_is_evaluated_and_traced_in_the_report() {
    let r = us_cleartext().run();
    let traced: BTreeSet<&str> = r.rule_trace.iter().map(|t| t.rule.as_str()).collect();
    let rules: BTreeSet<&str> = kb().rules.ids().collect();
    assert_eq!(traced, rules);
    for t in &r.rule_trace {
        let fired = r.findings.iter().filter(|f| f.rule == t.rule).count();
        assert_eq!(
            t.fired, fired,
            "trace of {} disagrees with findings",
            t.rule
        );
    }
}

#[test]
fn eo_12333_reaches_data_in_transit_not_data_held_in_the_us() {
    // Cleartext to a US processor: EO 12333 reaches the data on their way (transit), FISA 702
    // the data held in the US (location); neither through "location" for EO 12333.
    let r = model().party(US_ACME).flow(TO_ACME_CLEAR_SCC).run();
    let eo = r
        .exposures
        .iter()
        .find(|e| e.law == "eo-12333")
        .expect("EO 12333 reaches data in transit to the US");
    assert!(eo
        .connections
        .iter()
        .all(|c| c.connection == tia::knowledge::Connection::Transit));
    let fisa = r.exposures.iter().find(|e| e.law == "fisa-702").unwrap();
    assert!(fisa
        .connections
        .iter()
        .any(|c| c.connection == tia::knowledge::Connection::Location));
    // Data that never leave the EEA: no EO 12333 exposure.
    let r = model()
        .party(EU_SUB_OF_US)
        .flow("{ from: controller, to: acme-eu, access: cleartext }")
        .run();
    assert!(r.exposures.iter().all(|e| e.law != "eo-12333"));
}

#[test]
fn the_cloud_act_finding_does_not_claim_the_court_assessed_it() {
    let r = model()
        .policy(SE_PUBLIC)
        .party(EU_SUB_OF_US)
        .flow("{ from: controller, to: acme-eu, access: cleartext }")
        .run();
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "EXP-1@acme-eu/cloud-act")
        .expect("EXP-1 on the CLOUD Act");
    assert!(
        f.explanation.contains("has not assessed the CLOUD Act"),
        "{}",
        f.explanation
    );
    assert!(
        f.citations.iter().all(|c| !c.contains("168")),
        "{:?}",
        f.citations
    );
    assert_eq!(f.basis, Basis::Policy);
}

#[test]
fn every_finding_belongs_to_exactly_one_question_and_the_verdict_is_the_worst_conclusion() {
    let r = model()
        .policy(SE_PUBLIC)
        .public_body(true)
        .categories("[contact, health]")
        .party(US_ACME)
        .party(EU_SUB_OF_US)
        .flow(TO_ACME_CLEAR_SCC)
        .flow("{ from: controller, to: acme-eu, access: cleartext }")
        .run();
    let ids: Vec<&str> = r.questions.iter().map(|q| q.id.key()).collect();
    assert_eq!(ids, ["chapter_v", "foreign_access", "national_law"]);
    for f in &r.findings {
        let n = r
            .questions
            .iter()
            .filter(|q| q.findings.contains(&f.id))
            .count();
        assert_eq!(n, 1, "{} is in {n} questions", f.id);
        assert!(r
            .questions
            .iter()
            .any(|q| q.id == f.question && q.findings.contains(&f.id)));
    }
    let worst = r.questions.iter().map(|q| q.conclusion).min().unwrap();
    assert_eq!(r.verdict, worst);
    for q in &r.questions {
        assert_eq!(
            q.decisive,
            q.conclusion == r.verdict && r.verdict != Verdict::Acceptable
        );
        assert!(!q.basis.is_empty());
    }
    assert!(
        r.verdict_reason.contains(&r.questions[0].title)
            || r.verdict_reason.contains(&r.questions[1].title)
    );
}

#[test]
fn coverage_is_decided_per_connection_in_law_and_under_the_profile() {
    // A DPF-listed US processor with a US parent: every connection is covered in law (the
    // listed recipient; its parent adds nothing), none under a profile that refuses the DPF.
    let party = "{ id: acme, name: Acme Inc, role: processor, incorporated: US, locations: [US], dpf_certified: true, parents: [{ name: Acme Holdings, country: US, share: 1, parents: none }] }";
    let r = model()
        .policy(SE_PUBLIC)
        .party(party)
        .flow(TO_ACME_CLEAR)
        .run();
    let e = r.exposures.iter().find(|e| e.law == "cloud-act").unwrap();
    assert!(e.connections.len() >= 2, "{:?}", e.connections);
    assert!(e.connections.iter().all(|c| c.covered_by_adequacy));
    assert!(e.connections.iter().all(|c| !c.covered_under_policy));
    assert_eq!(e.status, tia::engine::ExposureStatus::CoveredByAdequacy);
    assert_eq!(e.policy_status, tia::engine::ExposureStatus::Effective);
    // Law rules see the law: ART28-EXPOSURE (foreign access) does not fire for a listed
    // recipient in the US; the profile's rules see the profile: STH-1 blocks.
    assert!(finding_ids(&r, "ART28-EXPOSURE").is_empty());
    assert_eq!(effect_of(&r, "STH-1@acme/fisa-702"), Effect::Blocking);
    // An EEA party reached through the same parent: never covered by the DPF.
    let sub = "{ id: acme, name: Acme Europe, role: processor, incorporated: IE, locations: [IE], parents: [{ name: Acme Inc, country: US, share: 1, dpf_certified: true, parents: none }] }";
    let r = model().party(sub).flow(TO_ACME_CLEAR).run();
    let e = r.exposures.iter().find(|e| e.law == "cloud-act").unwrap();
    assert!(e
        .connections
        .iter()
        .all(|c| !c.covered_by_adequacy && !c.covered_under_policy));
    assert_eq!(e.status, tia::engine::ExposureStatus::Effective);
}
