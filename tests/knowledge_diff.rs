//! `tia knowledge diff`: a copy of knowledge/ altered in a temporary folder lists exactly the
//! entries that were added, removed and changed, with the fields that changed, in text and JSON.

mod common;
use common::copy_dir;
use std::path::{Path, PathBuf};
use std::process::Command;
use tia::knowledge::diff::{diff, ChangeKind, RawKnowledge};

fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(old), "{} contains {old:?}", path.display());
    std::fs::write(path, text.replacen(old, new, 1)).unwrap();
}

/// knowledge/ copied twice: `old` as is, `new` with one vendor changed, one law removed, one
/// source added and the version bumped.
fn two_versions() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    copy_dir(Path::new("knowledge"), &old);
    copy_dir(Path::new("knowledge"), &new);
    edit(
        &new.join("meta.yaml"),
        "as_of: ",
        "as_of: 2027-01-02\n# was: ",
    );
    // A vendor's DPF status read on the list.
    edit(
        &new.join("vendors/zoom.yaml"),
        "  dpf:\n    status: unknown\n",
        "  dpf:\n    status: active\n    checked: 2027-01-02\n    covers: [non_hr]\n",
    );
    // A law removed: drop Russia's file.
    std::fs::remove_file(new.join("laws/ru.yaml")).unwrap();
    // A source added.
    let extra = "- id: test-added-source\n  title: A source added in the new version\n  as_of: 2027-01-02\n";
    std::fs::write(new.join("sources/zz-added.yaml"), extra).unwrap();
    (dir, old, new)
}

#[test]
fn the_diff_lists_added_removed_and_changed_entries_with_the_changed_fields() {
    let (_dir, old, new) = two_versions();
    let d = diff(
        &RawKnowledge::load_dir(&old).unwrap(),
        &RawKnowledge::load_dir(&new).unwrap(),
    );
    let find = |kind: &str, id: &str| {
        d.changes
            .iter()
            .find(|c| c.kind == kind && c.id == id)
            .unwrap_or_else(|| panic!("{kind} {id} in {:#?}", d.changes))
    };
    let zoom = find("vendors", "zoom-communications");
    assert_eq!(zoom.change, ChangeKind::Changed);
    let fields: Vec<&str> = zoom.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["dpf"]);
    assert_eq!(zoom.fields[0].new["status"], "active");
    assert_eq!(zoom.fields[0].old["status"], "unknown");
    assert_eq!(
        find("sources", "test-added-source").change,
        ChangeKind::Added
    );
    let removed: Vec<&str> = d
        .changes
        .iter()
        .filter(|c| c.change == ChangeKind::Removed)
        .map(|c| c.id.as_str())
        .collect();
    let ru: Vec<String> = std::fs::read_to_string("knowledge/laws/ru.yaml")
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("- id: ").map(str::to_string))
        .collect();
    assert!(!ru.is_empty());
    assert_eq!(removed, ru, "exactly Russia's laws are removed");
    assert!(d
        .changes
        .iter()
        .filter(|c| c.change == ChangeKind::Removed)
        .all(|c| c.kind == "laws"));
    assert_eq!(find("meta", "meta").change, ChangeKind::Changed);
    assert_eq!(d.to.as_of, "2027-01-02");
    // Nothing else moved.
    let others = d
        .changes
        .iter()
        .filter(|c| !matches!(c.kind.as_str(), "laws" | "meta" | "sources" | "vendors"))
        .count();
    assert_eq!(others, 0, "{:#?}", d.changes);
}

#[test]
fn identical_folders_have_no_differences() {
    let (_dir, old, _) = two_versions();
    let a = RawKnowledge::load_dir(&old).unwrap();
    let b = RawKnowledge::load_dir(Path::new("knowledge")).unwrap();
    assert!(diff(&a, &b).changes.is_empty());
}

#[test]
fn the_command_prints_text_and_json_and_compares_with_the_embedded_knowledge() {
    let (_dir, old, new) = two_versions();
    let tia = env!("CARGO_BIN_EXE_tia");
    let out = Command::new(tia)
        .args(["knowledge", "diff"])
        .arg(&old)
        .arg("--to")
        .arg(&new)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("changed vendors `zoom-communications`: dpf"),
        "{text}"
    );
    assert!(
        text.contains("added   sources `test-added-source`"),
        "{text}"
    );

    let out = Command::new(tia)
        .args(["knowledge", "diff", "--from"])
        .arg(&new)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["to"]["origin"], "embedded");
    let changes = v["changes"].as_array().unwrap();
    // From the altered copy back to the embedded knowledge: the added source is removed again.
    assert!(changes
        .iter()
        .any(|c| c["id"] == "test-added-source" && c["change"] == "removed"));
    assert!(changes
        .iter()
        .any(|c| c["kind"] == "laws" && c["change"] == "added"));
}

#[test]
fn a_folder_written_for_an_older_schema_can_still_be_compared() {
    // The typed loader would refuse an unknown field; the diff reads plain data.
    let (_dir, old, new) = two_versions();
    edit(
        &old.join("vendors/zoom.yaml"),
        "  dpf:\n    status: unknown\n",
        "  dpf_certified: true\n  dpf:\n    status: unknown\n",
    );
    assert!(tia::knowledge::Knowledge::load_dir(&old).is_err());
    let d = diff(
        &RawKnowledge::load_dir(&old).unwrap(),
        &RawKnowledge::load_dir(&new).unwrap(),
    );
    let zoom = d
        .changes
        .iter()
        .find(|c| c.id == "zoom-communications")
        .unwrap();
    let fields: Vec<&str> = zoom.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["dpf", "dpf_certified"]);
}

#[test]
fn a_git_revision_can_be_compared() {
    // The version before 2026.12.2 still marked Microsoft Corporation as DPF-certified.
    let Ok(old) = RawKnowledge::load_git("65fac30") else {
        eprintln!("skipped: not a git checkout with that revision");
        return;
    };
    let new = RawKnowledge::load_dir(Path::new("knowledge")).unwrap();
    let d = diff(&old, &new);
    assert_eq!(d.from.version, "2026.12.1");
    assert_eq!(d.from.origin, "git:65fac30");
    let ms = d
        .changes
        .iter()
        .find(|c| c.kind == "vendors" && c.id == "microsoft-corp")
        .unwrap();
    let fields: Vec<&str> = ms.fields.iter().map(|f| f.field.as_str()).collect();
    assert!(
        fields.contains(&"dpf") && fields.contains(&"dpf_certified"),
        "{fields:?}"
    );
    assert!(d
        .changes
        .iter()
        .any(|c| c.kind == "rules" && c.id == "DPF-UNKNOWN" && c.change == ChangeKind::Added));
    assert!(RawKnowledge::load_git("no-such-revision-xyz").is_err());
}
