//! Embeds `knowledge/` into the binary so `tia` works from any directory, each file twice: the
//! YAML as written (for located errors and `knowledge check`) and the same data as JSON, which
//! loads several times faster at start-up. A file that is not valid YAML fails the build. `--knowledge DIR` (or `TIA_KNOWLEDGE`) still loads a
//! folder at run time.
use std::{env, fs, path::Path};

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read knowledge dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, base, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((
                rel,
                path.canonicalize().unwrap().to_string_lossy().into_owned(),
            ));
        }
    }
}

fn main() {
    let base = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("knowledge");
    println!("cargo:rerun-if-changed=knowledge");
    let mut files = Vec::new();
    collect(&base, &base, &mut files);
    let out_dir = Path::new(&env::var("OUT_DIR").unwrap()).join("knowledge-json");
    let mut src = String::from("pub static FILES: &[(&str, &str, &str)] = &[\n");
    for (rel, abs) in files {
        let text = fs::read_to_string(&abs).expect("read a knowledge file");
        // A file that is not valid YAML stops the build with its located error; the checks of
        // meaning (ids, references) run in `tia knowledge check` and the tests.
        let json = match serde_saphyr::from_str::<serde_json::Value>(&text) {
            Ok(v) => v.to_string(),
            Err(e) => {
                let at = e
                    .location()
                    .map(|l| format!("{}:{}", l.line(), l.column()))
                    .unwrap_or_else(|| "1:1".into());
                panic!("knowledge/{rel}:{at}: {e}");
            }
        };
        let json_path = out_dir.join(format!("{}.json", rel.replace('/', "__")));
        fs::create_dir_all(&out_dir).unwrap();
        fs::write(&json_path, json).unwrap();
        src.push_str(&format!(
            "    ({rel:?}, include_str!({abs:?}), include_str!({:?})),\n",
            json_path.to_string_lossy()
        ));
    }
    src.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("knowledge_files.rs"),
        src,
    )
    .unwrap();
    wording();
}

/// The documents', the web pages' and the diagnostics' wording (`templates/{memo,web,diag}/lang/*.yaml`)
/// as JSON, so that a command reads only its language's words, with serde_json, when it needs them.
fn wording() {
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("wording");
    fs::create_dir_all(&out).unwrap();
    for part in ["memo", "web", "diag"] {
        let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("templates")
            .join(part)
            .join("lang");
        println!("cargo:rerun-if-changed={}", dir.display());
        for lang in ["sv", "en", "da"] {
            let file = dir.join(format!("{lang}.yaml"));
            let text = fs::read_to_string(&file).expect("read a wording file");
            let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| {
                let at = e
                    .location()
                    .map(|l| format!("{}:{}", l.line(), l.column()))
                    .unwrap_or_else(|| "1:1".into());
                panic!("templates/{part}/lang/{lang}.yaml:{at}: {e}")
            });
            fs::write(out.join(format!("{part}-{lang}.json")), value.to_string()).unwrap();
        }
    }
}
