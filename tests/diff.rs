//! `tia diff`: the change report between two versions of a model.
mod common;
use common::*;
use tia::diff::{diff, ChangeReport, DeadlineBasis, DiffOptions, VerdictChange};
use tia::engine::ExposureStatus;
use tia::{load_model, Model, Verdict};

const AS_OF: &str = "2026-11-22";

fn load(text: &str, file: &str) -> Model {
    load_model(text, file, &kb()).unwrap_or_else(|e| panic!("{file} is valid: {e}"))
}

fn diff_models(old: &Model, new: &Model, opts: &DiffOptions) -> ChangeReport {
    let kb = kb();
    let o = common::opts(None, AS_OF);
    let (ro, rn) = (
        tia::assess(old, &kb, &o).unwrap(),
        tia::assess(new, &kb, &o).unwrap(),
    );
    diff(old, &ro, new, &rn, opts)
}

fn diff_files(old: &str, new: &str, opts: &DiffOptions) -> ChangeReport {
    let read = |p: &str| load(&std::fs::read_to_string(p).unwrap(), p);
    diff_models(&read(old), &read(new), opts)
}

fn lasia(opts: &DiffOptions) -> ChangeReport {
    diff_files("examples/lasia-2024.yaml", "examples/lasia-2026.yaml", opts)
}

fn notice(day: &str) -> DiffOptions {
    DiffOptions {
        notice_date: Some(date(day)),
        objection_days: None,
        today: Some(date("2026-12-02")),
    }
}

fn vendors<'a>(parties: impl IntoIterator<Item = &'a tia::diff::PartyRef>) -> Vec<&'a str> {
    parties
        .into_iter()
        .filter_map(|p| p.vendor.as_deref())
        .collect()
}

#[test]
fn lasia_2024_to_2026_drops_microsoft_aws_and_cleura_and_adds_elastx_and_teamviewer() {
    let d = lasia(&notice("2025-11-16"));
    let removed = vendors(&d.parties.removed);
    assert!(removed.contains(&"microsoft-ireland"), "{removed:?}");
    assert!(removed.contains(&"aws-emea-sarl"), "{removed:?}");
    assert!(removed.contains(&"cleura"), "{removed:?}");
    assert_eq!(removed.len(), 3, "{removed:?}");
    let mut added = vendors(&d.parties.added);
    added.sort();
    assert_eq!(added, ["elastx", "teamviewer-germany"]);
    // WinLas renamed to Lasia in the model: the same processor, not a new one.
    let all_ids = d
        .parties
        .added
        .iter()
        .chain(&d.parties.removed)
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>();
    assert!(!all_ids.contains(&"lasia") && !all_ids.contains(&"winlas"));
    let lasia = d
        .parties
        .changed
        .iter()
        .find(|p| p.id == "lasia")
        .expect("Lasia's service text changed");
    assert_eq!(lasia.old_id, "winlas");
    assert_eq!(
        lasia.changes.iter().map(|c| c.field).collect::<Vec<_>>(),
        ["service"]
    );
    // The flows follow the matched parties: winlas->cygate and lasia->cygate are one flow.
    assert!(d.flows.changed.is_empty(), "{:?}", d.flows.changed);
    assert!(d
        .flows
        .removed
        .iter()
        .chain(&d.flows.added)
        .all(|f| f.to.id != "cygate"));
    assert_eq!(d.flows.removed.len(), 3);
    assert_eq!(d.flows.added.len(), 3);
}

#[test]
fn lasia_2024_to_2026_loses_the_us_exposures_and_improves() {
    let d = lasia(&notice("2025-11-16"));
    assert_eq!(d.old.verdict, Verdict::NotAcceptable);
    // What remains in 2026 is the unverified ownership of Lasia and Elastx.
    assert_eq!(d.new.verdict, Verdict::AcceptableWithMeasures);
    assert_eq!(d.verdict_change, VerdictChange::Improved);
    assert!(d.has_changes);
    let gone: Vec<(&str, &str)> = d
        .exposures
        .disappeared
        .iter()
        .map(|e| (e.party.id.as_str(), e.law.id.as_str()))
        .collect();
    for exposure in [
        ("microsoft", "fisa-702"),
        ("microsoft", "cloud-act"),
        ("aws", "fisa-702"),
        ("aws", "cloud-act"),
    ] {
        assert!(gone.contains(&exposure), "{exposure:?} in {gone:?}");
    }
    assert!(d.exposures.appeared.is_empty());
    let ms = d
        .exposures
        .disappeared
        .iter()
        .find(|e| e.party.id == "microsoft" && e.law.id == "fisa-702")
        .unwrap();
    assert_eq!(ms.party.name, "Microsoft Ireland Operations Limited");
    assert!(
        ms.paths[0].contains("Microsoft Corporation (US)"),
        "{:?}",
        ms.paths
    );
    let findings: Vec<&str> = d
        .findings
        .disappeared
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert!(
        findings.contains(&"STH-1@microsoft/fisa-702"),
        "{findings:?}"
    );
    assert!(findings.contains(&"STH-1@aws/fisa-702"), "{findings:?}");
    // What appears is about the new sub-processor Elastx, whose owners are not sourced.
    assert!(
        d.findings.appeared.iter().all(|f| f.subject.id == "elastx"),
        "{:?}",
        d.findings.appeared
    );
    assert!(d
        .findings
        .appeared
        .iter()
        .any(|f| f.id == "UNKNOWN-OWNERSHIP@elastx"));
}

#[test]
fn lasia_gets_one_deadline_per_announcement_each_the_day_before_the_change() {
    let d = lasia(&notice("2025-11-16"));
    assert_eq!(
        d.objection_deadlines.len(),
        2,
        "{:#?}",
        d.objection_deadlines
    );
    // Elastx and TeamViewer were announced on 2024-11-15 (the model's `announced`); 30 days'
    // notice: the change took effect on 2024-12-15, so the last day was 2024-12-14, long
    // before the report's date.
    let first = &d.objection_deadlines[0];
    assert_eq!(first.party.id, "lasia");
    assert_eq!(first.notice_date, Some(date("2024-11-15")));
    let names: Vec<&str> = first.changes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(names, ["elastx", "teamviewer"]);
    assert_eq!(first.basis, DeadlineBasis::ChangeNoticeDays);
    assert_eq!(first.last_day_to_object, Some(date("2024-12-14")));
    assert!(first.passed);
    // The terms (30 days) are the model's own, stated in its DPA: not an assumption.
    assert!(!first.terms_assumed);
    // The other changes carry no date of their own: the notice date given counts.
    let second = &d.objection_deadlines[1];
    assert_eq!(second.notice_date, Some(date("2025-11-16")));
    assert_eq!(second.change_notice_days, Some(30));
    assert_eq!(second.objection_days, None);
    assert_eq!(second.effective_date, Some(date("2025-12-16")));
    assert_eq!(second.last_day_to_object, Some(date("2025-12-15")));
    assert!(second.passed, "2025-12-15 is before 2026-12-02");
    assert_eq!(d.last_day_to_object, Some(date("2024-12-14")));
    // Judged on the day of the notice, the second deadline has not passed.
    let d = lasia(&DiffOptions {
        today: Some(date("2025-11-20")),
        ..notice("2025-11-16")
    });
    assert!(!d.objection_deadlines[1].passed);
}

#[test]
fn an_objection_period_given_on_the_command_line_wins() {
    let d = lasia(&DiffOptions {
        notice_date: Some(date("2025-11-16")),
        objection_days: Some(14),
        today: Some(date("2026-12-02")),
    });
    let l = &d.objection_deadlines[1];
    assert_eq!(l.basis, DeadlineBasis::Override);
    assert_eq!(l.objection_days, Some(14));
    assert_eq!(l.effective_date, Some(date("2025-12-16")));
    assert_eq!(l.last_day_to_object, Some(date("2025-11-30")));
}

#[test]
fn without_a_notice_date_only_announced_changes_get_a_deadline() {
    let d = lasia(&DiffOptions::default());
    let dated = &d.objection_deadlines[0];
    assert_eq!(dated.last_day_to_object, Some(date("2024-12-14")));
    let l = &d.objection_deadlines[1];
    assert_eq!(l.basis, DeadlineBasis::NoNoticeDate);
    assert_eq!(l.last_day_to_object, None);
    assert_eq!(l.effective_date, None);
}

const HEAD: &str = "controller:\n  name: Exempel kommun\n  country: SE\n  kind: public_body\nprocessing:\n  purpose: Personaladministration\n  data_subjects: [employees]\n  data_categories: [identity, contact]\nparties:\n  - { id: p, role: processor, name: P AB, incorporated: SE, locations: [SE], parents: none, dpa: { change_notice_days: 30, objection_days: 14 } }\n  - { id: s, role: subprocessor, name: S AB, incorporated: SE, locations: [SE], parents: [{ name: S Inc., country: US, share: 1.0, parents: none }] }\n";

const BEFORE: &str = "flows:\n  - { from: controller, to: p, access: cleartext }\n  - { from: p, to: s, access: storage_encrypted, key_holder: processor }\n";

#[test]
fn cleartext_to_a_us_owned_party_and_a_new_us_sub_processor_worsen_the_verdict() {
    let old = load(&format!("{HEAD}{BEFORE}"), "old.yaml");
    let new = load(
        &format!(
            "{HEAD}  - {{ id: u, role: subprocessor, name: U AB, incorporated: SE, locations: [SE], parents: [{{ name: U Inc., country: US, share: 1.0, parents: none }}] }}\nflows:\n  - {{ from: controller, to: p, access: cleartext }}\n  - {{ from: p, to: s, access: cleartext }}\n  - {{ from: p, to: u, access: cleartext }}\n"
        ),
        "new.yaml",
    );
    let d = diff_models(&old, &new, &notice("2026-01-10"));
    assert_eq!(d.verdict_change, VerdictChange::Worsened);
    assert_eq!(d.new.verdict, Verdict::NotAcceptable);
    assert!(d.old.verdict > d.new.verdict);

    assert_eq!(
        d.parties
            .added
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["u"]
    );
    assert!(d.parties.removed.is_empty());
    let s = d.parties.changed.iter().find(|p| p.id == "s").unwrap();
    let fields: Vec<&str> = s.changes.iter().map(|c| c.field).collect();
    assert!(fields.contains(&"reads_cleartext"), "{fields:?}");
    assert!(fields.contains(&"exposed"), "{fields:?}");

    let flow = &d.flows.changed[0];
    assert_eq!(flow.id, "p->s");
    let access = flow.changes.iter().find(|c| c.field == "access").unwrap();
    assert_eq!(access.old, "storage_encrypted");
    assert_eq!(access.new, "cleartext");
    assert!(flow.changes.iter().any(|c| c.field == "key_holder"));
    assert_eq!(d.flows.added.len(), 1);
    assert_eq!(d.flows.added[0].to.name, "U AB");

    // S's exposure turns effective; U's appears.
    let s_fisa = d
        .exposures
        .changed
        .iter()
        .find(|e| e.exposure.party.id == "s" && e.exposure.law.id == "fisa-702")
        .expect("S's FISA exposure changes status");
    assert_eq!(s_fisa.old_status, ExposureStatus::Neutralised);
    assert_eq!(s_fisa.exposure.status, ExposureStatus::Effective);
    assert!(d
        .exposures
        .appeared
        .iter()
        .any(|e| e.party.id == "u" && e.law.id == "fisa-702"));
    let appeared: Vec<&str> = d.findings.appeared.iter().map(|f| f.id.as_str()).collect();
    assert!(appeared.contains(&"STH-1@u/fisa-702"), "{appeared:?}");
    assert!(appeared.contains(&"STH-1@s/fisa-702"), "{appeared:?}");
    let f = d
        .findings
        .appeared
        .iter()
        .find(|f| f.id == "STH-1@u/fisa-702")
        .unwrap();
    assert_eq!(f.rule, "STH-1");
    assert_eq!(f.subject.name, "U AB – FISA §702");

    // The DPA's own objection period: 14 days from notice; the change takes effect after 30.
    let p = &d.objection_deadlines[0];
    assert_eq!(p.basis, DeadlineBasis::ObjectionDays);
    assert_eq!(p.last_day_to_object, Some(date("2026-01-24")));
    assert_eq!(p.effective_date, Some(date("2026-02-09")));
}

#[test]
fn identical_models_have_no_changes() {
    let text = "controller:\n  name: Exempel kommun\n  country: SE\nprocessing:\n  purpose: Personaladministration\n  data_subjects: [employees]\n  data_categories: [identity, contact]\nparties:\n  - { id: p, role: processor, name: P AB, incorporated: SE, locations: [SE] }\n  - { id: s, role: subprocessor, name: S Inc., incorporated: US, locations: [US] }\nflows:\n  - { from: controller, to: p, access: cleartext }\n  - { from: p, to: s, access: cleartext, transfer_tool: scc }\n";
    let m = load(text, "same.yaml");
    let d = diff_models(&m, &m, &notice("2026-01-10"));
    assert_eq!(d.verdict_change, VerdictChange::Unchanged);
    assert!(!d.has_changes);
    assert!(d.parties.added.is_empty() && d.parties.removed.is_empty());
    assert!(d.parties.changed.is_empty());
    assert!(d.flows.added.is_empty() && d.flows.removed.is_empty() && d.flows.changed.is_empty());
    assert!(d.exposures.appeared.is_empty() && d.exposures.disappeared.is_empty());
    assert!(d.exposures.changed.is_empty());
    assert!(d.findings.appeared.is_empty() && d.findings.disappeared.is_empty());
    // No DPA terms: the deadline cannot be computed.
    assert_eq!(d.objection_deadlines[0].basis, DeadlineBasis::Unknown);
    assert_eq!(d.last_day_to_object, None);
}

#[test]
fn the_same_party_id_with_another_vendor_is_a_new_sub_processor() {
    let model = |vendor: &str| {
        format!("controller:\n  name: Exempel kommun\n  country: SE\nprocessing:\n  purpose: Personaladministration\n  data_subjects: [employees]\n  data_categories: [identity]\nparties:\n  - {{ id: p, role: processor, name: P AB, incorporated: SE, locations: [SE] }}\n  - {{ id: hosting, role: subprocessor, vendor: {vendor} }}\nflows:\n  - {{ from: controller, to: p, access: cleartext }}\n  - {{ from: p, to: hosting, access: cleartext }}\n")
    };
    let d = diff_models(
        &load(&model("cleura"), "old.yaml"),
        &load(&model("elastx"), "new.yaml"),
        &DiffOptions::default(),
    );
    assert_eq!(vendors(&d.parties.removed), ["cleura"]);
    assert_eq!(vendors(&d.parties.added), ["elastx"]);
    assert_eq!((d.flows.removed.len(), d.flows.added.len()), (1, 1));
}

#[test]
fn the_change_report_serialises_with_snake_case_keys() {
    let d = lasia(&notice("2025-11-16"));
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["verdict_change"], "improved");
    assert_eq!(v["old"]["verdict"], "not_acceptable");
    assert_eq!(v["new"]["policy"]["id"], "se-public-sector");
    assert_eq!(v["last_day_to_object"], "2024-12-14");
    assert_eq!(
        v["objection_deadlines"][0]["changes"][0]["name"],
        "Elastx AB"
    );
    assert_eq!(v["objection_deadlines"][0]["basis"], "change_notice_days");
    assert_eq!(v["parties"]["changed"][0]["old_id"], "winlas");
}
