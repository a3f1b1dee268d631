//! `tia knowledge import-gleif` on small golden-copy files in GLEIF's published CSV layout
//! (tests/fixtures/gleif/, whose README cites the format documents), the catalogue it writes,
//! and the engine reading it: a party named by `lei:` is exposed through its US parent.
mod common;
use common::{copy_dir, temp_dir, text, tia};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tia::knowledge::{Corroboration, OwnerRelationship, RelationshipState, VendorParents};

const FIXTURES: &str = "tests/fixtures/gleif";
const LEVEL1: &str = "20261202-0800-gleif-goldencopy-lei2-golden-copy.csv";
const RR: &str = "20261202-0800-gleif-goldencopy-rr-golden-copy.csv";
const REPEX: &str = "20261202-0800-gleif-goldencopy-repex-golden-copy.csv";

const SUBSIDIARY: &str = "TIAFIXTURE00000000S1";
const HOLDING: &str = "TIAFIXTURE00000000H1";
const US_PARENT: &str = "TIAFIXTURE00000000U1";
const EXCEPTION: &str = "TIAFIXTURE00000000E1";
const LAPSED: &str = "TIAFIXTURE00000000L1";
const BRANCH: &str = "TIAFIXTURE00000000B1";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// A copy of knowledge/ to import into.
fn knowledge_copy(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    copy_dir(Path::new("knowledge"), &dir.join("knowledge"));
    dir.join("knowledge")
}

/// Runs the import on the fixtures into `kb` with extra arguments.
fn import(kb: &Path, extra: &[&str]) -> Output {
    let (l1, rr, rx) = (fixture(LEVEL1), fixture(RR), fixture(REPEX));
    let mut args = vec![
        "--knowledge",
        kb.to_str().unwrap(),
        "knowledge",
        "import-gleif",
        "--level1",
        &l1,
        "--rr",
        &rr,
        "--repex",
        &rx,
    ];
    args.extend_from_slice(extra);
    tia(&args)
}

fn import_all(name: &str) -> PathBuf {
    let kb = knowledge_copy(name);
    let o = import(
        &kb,
        &[
            "--lei", SUBSIDIARY, "--lei", EXCEPTION, "--lei", LAPSED, "--lei", BRANCH,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    kb
}

fn vendor<'a>(kb: &'a tia::Knowledge, lei: &str) -> &'a tia::knowledge::Vendor {
    kb.vendor_by_lei(lei)
        .unwrap_or_else(|| panic!("an entry with LEI {lei}"))
}

#[test]
fn import_gleif_writes_the_direct_and_ultimate_parents_up_the_chain_with_gleif_as_source() {
    let dir = import_all("chain");
    let kb = tia::Knowledge::load_dir(&dir).expect("the written catalogue loads");
    let sub = vendor(&kb, SUBSIDIARY);
    let holding = vendor(&kb, HOLDING);
    let us = vendor(&kb, US_PARENT);
    assert_eq!(sub.name, "Nordisk Driftcenter ApS");
    assert_eq!(sub.incorporated, "DK");
    assert_eq!(sub.source, "gleif-golden-copy");
    assert_eq!(sub.as_of.to_string(), "2026-12-02", "the publish day");
    assert!(sub
        .pinpoint
        .as_deref()
        .unwrap()
        .contains("2026-12-02 08:00 UTC"));
    assert_eq!(kb.ownership_as_of(sub).to_string(), "2026-12-02");

    let owners = sub.parents.owners();
    assert_eq!(owners.len(), 2, "{owners:?}");
    let direct = owners
        .iter()
        .find(|o| o.relationship == Some(OwnerRelationship::Direct))
        .unwrap();
    assert_eq!(direct.vendor, holding.id);
    assert_eq!(direct.lei.as_deref(), Some(HOLDING));
    assert_eq!(direct.share, 1.0);
    assert_eq!(direct.valid_from.unwrap().to_string(), "2019-02-01");
    assert_eq!(direct.valid_to, None);
    assert_eq!(direct.corroboration, Some(Corroboration::FullyCorroborated));
    assert_eq!(direct.status, None, "active");
    let ultimate = owners
        .iter()
        .find(|o| o.relationship == Some(OwnerRelationship::Ultimate))
        .unwrap();
    assert_eq!(ultimate.vendor, us.id);
    assert_eq!(
        ultimate.corroboration,
        Some(Corroboration::PartiallyCorroborated)
    );

    // The holding is written as an entry of its own, owned by the US parent.
    assert_eq!(holding.incorporated, "DK");
    assert!(holding.parents.owners().iter().any(|o| o.vendor == us.id));
    // The US parent: incorporated from the country part of US-DE; its own parent is a reporting
    // exception, so unknown with GLEIF's reason, never "no parent".
    assert_eq!(us.incorporated, "US");
    assert_eq!(us.name, "Cloudcorp, Inc.");
    let reason = us.parents.unknown_reason().expect("unknown with a reason");
    assert!(reason.contains("NO_KNOWN_PERSON"), "{reason}");
    // An entity nobody asked for is not written.
    assert!(kb.vendor_by_lei("TIAFIXTURE00000000N1").is_none());
}

#[test]
fn a_reporting_exception_is_unknown_with_its_reason_never_no_parent() {
    let dir = import_all("exception");
    let kb = tia::Knowledge::load_dir(&dir).unwrap();
    let e = vendor(&kb, EXCEPTION);
    assert_eq!(e.incorporated, "NO");
    assert!(matches!(e.parents, VendorParents::Unknown(_)));
    assert!(!e.parents.known());
    let reason = e.parents.unknown_reason().unwrap();
    assert!(
        reason.contains("direct parent NATURAL_PERSONS")
            && reason.contains("ultimate parent NATURAL_PERSONS"),
        "{reason}"
    );
}

#[test]
fn a_lapsed_or_ended_relationship_is_recorded_but_not_a_current_owner_and_is_reported() {
    let dir = import_all("lapsed");
    let kb = tia::Knowledge::load_dir(&dir).unwrap();
    let l = vendor(&kb, LAPSED);
    let owners = l.parents.owners();
    let ended = owners
        .iter()
        .find(|o| o.lei.as_deref() == Some("TIAFIXTURE00000000P2"))
        .unwrap();
    assert_eq!(ended.status, Some(RelationshipState::Inactive));
    assert_eq!(ended.valid_to.unwrap().to_string(), "2024-06-30");
    let lapsed = owners
        .iter()
        .find(|o| o.lei.as_deref() == Some("TIAFIXTURE00000000P3"))
        .unwrap();
    assert_eq!(lapsed.status, Some(RelationshipState::Lapsed));
    assert_eq!(
        lapsed.corroboration,
        Some(Corroboration::EntitySuppliedOnly)
    );
    assert!(!l.parents.known(), "no relationship holds: unknown");

    let o = tia(&[
        "--knowledge",
        dir.to_str().unwrap(),
        "knowledge",
        "check",
        "--today",
        "2026-12-03",
    ]);
    assert_eq!(o.status.code(), Some(0), "a report, not a failure");
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "unknown: vendor `{}` — no listed relationship holds on 2026-12-03",
            l.id
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "not current: vendor `{}` parent `{}` (lapsed",
            l.id, lapsed.vendor
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "not current: vendor `{}` parent `{}` (inactive",
            l.id, ended.vendor
        )),
        "{out}"
    );
    assert!(
        out.contains("unknown: vendor `fjordhosting-as` — GLEIF reporting exception"),
        "{out}"
    );
}

#[test]
fn an_international_branch_is_owned_by_its_head_office_as_the_same_legal_person() {
    let dir = import_all("branch");
    let kb = tia::Knowledge::load_dir(&dir).unwrap();
    let b = vendor(&kb, BRANCH);
    let head = vendor(&kb, US_PARENT);
    let owners = b.parents.owners();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].vendor, head.id);
    assert_eq!(owners[0].relationship, Some(OwnerRelationship::Branch));
    assert_eq!(owners[0].share, 1.0);
}

/// A Danish municipality's model with one processor named by LEI.
fn model(dir: &Path, lei: &str) -> PathBuf {
    let m = format!(
        "controller: {{ name: Exempel kommune, country: DK, kind: public_body }}\nprocessing:\n  purpose: Løn\n  data_subjects: [employees]\n  data_categories: [identity, contact]\nparties:\n  - {{ id: drift, lei: {lei}, role: processor, locations: [DK], dpa: {{ change_notice_days: 30, objection_days: 14 }} }}\nflows:\n  - {{ from: controller, to: drift, access: cleartext }}\n"
    );
    let p = dir.parent().unwrap().join(format!("model-{lei}.yaml"));
    std::fs::write(&p, m).unwrap();
    p
}

fn assess_json(dir: &Path, model: &Path) -> serde_json::Value {
    let o = tia(&[
        "--knowledge",
        dir.to_str().unwrap(),
        "assess",
        model.to_str().unwrap(),
        "--format",
        "json",
        "--as-of",
        "2026-12-03",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn exposed_to(report: &serde_json::Value, jurisdiction: &str) -> Vec<String> {
    report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["jurisdiction"] == jurisdiction)
        .map(|e| {
            e["connections"][0]["path"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn findings(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_party_named_by_lei_is_exposed_to_us_law_through_its_imported_parent_chain() {
    let dir = import_all("assess");
    let report = assess_json(&dir, &model(&dir, SUBSIDIARY));
    let paths = exposed_to(&report, "US");
    assert!(!paths.is_empty(), "US exposure expected: {report:#}");
    assert!(
        paths
            .iter()
            .all(|p| p.contains("Nordisk Driftcenter ApS (DK)")
                && p.contains("Nordisk Holding A/S (DK)")
                && p.contains("Cloudcorp, Inc. (US)")),
        "the path goes through the Danish holding to the US parent, counted once: {paths:?}"
    );
    assert_eq!(report["parties"][0]["vendor"], "nordisk-driftcenter-aps");
    // The chain ends in a reporting exception: ownership is not known all the way up.
    assert!(findings(&report).contains(&"UNKNOWN-OWNERSHIP@drift".to_string()));
}

#[test]
fn a_branch_of_a_us_company_is_exposed_like_its_head_office() {
    let dir = import_all("assess-branch");
    let report = assess_json(&dir, &model(&dir, BRANCH));
    assert!(!exposed_to(&report, "US").is_empty(), "{report:#}");
}

#[test]
fn a_lapsed_us_parent_does_not_count_but_leaves_the_ownership_unknown() {
    let dir = import_all("assess-lapsed");
    let report = assess_json(&dir, &model(&dir, LAPSED));
    assert!(
        exposed_to(&report, "US").is_empty(),
        "a lapsed relationship is not a current owner: {report:#}"
    );
    assert!(findings(&report).contains(&"UNKNOWN-OWNERSHIP@drift".to_string()));
    assert_eq!(report["parties"][0]["owners_known"], false);
}

#[test]
fn an_lei_the_catalogue_lacks_is_a_located_error_with_a_hint_to_import_it() {
    let dir = knowledge_copy("unknown-lei");
    let m = model(&dir, SUBSIDIARY);
    let o = tia(&["assess", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{}:7:", m.display()))
            && err.contains(&format!("unknown LEI `{SUBSIDIARY}`"))
            && err.contains("tia knowledge import-gleif"),
        "{err}"
    );
}

#[test]
fn a_missing_column_is_a_located_error_and_nothing_is_written() {
    let dir = knowledge_copy("bad-column");
    let bad = dir.parent().unwrap().join(RR);
    let rr = std::fs::read_to_string(fixture(RR)).unwrap();
    std::fs::write(
        &bad,
        rr.replacen(
            "\"Relationship.RelationshipType\"",
            "\"Relationship.Type\"",
            1,
        ),
    )
    .unwrap();
    let (l1, rx) = (fixture(LEVEL1), fixture(REPEX));
    let o = tia(&[
        "--knowledge",
        dir.to_str().unwrap(),
        "knowledge",
        "import-gleif",
        "--level1",
        &l1,
        "--rr",
        bad.to_str().unwrap(),
        "--repex",
        &rx,
        "--lei",
        SUBSIDIARY,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "{}:1:1: missing column `Relationship.RelationshipType`",
            bad.display()
        )),
        "{err}"
    );
    assert!(!dir.join("vendors/gleif.yaml").exists(), "nothing written");
}

#[test]
fn a_bad_value_in_a_wanted_row_names_the_file_line_and_column_and_keeps_the_old_file() {
    let dir = import_all("bad-value");
    let written = std::fs::read_to_string(dir.join("vendors/gleif.yaml")).unwrap();
    let bad = dir.parent().unwrap().join(RR);
    let rr = std::fs::read_to_string(fixture(RR)).unwrap();
    // Line 4 is the holding's relationship to the US parent, read on the second pass (up the chain).
    let mut lines: Vec<String> = rr.lines().map(String::from).collect();
    lines[3] = lines[3].replacen("\"FULLY_CORROBORATED\"", "\"SOMEWHAT\"", 1);
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let (l1, rx) = (fixture(LEVEL1), fixture(REPEX));
    let o = tia(&[
        "--knowledge",
        dir.to_str().unwrap(),
        "knowledge",
        "import-gleif",
        "--level1",
        &l1,
        "--rr",
        bad.to_str().unwrap(),
        "--repex",
        &rx,
        "--lei",
        SUBSIDIARY,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{}:4:18: column `Registration.ValidationSources`: unknown corroboration level `SOMEWHAT`", bad.display())),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("vendors/gleif.yaml")).unwrap(),
        written,
        "the file is unchanged"
    );
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let dir = knowledge_copy("unreadable");
    let (l1, rr) = (fixture(LEVEL1), fixture(RR));
    let o = tia(&[
        "--knowledge",
        dir.to_str().unwrap(),
        "knowledge",
        "import-gleif",
        "--level1",
        &l1,
        "--rr",
        &rr,
        "--repex",
        "/nonexistent/repex.csv",
        "--lei",
        SUBSIDIARY,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "/nonexistent/repex.csv:1:1: cannot read the Level 2 reporting exceptions file"
        ),
        "{err}"
    );
    assert!(!dir.join("vendors/gleif.yaml").exists());
}

#[test]
fn a_second_import_updates_by_lei_and_keeps_the_other_entries_and_comments() {
    let dir = knowledge_copy("update");
    let o = import(&dir, &["--lei", EXCEPTION]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let file = dir.join("vendors/gleif.yaml");
    let first = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        first.replacen(
            "- id: fjordhosting-as",
            "# checked by the DPO\n- id: fjordhosting-as",
            1,
        ),
    )
    .unwrap();
    // By legal name this time, and published later.
    let o = import(
        &dir,
        &[
            "--name",
            "nordisk driftcenter  aps",
            "--published",
            "2026-12-03T16:00",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.contains("# checked by the DPO\n- id: fjordhosting-as"),
        "{after}"
    );
    let kb = tia::Knowledge::load_dir(&dir).unwrap();
    assert_eq!(vendor(&kb, EXCEPTION).as_of.to_string(), "2026-12-02");
    assert_eq!(vendor(&kb, SUBSIDIARY).as_of.to_string(), "2026-12-03");
}

/// Writes a Level 1 and an RR file in GLEIF's layout with `rows` rows of other entities and the
/// fixture chain at the very end, so that every row must be read.
fn write_large(dir: &Path, rows: usize) -> (PathBuf, PathBuf) {
    let l1 = dir.join(LEVEL1);
    let rr = dir.join(RR);
    let fixture_l1 = std::fs::read_to_string(fixture(LEVEL1)).unwrap();
    let fixture_rr = std::fs::read_to_string(fixture(RR)).unwrap();
    let (l1_head, l1_rows) = fixture_l1.split_once('\n').unwrap();
    let (rr_head, rr_rows) = fixture_rr.split_once('\n').unwrap();
    let mut w = std::io::BufWriter::new(std::fs::File::create(&l1).unwrap());
    writeln!(w, "{l1_head}").unwrap();
    for i in 0..rows {
        writeln!(w, "\"TIANOISE{i:012}\",\"Filler Company Number {i} Aktiebolag\",\"sv\",\"Storgatan {i}\",\"Stockholm\",\"SE\",\"RA000544\",\"556{i:07}\",\"SE\",\"GENERAL\",\"ACTIVE\",\"2018-01-15T09:00:00Z\",\"2026-10-01T12:00:00Z\",\"ISSUED\",\"2027-01-15T09:00:00Z\",\"TIAFIXTURELOU0000001\",\"FULLY_CORROBORATED\"").unwrap();
    }
    w.write_all(l1_rows.as_bytes()).unwrap();
    drop(w);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&rr).unwrap());
    writeln!(w, "{rr_head}").unwrap();
    for i in 0..rows {
        writeln!(w, "\"TIANOISE{i:012}\",\"LEI\",\"TIANOISE{:012}\",\"LEI\",\"IS_DIRECTLY_CONSOLIDATED_BY\",\"ACTIVE\",\"2025-01-01T00:00:00Z\",\"2025-12-31T00:00:00Z\",\"ACCOUNTING_PERIOD\",\"2018-01-01T00:00:00Z\",\"\",\"RELATIONSHIP_PERIOD\",\"2019-03-01T00:00:00Z\",\"2026-09-01T00:00:00Z\",\"PUBLISHED\",\"2027-03-01T00:00:00Z\",\"TIAFIXTURELOU0000001\",\"FULLY_CORROBORATED\",\"ACCOUNTS_FILING\",\"\"", i / 2).unwrap();
    }
    w.write_all(rr_rows.as_bytes()).unwrap();
    drop(w);
    (l1, rr)
}

/// Runs the import as a child and returns its peak resident memory (KiB) and wall time.
/// The child is reaped by `wait4`, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
fn import_measured(kb: &Path, l1: &Path, rr: &Path) -> (i64, std::time::Duration) {
    let start = std::time::Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_tia"))
        .args([
            "--knowledge",
            kb.to_str().unwrap(),
            "knowledge",
            "import-gleif",
            "--level1",
            l1.to_str().unwrap(),
            "--rr",
            rr.to_str().unwrap(),
            "--repex",
            &fixture(REPEX),
            "--lei",
            SUBSIDIARY,
        ])
        .env_remove("TIA_KNOWLEDGE")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "import failed"
    );
    (usage.ru_maxrss, start.elapsed())
}

#[test]
fn a_twenty_megabyte_golden_copy_imports_in_the_memory_of_a_two_megabyte_one() {
    let dir = knowledge_copy("memory");
    let small = dir.parent().unwrap().join("small");
    let large = dir.parent().unwrap().join("large");
    std::fs::create_dir_all(&small).unwrap();
    std::fs::create_dir_all(&large).unwrap();
    let (l1s, rrs) = write_large(&small, 4_000);
    let (l1l, rrl) = write_large(&large, 40_000);
    let size = std::fs::metadata(&l1l).unwrap().len() + std::fs::metadata(&rrl).unwrap().len();
    assert!(size > 20_000_000, "{size} bytes");
    let (rss_small, _) = import_measured(&dir, &l1s, &rrs);
    let (rss_large, _) = import_measured(&dir, &l1l, &rrl);
    assert!(
        rss_large - rss_small < 4 * 1024,
        "peak memory grew from {rss_small} KiB to {rss_large} KiB with ten times the rows"
    );
    let kb = tia::Knowledge::load_dir(&dir).unwrap();
    assert!(vendor(&kb, SUBSIDIARY).parents.known());
}

/// The real golden copies are gigabytes: about 1 GB of Level 1 and RR rows, imported with the
/// release build. `cargo test --release --test gleif -- --ignored --nocapture`.
#[test]
#[ignore]
fn a_gigabyte_golden_copy_imports_in_flat_memory() {
    let dir = knowledge_copy("gigabyte");
    let data = dir.parent().unwrap().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (l1, rr) = write_large(&data, 2_000_000);
    let size = std::fs::metadata(&l1).unwrap().len() + std::fs::metadata(&rr).unwrap().len();
    let (rss, took) = import_measured(&dir, &l1, &rr);
    println!(
        "import-gleif over {:.2} GB (Level 1 + RR): peak RSS {:.1} MiB, {:.1} s",
        size as f64 / 1e9,
        rss as f64 / 1024.0,
        took.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&data);
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
}
