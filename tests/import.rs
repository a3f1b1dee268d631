//! `tia import subprocessors`: the three seed annexes, lists of unknown companies, hostile files.

mod common;
use common::{text, tia};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn example(name: &str) -> String {
    format!("{}/examples/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Imports into a new model and returns the JSON report and the written model's text.
fn import_new(list: &str, under: &str, country: &str, out: &Path) -> (Value, String) {
    let o = tia(&[
        "import",
        "subprocessors",
        list,
        "--under",
        under,
        "--controller-country",
        country,
        "--into",
        s(out),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    (report, std::fs::read_to_string(out).unwrap())
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row named {name}"))
}

fn assess_verdict(model: &Path) -> String {
    let o = tia(&["assess", s(model), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    r["verdict"].as_str().unwrap().to_string()
}

#[test]
fn lessor_annex_b1_matches_every_subprocessor_and_the_model_assesses() {
    let d = dir();
    let out = d.path().join("lessor.yaml");
    let (r, yaml) = import_new(&example("lessor-annex-b1.csv"), "lessor-a-s", "DK", &out);
    assert_eq!(r["delimiter"], "tab");
    assert_eq!(r["header_row"], 4, "two title rows and an empty row above");
    assert_eq!(r["counts"]["rows"], 9);
    assert_eq!(r["counts"]["matched"], 9);
    assert_eq!(r["counts"]["not_written"], 0);
    for (name, vendor) in [
        ("Post Danmark A/S", "post-danmark"),
        ("Compaya A/S", "compaya"),
        ("Emply International ApS", "emply"),
        ("InterLogic Danmark ApS", "interlogic"),
        ("NetNordic Denmark A/S", "netnordic-denmark"),
        ("Netic A/S", "netic"),
        ("Trifork Security A/S", "trifork-security"),
        ("Fullview ApS", "fullview"),
    ] {
        let x = row(&r, name);
        assert_eq!(x["vendor"], vendor, "{name}");
        assert_eq!(x["how"], "company_number", "{name}: by its CVR number");
        assert_eq!(x["country"], "DK", "{name}");
    }
    let ovh = row(&r, "OVH Groupe SA");
    assert_eq!(ovh["vendor"], "ovh-groupe");
    assert_eq!(ovh["how"], "name", "no CVR number in its row");
    assert_eq!(ovh["country"], "FR");
    // The Lokation(er) column names Gdańsk, Polen and Solna, Sverige.
    assert_eq!(
        row(&r, "InterLogic Danmark ApS")["locations"],
        serde_json::json!(["DK", "PL"])
    );
    assert_eq!(
        row(&r, "NetNordic Denmark A/S")["locations"],
        serde_json::json!(["DK", "SE"])
    );
    assert!(yaml.contains(
        "# imported from lessor-annex-b1.csv:5: catalogue `post-danmark` by company number"
    ));
    assert!(yaml.contains("TO CONFIRM"), "placeholders are marked");
    assert!(!assess_verdict(&out).is_empty());
}

#[test]
fn evovia_list_matches_all_six_by_cvr_vat_and_business_id() {
    let d = dir();
    let out = d.path().join("evovia.yaml");
    let (r, _) = import_new(&example("evovia-subprocessors.csv"), "evovia", "DK", &out);
    assert_eq!(r["delimiter"], ",");
    assert_eq!(r["counts"]["matched"], 6);
    let hetzner = row(&r, "Hetzner Online GmbH");
    assert_eq!(hetzner["vendor"], "hetzner-online");
    assert_eq!(
        hetzner["how"], "company_number",
        "CVR DE 812871812 is its VAT number"
    );
    assert_eq!(hetzner["country"], "DE");
    assert_eq!(hetzner["row"], 3, "lines count right after a BOM and CRLF");
    let fi = row(&r, "Hetzner Finland Oy");
    assert_eq!(fi["vendor"], "hetzner-finland");
    assert_eq!(fi["country"], "FI");
    assert_eq!(row(&r, "Traels.it")["vendor"], "traels-it");
    assert_eq!(row(&r, "Scannet")["vendor"], "scannet");
    assert_eq!(row(&r, "Cloud Factory A/S")["vendor"], "cloud-factory");
    assert_eq!(row(&r, "SMTP.dk")["vendor"], "smtp-dk");
    assert!(!assess_verdict(&out).is_empty());
}

#[test]
fn lasia_bilaga2_matches_by_name_and_lists_learnifier_for_confirmation() {
    let d = dir();
    let out = d.path().join("lasia.yaml");
    let (r, yaml) = import_new(&example("lasia-bilaga2.csv"), "lasia", "SE", &out);
    assert_eq!(r["delimiter"], ";");
    assert_eq!(r["header_row"], 3);
    for (name, vendor) in [
        ("Elastx AB", "elastx"),
        ("TeamViewer Germany GmbH", "teamviewer-germany"),
        ("Cygate", "cygate"),
    ] {
        let x = row(&r, name);
        assert_eq!(x["vendor"], vendor, "{name}");
        assert_eq!(x["how"], "name");
    }
    let learnifier = row(&r, "Learnifier");
    assert_eq!(
        learnifier["status"], "not_written",
        "not in the catalogue, no country"
    );
    assert!(
        learnifier.get("country").is_none(),
        "never assumed to be in the EU"
    );
    assert!(!yaml.contains("Learnifier"));
    assert_eq!(assess_verdict(&out), "acceptable_with_measures");
}

#[test]
fn import_into_an_existing_model_in_place_keeps_its_text_and_adds_the_rest() {
    let d = dir();
    let base = d.path().join("lessor.yaml");
    let original = "# Our Lessor model, written by hand.\n\
        controller:\n  name: Eksempel Kommune   # kept as written\n  country: DK\n  kind: public_body\n\
        processing:\n  purpose: Løn\n  data_subjects: [employees]\n  data_categories: [identity, salary]\n\
        parties:\n- id: lessor\n  vendor: lessor-a-s\n  role: processor\n\
        # Compaya is already modelled.\n- id: sms\n  vendor: compaya\n  role: subprocessor\n\
        flows:\n- {from: controller, to: lessor, access: cleartext}\n- {from: lessor, to: sms, access: cleartext}\n";
    std::fs::write(&base, original).unwrap();
    let o = tia(&[
        "import",
        "subprocessors",
        &example("lessor-annex-b1.csv"),
        "--under",
        "lessor",
        "--model",
        s(&base),
        "--in-place",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let after = std::fs::read_to_string(&base).unwrap();
    // Every original line is still there, in order.
    let mut lines = after.lines();
    for l in original.lines() {
        assert!(lines.any(|a| a == l), "line kept: {l}\n---\n{after}");
    }
    assert!(
        after.contains("- id: \"post-danmark\"\n  vendor: \"post-danmark\""),
        "items indented like the model's"
    );
    assert_eq!(
        after.matches("vendor: \"compaya\"").count(),
        0,
        "Compaya is not added twice"
    );
    assert!(text(&o.stdout).contains("already a party of the model as `sms`"));
    assert!(!assess_verdict(&base).is_empty());
}

#[test]
fn unknown_companies_get_a_guessed_country_and_known_names_match() {
    let d = dir();
    let list = d.path().join("list.csv");
    std::fs::write(
        &list,
        "Name,Company number,Address,Country,Service\n\
         Eksempel Hosting ApS,CVR 12345678,,,Hosting\n\
         Exempel Drift AB,556677-8899,,,Drift\n\
         Beispiel Rechenzentrum GmbH,,\"Hauptstraße 1, 10115 Berlin, Germany\",,Backup\n\
         Exemplo Lda,,,Portugal,Support\n\
         Microsoft Ireland,,,,E-mail\n\
         Microsoft,,,,Teams\n\
         Nobody Knows Ltd,,,,Something\n",
    )
    .unwrap();
    let out = d.path().join("m.yaml");
    let (r, yaml) = import_new(s(&list), "lasia", "SE", &out);
    let dk = row(&r, "Eksempel Hosting ApS");
    assert_eq!(
        (dk["status"].as_str(), dk["country"].as_str()),
        (Some("unmatched"), Some("DK"))
    );
    assert_eq!(dk["country_from"], "company_number");
    assert_eq!(dk["country_guessed"], true);
    let se = row(&r, "Exempel Drift AB");
    assert_eq!(
        (se["country"].as_str(), se["country_guessed"].as_bool()),
        (Some("SE"), Some(true))
    );
    let de = row(&r, "Beispiel Rechenzentrum GmbH");
    assert_eq!(
        (de["country"].as_str(), de["country_from"].as_str()),
        (Some("DE"), Some("address"))
    );
    let pt = row(&r, "Exemplo Lda");
    assert_eq!(
        (pt["country"].as_str(), pt["country_guessed"].as_bool()),
        (Some("PT"), Some(false))
    );
    let ms = row(&r, "Microsoft Ireland");
    assert_eq!(ms["vendor"], "microsoft-ireland");
    assert_eq!(ms["how"], "name");
    assert!(ms["score"].as_f64().unwrap() >= 0.9);
    // A bare brand that several catalogue entities carry is a candidate list, not a match.
    let bare = row(&r, "Microsoft");
    assert_eq!(bare["status"], "not_written");
    let cands: Vec<&str> = bare["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["vendor"].as_str().unwrap())
        .collect();
    assert!(
        cands.contains(&"microsoft-corp") && cands.contains(&"microsoft-ireland"),
        "{cands:?}"
    );
    let nobody = row(&r, "Nobody Knows Ltd");
    assert_eq!(nobody["status"], "not_written");
    assert_eq!(r["counts"]["guessed"], 3);
    assert!(
        yaml.contains("# country guessed from the CVR-nummer"),
        "{yaml}"
    );
    assert!(yaml.contains("incorporated: \"DK\""));
    assert!(!yaml.contains("Nobody Knows"));
    assert!(!assess_verdict(&out).is_empty());
}

#[test]
fn formula_cells_stay_inert_quoted_text_and_are_flagged() {
    let d = dir();
    let list = d.path().join("evil.csv");
    std::fs::write(
        &list,
        "Navn;Land;Ydelse\n\
         =cmd|' /C calc'!A0;DK;=HYPERLINK(\"http://example.invalid\")\n\
         @SUM(1+1)*cmd|' /C calc'!A0;DK;Hosting\n\
         +1;DK;Hosting\n\
         -1;DK;\"Two\nlines: {x: 1} # not a comment\"\n",
    )
    .unwrap();
    let out = d.path().join("m.yaml");
    let (r, yaml) = import_new(s(&list), "lasia", "SE", &out);
    assert_eq!(r["counts"]["flagged"], 4);
    for name in [
        "=cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1",
        "-1",
    ] {
        let x = row(&r, name);
        assert!(
            !x["formula_cells"].as_array().unwrap().is_empty(),
            "{name} flagged"
        );
        assert_eq!(x["status"], "unmatched");
    }
    assert!(yaml.contains("name: \"=cmd|' /C calc'!A0\""));
    assert!(yaml.contains("service: \"=HYPERLINK(\\\"http://example.invalid\\\")\""));
    // Every value taken from the list is quoted.
    for l in yaml.lines() {
        let t = l.trim_start().trim_start_matches("- ");
        if let Some(v) = t
            .strip_prefix("name: ")
            .or_else(|| t.strip_prefix("service: "))
        {
            assert!(v.starts_with('"'), "quoted: {l}");
        }
    }
    // The engine reads the names back as the same text.
    let kb = tia::load_knowledge(None).unwrap();
    let model = tia::load_model_file(&out, &kb).unwrap();
    let names: Vec<&str> = model
        .parties
        .iter()
        .map(|p| p.name.value.as_str())
        .collect();
    for name in ["=cmd|' /C calc'!A0", "+1", "-1"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let minus = model.parties.iter().find(|p| p.name.value == "-1").unwrap();
    // A line break in a cell becomes a space: YAML syntax in it stays text.
    assert_eq!(
        minus.service.as_deref(),
        Some("Two lines: {x: 1} # not a comment")
    );
}

#[test]
fn a_latin1_file_is_refused_at_the_first_bad_byte_and_nothing_is_written() {
    let d = dir();
    let list = d.path().join("latin1.csv");
    std::fs::write(&list, b"Navn;CVR\nK\xf8benhavn Hosting ApS;12345678\n").unwrap();
    let out = d.path().join("m.yaml");
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--under",
        "lasia",
        "--controller-country",
        "SE",
        "--into",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("latin1.csv:2:2: the file is not UTF-8: byte 0xF8"),
        "{err}"
    );
    assert!(err.contains("`ø`"), "names the Latin-1 reading: {err}");
    assert!(err.contains("iconv -f WINDOWS-1252"), "{err}");
    assert!(!out.exists());
}

#[test]
fn empty_rows_and_title_rows_are_skipped() {
    let d = dir();
    let list = d.path().join("gaps.csv");
    std::fs::write(
        &list,
        "\u{feff}Underbiträden 2026;;\n;;\n\nNamn;Org.nr;Tjänst\n;;\nElastx AB;556906-5617;Lagring\n\n;  ;\nCygate AB;;Drift\n",
    )
    .unwrap();
    let out = d.path().join("m.yaml");
    let (r, _) = import_new(s(&list), "lasia", "SE", &out);
    assert_eq!(r["header_row"], 4);
    assert_eq!(r["counts"]["rows"], 2);
    assert_eq!(
        r["counts"]["empty_rows_skipped"], 2,
        "the blank line is no record at all"
    );
    assert_eq!(row(&r, "Elastx AB")["how"], "company_number");
    assert_eq!(row(&r, "Cygate AB")["row"], 9);
}

#[test]
fn a_file_without_a_recognisable_header_is_refused_listing_the_headers() {
    let d = dir();
    let list = d.path().join("nohead.csv");
    std::fs::write(&list, "Foo,Bar\nElastx AB,556906-5617\n").unwrap();
    let out = d.path().join("m.yaml");
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--under",
        "lasia",
        "--controller-country",
        "SE",
        "--into",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("nohead.csv:1:1: no header row found"), "{err}");
    for word in [
        "underdatabehandler",
        "organisationsnummer",
        "cvr",
        "lokation",
        "ydelse",
    ] {
        assert!(err.contains(word), "hint lists {word}: {err}");
    }
    assert!(!out.exists());
}

#[test]
fn a_list_of_100000_rows_is_refused_and_the_model_is_left_as_it_was() {
    let d = dir();
    let list = d.path().join("big.csv");
    let mut body = String::from("Name,Company number,Country\n");
    for i in 0..100_000 {
        body.push_str(&format!("Company {i} ApS,{:08},DK\n", 10_000_000 + i));
    }
    std::fs::write(&list, body).unwrap();
    let base = d.path().join("model.yaml");
    let original = std::fs::read(format!(
        "{}/examples/lasia-2026.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    std::fs::write(&base, &original).unwrap();
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--under",
        "lasia",
        "--model",
        s(&base),
        "--in-place",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("the list has more than 10000 rows"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(std::fs::read(&base).unwrap(), original);
}

fn write_xlsx(path: &PathBuf) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let cover = wb.add_worksheet().set_name("Forside").unwrap();
    cover
        .write_string(0, 0, "Databehandleraftale, bilag B")
        .unwrap();
    let sheet = wb.add_worksheet().set_name("Underdatabehandlere").unwrap();
    sheet
        .write_string(0, 0, "Bilag B.1 Godkendte underdatabehandlere")
        .unwrap();
    for (c, h) in ["Underdatabehandler", "CVR", "Lokation", "Ydelse"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    sheet.write_string(3, 0, "Netic A/S").unwrap();
    sheet.write_number(3, 1, 26762642.0).unwrap();
    sheet.write_string(3, 2, "Aalborg, Danmark").unwrap();
    sheet.write_string(3, 3, "Hosting").unwrap();
    sheet.write_string(5, 0, "=cmd|' /C calc'!A0").unwrap();
    sheet.write_string(5, 2, "Danmark").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn an_xlsx_list_is_read_from_the_named_sheet() {
    let d = dir();
    let list = d.path().join("bilag.xlsx");
    write_xlsx(&list);
    let out = d.path().join("m.yaml");
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--sheet",
        "Underdatabehandlere",
        "--under",
        "lessor-a-s",
        "--controller-country",
        "DK",
        "--into",
        s(&out),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["format"], "xlsx");
    assert_eq!(r["header_row"], 3);
    let netic = row(&r, "Netic A/S");
    assert_eq!(netic["vendor"], "netic");
    assert_eq!(
        netic["how"], "company_number",
        "a numeric cell reads as 26762642"
    );
    assert_eq!(netic["row"], 4);
    let evil = row(&r, "=cmd|' /C calc'!A0");
    assert_eq!(evil["row"], 6, "the empty row 5 is skipped");
    assert!(!evil["formula_cells"].as_array().unwrap().is_empty());
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("name: \"=cmd|' /C calc'!A0\""));

    // The first sheet is a cover page without a header; an unknown sheet is named.
    let out2 = d.path().join("m2.yaml");
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--under",
        "lessor-a-s",
        "--controller-country",
        "DK",
        "--into",
        s(&out2),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no header row found"));
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--sheet",
        "Underdatabehandler",
        "--under",
        "lessor-a-s",
        "--controller-country",
        "DK",
        "--into",
        s(&out2),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean `Underdatabehandlere`?"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out2.exists());
}

#[test]
fn bad_arguments_are_refused_with_a_hint() {
    let d = dir();
    let existing = d.path().join("exists.yaml");
    std::fs::write(&existing, "x").unwrap();
    let list = example("evovia-subprocessors.csv");
    let o = tia(&[
        "import",
        "subprocessors",
        &list,
        "--under",
        "evovia",
        "--controller-country",
        "DK",
        "--into",
        s(&existing),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "x");
    let model = format!("{}/examples/evovia.yaml", env!("CARGO_MANIFEST_DIR"));
    let o = tia(&[
        "import",
        "subprocessors",
        &list,
        "--under",
        "evovai",
        "--model",
        &model,
        "-o",
        s(&d.path().join("o.yaml")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean `evovia`?"),
        "{}",
        text(&o.stderr)
    );
    let o = tia(&["import", "subprocessors", &list, "--under", "evovia"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("say where to write"));
}

#[test]
fn importing_the_same_list_twice_adds_nothing_the_second_time() {
    let d = dir();
    let list = d.path().join("list.csv");
    std::fs::write(
        &list,
        "Leverandør;CVR;Adresse\nEksempel Hosting ApS;CVR 12345678;Vej 1, 8000 Aarhus C, Danmark\nEksempel Hosting ApS;CVR 12345678;\nNetic A/S;26762642;\n",
    )
    .unwrap();
    let model = d.path().join("m.yaml");
    let (first, _) = import_new(s(&list), "lessor-a-s", "DK", &model);
    assert_eq!(
        first["counts"]["parties_added"], 2,
        "the repeated row is one party"
    );
    let once = std::fs::read_to_string(&model).unwrap();
    let o = tia(&[
        "import",
        "subprocessors",
        s(&list),
        "--under",
        "lessor-a-s",
        "--model",
        s(&model),
        "--in-place",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let again: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(again["counts"]["parties_added"], 0);
    assert_eq!(again["counts"]["flows_added"], 0);
    assert_eq!(std::fs::read_to_string(&model).unwrap(), once);
}
