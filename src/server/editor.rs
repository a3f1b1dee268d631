//! The model in the browser: a form for the controller, the processing, the parties, the flows
//! and the measures, with the knowledge's choices in lists. The form is read back into the
//! model (`ModelInput`), and the model text is rewritten from the version it started from
//! ([`crate::model::write::rewrite`]): what the form did not change keeps its text and comments.
//! A field the form cannot show (ownership, agreement terms, the risk estimate) is carried over
//! from that version unchanged. The same checks as for a pasted model then judge it; saving adds
//! a version to the register, as always.
//!
//! Works without JavaScript: the form always has empty rows to add a party or a flow, and
//! "Preview" re-draws it with the assessment beside it. A little script adds rows on demand.

use crate::diag::{Diagnostic, Text};
use crate::knowledge::catalog::{self, Kind};
use crate::knowledge::Knowledge;
use crate::model::input::{
    AssessmentInput, CategoryRef, ContactInput, ControllerInput, FlowInput, MarkedCategory,
    ModelInput, OneOrMany, PartyInput, ProcessingInput, ScaleInput, ToolEntry, TransferTool,
};
use crate::model::Lang;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The file name diagnostics of the form's own fields carry.
pub const FORM: &str = "form";
/// Empty rows the form always offers for a new party or flow.
pub const BLANK_ROWS: usize = 2;
/// At most this many party or flow rows are read from one form.
pub const MAX_ROWS: usize = 2000;

/// A submitted form: every field by name, in order (a checkbox group repeats its name).
#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .collect()
    }
    fn has_row(&self, prefix: &str) -> bool {
        self.0.iter().any(|(k, _)| k.starts_with(prefix))
    }
}

/// The model being edited, with where each party and flow came from: the id a party had in the
/// starting version (`None`: added in the form) and a flow's place there.
#[derive(Debug, Clone)]
pub struct Edit {
    pub model: ModelInput,
    pub party_keys: Vec<Option<String>>,
    pub flow_keys: Vec<Option<usize>>,
}

impl Edit {
    /// The starting point: every party and flow is its own.
    pub fn of(model: ModelInput) -> Edit {
        Edit {
            party_keys: model.parties.iter().map(|p| Some(p.id.clone())).collect(),
            flow_keys: (0..model.flows.len()).map(Some).collect(),
            model,
        }
    }
}

/// An empty model: what a new system's form starts from.
pub fn empty_model() -> ModelInput {
    serde_json::from_str("{}").expect("every field of a model has a default")
}

/// A text field read back: what the user left as it was keeps its value exactly; an emptied
/// field is gone.
fn text(f: &Fields, name: &str, orig: Option<&String>) -> Option<String> {
    let sent = f.get(name).trim();
    if sent == orig.map_or("", |o| o.trim()) {
        return orig.cloned();
    }
    (!sent.is_empty()).then(|| f.get(name).trim().replace("\r\n", "\n"))
}

/// A required text field.
fn text_req(f: &Fields, name: &str, orig: &str) -> String {
    let sent = f.get(name).trim();
    if sent == orig.trim() {
        orig.to_string()
    } else {
        sent.replace("\r\n", "\n")
    }
}

/// Codes written with commas or spaces: `SE, IE`.
fn codes(s: &str) -> Vec<String> {
    s.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn code_list(f: &Fields, name: &str, orig: &Option<Vec<String>>) -> Option<Vec<String>> {
    let sent = codes(f.get(name));
    if Some(&sent) == orig.as_ref() || (sent.is_empty() && orig.as_ref().is_some_and(Vec::is_empty))
    {
        return orig.clone();
    }
    (!sent.is_empty()).then_some(sent)
}

/// A checkbox group: the ids still chosen keep their order, new ones follow.
fn pick(chosen: &[&str], orig: &[String]) -> Vec<String> {
    let mut out: Vec<String> = orig
        .iter()
        .filter(|o| chosen.contains(&o.as_str()))
        .cloned()
        .collect();
    for c in chosen {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

fn enum_value<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(Value::String(s.to_string())).ok()
}

/// A problem with one of the form's own fields: the field's name travels as the message's
/// `field` argument, so the page shows it there.
fn problem(field: &str, message: Text, expected: &'static str) -> Diagnostic {
    Diagnostic::text(FORM, (1, 1), message.arg("field", field))
        .expected_text(Text::expected(expected))
}

/// A date field (`YYYY-MM-DD`, as a browser's date input sends it): empty is none; anything
/// else that is not a date is a problem at `at`, shown again as typed, and `orig` is kept.
fn date_field(
    f: &Fields,
    name: &str,
    at: &str,
    orig: Option<chrono::NaiveDate>,
    raw: &mut BTreeMap<String, String>,
    problems: &mut Vec<Diagnostic>,
) -> Option<chrono::NaiveDate> {
    match f.get(name).trim() {
        "" => None,
        d => match d.parse::<chrono::NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                raw.insert(at.to_string(), d.to_string());
                problems.push(problem(
                    at,
                    Text::message("form_not_a_date").arg("value", d),
                    "form_date",
                ));
                orig
            }
        },
    }
}

/// The form read back into the model, starting from `base` (the version it was opened on).
/// Problems with the form's own fields (a number that is not one, a date, an unknown transfer
/// tool) are returned together; the model's meaning is checked afterwards by the usual checks.
pub fn read(f: &Fields, base: &ModelInput) -> Read {
    let mut problems = Vec::new();
    // What was sent for a field with a problem, to show it again as typed.
    let mut raw: BTreeMap<String, String> = BTreeMap::new();
    let mut m = base.clone();

    // The assessment.
    let a = base.assessment.clone();
    let title = text(f, "assessment.title", a.as_ref().map(|a| &a.title));
    let assessment = AssessmentInput {
        title: title.clone().unwrap_or_default(),
        reference: text(
            f,
            "assessment.reference",
            a.as_ref().and_then(|a| a.reference.as_ref()),
        ),
        language: match f.get("assessment.language") {
            "" => None,
            l => Lang::from_code(l),
        },
        policy: text(
            f,
            "assessment.policy",
            a.as_ref().and_then(|a| a.policy.as_ref()),
        ),
        description: text(
            f,
            "assessment.description",
            a.as_ref().and_then(|a| a.description.as_ref()),
        ),
        next_review: date_field(
            f,
            "assessment.next_review",
            "assessment.next_review",
            a.as_ref().and_then(|a| a.next_review),
            &mut raw,
            &mut problems,
        ),
    };
    m.assessment = (a.is_some()
        || title.is_some()
        || assessment.reference.is_some()
        || assessment.language.is_some()
        || assessment.policy.is_some()
        || assessment.description.is_some()
        || assessment.next_review.is_some())
    .then_some(assessment);

    // The controller.
    let c = base.controller.clone();
    let dpo = c.as_ref().and_then(|c| c.dpo.clone());
    let contact = ContactInput {
        name: text(
            f,
            "controller.dpo_name",
            dpo.as_ref().and_then(|d| d.name.as_ref()),
        ),
        email: text(
            f,
            "controller.dpo_email",
            dpo.as_ref().and_then(|d| d.email.as_ref()),
        ),
        phone: dpo.as_ref().and_then(|d| d.phone.clone()),
    };
    let controller = ControllerInput {
        name: text_req(f, "controller.name", c.as_ref().map_or("", |c| &c.name)),
        country: code_case(text_req(
            f,
            "controller.country",
            c.as_ref().map_or("", |c| &c.country),
        )),
        kind: match f.get("controller.kind") {
            "" => None,
            k => enum_value(k),
        },
        public_body: c.as_ref().and_then(|c| c.public_body),
        org_number: text(
            f,
            "controller.org_number",
            c.as_ref().and_then(|c| c.org_number.as_ref()),
        ),
        dpo: (dpo.is_some() || contact.name.is_some() || contact.email.is_some())
            .then_some(contact),
        decision_body: text(
            f,
            "controller.decision_body",
            c.as_ref().and_then(|c| c.decision_body.as_ref()),
        ),
        assignee: c.as_ref().and_then(|c| c.assignee.clone()),
        report_back_by: c.as_ref().and_then(|c| c.report_back_by),
    };
    if let Some(orig) = &c {
        // Keep the country exactly as written when only its case differs.
        if controller.country.eq_ignore_ascii_case(&orig.country) {
            m.controller = Some(ControllerInput {
                country: orig.country.clone(),
                ..controller
            });
        } else {
            m.controller = Some(controller);
        }
    } else {
        m.controller = (!controller.name.is_empty()
            || !controller.country.is_empty()
            || controller.kind.is_some())
        .then_some(controller);
    }

    // The processing.
    let p = base.processing.clone();
    let orig_cats: Vec<CategoryRef> = p.as_ref().map_or(Vec::new(), |p| p.data_categories.clone());
    let cat_ids: Vec<String> = orig_cats.iter().map(|c| c.id().to_string()).collect();
    let chosen_cats = f.all("processing.data_categories");
    let not_needed = f.all("processing.not_needed");
    let data_categories: Vec<CategoryRef> = pick(&chosen_cats, &cat_ids)
        .into_iter()
        .map(|id| {
            let was = orig_cats.iter().find(|c| c.id() == id);
            let needed = !not_needed.contains(&id.as_str());
            match was {
                Some(CategoryRef::Id(_)) if needed => CategoryRef::Id(id),
                Some(CategoryRef::Marked(mc)) if mc.necessary == needed => {
                    CategoryRef::Marked(mc.clone())
                }
                _ if needed => CategoryRef::Id(id),
                _ => CategoryRef::Marked(MarkedCategory {
                    id,
                    necessary: false,
                }),
            }
        })
        .collect();
    let subjects_sent = f.get("processing.subjects").trim();
    let orig_scale = p.as_ref().and_then(|p| p.scale.clone());
    let subjects = if subjects_sent.is_empty() {
        None
    } else {
        match subjects_sent.replace([' ', '\u{a0}'], "").parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                raw.insert("processing.subjects".into(), subjects_sent.to_string());
                problems.push(problem(
                    "processing.subjects",
                    Text::message("form_not_a_number").arg("value", subjects_sent),
                    "form_number",
                ));
                None
            }
        }
    };
    let scale = match (&orig_scale, subjects) {
        (Some(s), n) if s.subjects == n => Some(s.clone()),
        (Some(s), n) => Some(ScaleInput {
            subjects: n,
            ..s.clone()
        }),
        (None, Some(n)) => Some(ScaleInput {
            subjects: Some(n),
            large_scale: None,
        }),
        (None, None) => None,
    };
    let processing = ProcessingInput {
        purpose: text_req(
            f,
            "processing.purpose",
            p.as_ref().map_or("", |p| &p.purpose),
        ),
        legal_basis: text(
            f,
            "processing.legal_basis",
            p.as_ref().and_then(|p| p.legal_basis.as_ref()),
        ),
        necessity: p.as_ref().and_then(|p| p.necessity.clone()),
        means: text(
            f,
            "processing.means",
            p.as_ref().and_then(|p| p.means.as_ref()),
        ),
        data_subjects: pick(
            &f.all("processing.data_subjects"),
            p.as_ref().map_or(&[][..], |p| &p.data_subjects),
        ),
        data_categories,
        participation: match f.get("processing.participation") {
            "" => None,
            v => enum_value(v),
        },
        scale,
        dpia_criteria: p.as_ref().map_or(Vec::new(), |p| p.dpia_criteria.clone()),
        measures: pick(
            &f.all("processing.measures"),
            p.as_ref().map_or(&[][..], |p| &p.measures),
        ),
    };
    m.processing = (p.is_some()
        || !processing.purpose.is_empty()
        || !processing.data_categories.is_empty()
        || !processing.data_subjects.is_empty())
    .then_some(processing);

    // The parties, by the id each had in the starting version.
    let by_id: HashMap<&str, &PartyInput> =
        base.parties.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut parties = Vec::new();
    let mut party_keys = Vec::new();
    let mut renamed: HashMap<String, String> = HashMap::new();
    for i in 0..MAX_ROWS {
        let k = |field: &str| format!("p{i}.{field}");
        if !f.has_row(&format!("p{i}.")) {
            break;
        }
        let key = f.get(&k("key"));
        let orig = by_id.get(key).copied();
        if !f.get(&k("remove")).is_empty() {
            continue;
        }
        let fresh = PartyInput {
            id: String::new(),
            name: None,
            vendor: None,
            lei: None,
            role: crate::model::input::Role::Subprocessor,
            incorporated: None,
            parents: None,
            ownership_source: None,
            locations: None,
            access_locations: None,
            dpf_certified: None,
            needs_cleartext: None,
            service: None,
            dpa: None,
            alternatives: Vec::new(),
            announced: None,
        };
        let o = orig.cloned().unwrap_or(fresh);
        let mut id = text_req(f, &k("id"), &o.id);
        let vendor = text(f, &k("vendor"), o.vendor.as_ref());
        let name = text(f, &k("name"), o.name.as_ref());
        let lei = text(f, &k("lei"), o.lei.as_ref());
        let service = text(f, &k("service"), o.service.as_ref());
        let incorporated = text(f, &k("incorporated"), o.incorporated.as_ref()).map(|c| {
            if Some(&c) == o.incorporated.as_ref() {
                c
            } else {
                code_case(c)
            }
        });
        let locations = code_list(f, &k("locations"), &o.locations).map(|l| {
            if Some(&l) == o.locations.as_ref() {
                l
            } else {
                upper(l)
            }
        });
        let access_locations = code_list(f, &k("access_locations"), &o.access_locations).map(|l| {
            if Some(&l) == o.access_locations.as_ref() {
                l
            } else {
                upper(l)
            }
        });
        if orig.is_none()
            && id.is_empty()
            && vendor.is_none()
            && name.is_none()
            && lei.is_none()
            && service.is_none()
            && incorporated.is_none()
        {
            continue; // an empty row
        }
        if id.is_empty() {
            let mut taken: std::collections::HashSet<String> =
                parties.iter().map(|p: &PartyInput| p.id.clone()).collect();
            let from = vendor.as_deref().or(name.as_deref()).or(lei.as_deref());
            id = crate::import::unique_id(&crate::import::slug(from.unwrap_or("")), &mut taken);
        }
        let announced = date_field(
            f,
            &k("announced"),
            &format!("p{}.announced", parties.len()),
            o.announced,
            &mut raw,
            &mut problems,
        );
        let party = PartyInput {
            id: id.clone(),
            name,
            vendor,
            lei,
            role: enum_value(f.get(&k("role"))).unwrap_or(o.role),
            incorporated,
            locations,
            access_locations,
            dpf_certified: match f.get(&k("dpf")) {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            service,
            announced,
            ..o
        };
        if let Some(orig) = orig {
            if orig.id != id {
                renamed.insert(orig.id.clone(), id.clone());
            }
        }
        party_keys.push(orig.map(|o| o.id.clone()));
        parties.push(party);
    }
    m.parties = parties;

    // The flows, by their place in the starting version; a renamed party's flows follow it.
    let mut flows = Vec::new();
    let mut flow_keys = Vec::new();
    for i in 0..MAX_ROWS {
        let k = |field: &str| format!("f{i}.{field}");
        if !f.has_row(&format!("f{i}.")) {
            break;
        }
        let key: Option<usize> = f.get(&k("key")).parse().ok();
        let orig = key.and_then(|n| base.flows.get(n));
        if !f.get(&k("remove")).is_empty() {
            continue;
        }
        let from = text_req(f, &k("from"), orig.map_or("", |o| &o.from));
        let to = text_req(f, &k("to"), orig.map_or("", |o| &o.to));
        let access = f.get(&k("access"));
        if orig.is_none() && from.is_empty() && to.is_empty() && access.is_empty() {
            continue; // an empty row
        }
        let row = flows.len();
        let access = match enum_value(access) {
            Some(a) => a,
            None => match orig {
                Some(o) => o.access,
                None => {
                    problems.push(problem(
                        &format!("f{row}.access"),
                        Text::message("form_flow_access")
                            .arg("from", &from)
                            .arg("to", &to),
                        "form_access",
                    ));
                    // Read as the worst case until the user says; the problem stops the save.
                    crate::model::input::Access::Cleartext
                }
            },
        };
        let follow = |id: String| renamed.get(&id).cloned().unwrap_or(id);
        let tools_sent = codes(&f.get(&k("tools")).to_lowercase());
        let orig_tools: Vec<ToolEntry> = orig
            .and_then(|o| o.transfer_tool.as_ref())
            .map_or(Vec::new(), |t| t.to_vec());
        let orig_names: Vec<String> = orig_tools.iter().map(tool_name).collect();
        let transfer_tool = if tools_sent == orig_names {
            orig.and_then(|o| o.transfer_tool.clone())
        } else {
            let mut tools = Vec::new();
            for t in &tools_sent {
                match enum_value::<TransferTool>(t) {
                    Some(tool) => tools.push(ToolEntry::Tool(tool)),
                    None => {
                        raw.insert(format!("f{row}.tools"), f.get(&k("tools")).to_string());
                        problems.push(problem(
                            &format!("f{row}.tools"),
                            Text::message("form_unknown_tool").arg("value", t),
                            "form_tools",
                        ))
                    }
                }
            }
            match tools.len() {
                0 => None,
                1 => Some(OneOrMany::One(tools.remove(0))),
                _ => Some(OneOrMany::Many(tools)),
            }
        };
        let orig_cats = orig.and_then(|o| o.data_categories.clone());
        let chosen = f.all(&k("categories"));
        let data_categories = match (&orig_cats, chosen.is_empty()) {
            (Some(c), true) if c.is_empty() => orig_cats.clone(),
            (_, true) => None,
            (o, false) => Some(pick(&chosen, o.as_deref().unwrap_or(&[]))),
        };
        let flow = FlowInput {
            id: text(f, &k("id"), orig.and_then(|o| o.id.as_ref())),
            from: follow(from),
            to: follow(to),
            data_categories,
            access,
            key_holder: match f.get(&k("key_holder")) {
                "" => None,
                v => enum_value(v),
            },
            measures: pick(
                &f.all(&k("measures")),
                orig.map_or(&[][..], |o| &o.measures),
            ),
            transfer_tool,
            purpose: text(f, &k("purpose"), orig.and_then(|o| o.purpose.as_ref())),
        };
        flow_keys.push(key.filter(|_| orig.is_some()));
        flows.push(flow);
    }
    m.flows = flows;

    let sent: Vec<String> = f
        .get("assumptions")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let joined: Vec<String> = base
        .assumptions
        .iter()
        .map(|a| a.trim().to_string())
        .collect();
    if sent != joined {
        m.assumptions = sent;
    }

    Read {
        edit: Edit {
            model: m,
            party_keys,
            flow_keys,
        },
        problems,
        raw,
    }
}

/// The form read back: the model, the problems with the form's own fields, and what was typed
/// into those fields.
#[derive(Debug, Clone)]
pub struct Read {
    pub edit: Edit,
    pub problems: Vec<Diagnostic>,
    pub raw: BTreeMap<String, String>,
}

/// Puts what was typed into a field with a problem back into the view.
pub fn overlay(view: &mut Value, raw: &BTreeMap<String, String>) {
    for (field, value) in raw {
        let row = field.split_once('.').and_then(|(head, key)| {
            let list = match head.chars().next()? {
                'p' => "parties",
                'f' => "flows",
                _ => return None,
            };
            Some((list, head[1..].parse::<usize>().ok()?, key))
        });
        match row {
            Some((list, n, key)) => {
                if let Some(r) = view[list].get_mut(n) {
                    r[key] = json!(value);
                }
            }
            None => {
                if let Some((sec, key)) = field.split_once('.') {
                    view[sec][key] = json!(value);
                }
            }
        }
    }
}

fn upper(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(code_case).collect()
}

/// A country code typed in lower case (`se`) as written in the knowledge; a name (`Sverige`)
/// is left for the checks to recognise.
fn code_case(c: String) -> String {
    if c.len() == 2 && c.chars().all(|x| x.is_ascii_alphabetic()) {
        c.to_ascii_uppercase()
    } else {
        c
    }
}

fn tool_name(t: &ToolEntry) -> String {
    let tool = match t {
        ToolEntry::Tool(t) => t,
        ToolEntry::Dated(d) => &d.tool,
    };
    serde_json::to_value(tool)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Where the checks' diagnostics point in the form: `parties[2].incorporated` → `p2.incorporated`.
pub fn field_of(path: &str) -> String {
    let path = path.trim_end_matches("#key");
    let mut out = path.to_string();
    for (list, short) in [("parties[", "p"), ("flows[", "f")] {
        if let Some(rest) = path.strip_prefix(list) {
            if let Some((n, field)) = rest.split_once(']') {
                let field = field.trim_start_matches('.');
                let field = field.split(['.', '[']).next().unwrap_or("");
                let field = match field {
                    "transfer_tool" => "tools",
                    "data_categories" => "categories",
                    "dpf_certified" => "dpf",
                    other => other,
                };
                out = format!("{short}{n}.{field}");
            }
        }
    }
    if let Some(rest) = out.strip_prefix("processing.") {
        let head = rest.split(['.', '[']).next().unwrap_or("");
        out = match head {
            "scale" => "processing.subjects".into(),
            h => format!("processing.{h}"),
        };
    }
    if let Some(rest) = out.strip_prefix("controller.dpo.") {
        out = format!("controller.dpo_{rest}");
    }
    out
}

/// The form's fields with the model's values, for the template.
pub fn view(e: &Edit) -> Value {
    let m = &e.model;
    let a = m.assessment.as_ref();
    let c = m.controller.as_ref();
    let p = m.processing.as_ref();
    let join = |v: &Option<Vec<String>>| v.as_ref().map_or(String::new(), |v| v.join(", "));
    let code = |v: &Value| v.as_str().unwrap_or_default().to_string();
    json!({
        "assessment": {
            "title": a.map(|a| a.title.clone()),
            "reference": a.and_then(|a| a.reference.clone()),
            "language": a.and_then(|a| a.language).map(|l| l.code()),
            "policy": a.and_then(|a| a.policy.clone()),
            "description": a.and_then(|a| a.description.clone()),
            "next_review": a.and_then(|a| a.next_review).map(|d| d.to_string()),
        },
        "controller": {
            "name": c.map(|c| c.name.clone()),
            "country": c.map(|c| c.country.clone()),
            "kind": c.and_then(|c| c.kind).map(|k| code(&json!(k))),
            "org_number": c.and_then(|c| c.org_number.clone()),
            "dpo_name": c.and_then(|c| c.dpo.as_ref()).and_then(|d| d.name.clone()),
            "dpo_email": c.and_then(|c| c.dpo.as_ref()).and_then(|d| d.email.clone()),
            "decision_body": c.and_then(|c| c.decision_body.clone()),
        },
        "processing": {
            "purpose": p.map(|p| p.purpose.clone()),
            "legal_basis": p.and_then(|p| p.legal_basis.clone()),
            "means": p.and_then(|p| p.means.clone()),
            "participation": p.and_then(|p| p.participation).map(|x| code(&json!(x))),
            "subjects": p.and_then(|p| p.scale.as_ref()).and_then(|s| s.subjects),
            "data_subjects": p.map_or(Vec::new(), |p| p.data_subjects.clone()),
            "data_categories": p.map_or(Vec::new(), |p| p.data_categories.iter().map(|c| c.id().to_string()).collect()),
            "not_needed": p.map_or(Vec::new(), |p| p.data_categories.iter().filter_map(|c| match c {
                CategoryRef::Marked(m) if !m.necessary => Some(m.id.clone()),
                _ => None,
            }).collect()),
            "measures": p.map_or(Vec::new(), |p| p.measures.clone()),
        },
        "parties": m.parties.iter().zip(&e.party_keys).map(|(p, key)| json!({
            "key": key,
            "id": p.id,
            "vendor": p.vendor,
            "lei": p.lei,
            "name": p.name,
            "role": code(&json!(p.role)),
            "incorporated": p.incorporated,
            "locations": join(&p.locations),
            "access_locations": join(&p.access_locations),
            "dpf": p.dpf_certified.map(|d| if d { "yes" } else { "no" }),
            "service": p.service,
            "announced": p.announced.map(|d| d.to_string()),
            "carried": p.parents.is_some() || p.dpa.is_some() || p.ownership_source.is_some()
                || !p.alternatives.is_empty() || p.needs_cleartext.is_some(),
        })).collect::<Vec<_>>(),
        "flows": m.flows.iter().zip(&e.flow_keys).map(|(f, key)| json!({
            "key": key.map(|k| k.to_string()),
            "id": f.id,
            "from": f.from,
            "to": f.to,
            "access": code(&json!(f.access)),
            "key_holder": f.key_holder.map(|k| code(&json!(k))),
            "tools": f.transfer_tool.as_ref().map_or(String::new(), |t| t.to_vec().iter().map(tool_name).collect::<Vec<_>>().join(", ")),
            "dated": f.transfer_tool.as_ref().is_some_and(|t| t.to_vec().iter().any(|x| matches!(x, ToolEntry::Dated(_)))),
            "categories": f.data_categories.clone().unwrap_or_default(),
            "measures": f.measures,
            "purpose": f.purpose,
        })).collect::<Vec<_>>(),
        "assumptions": m.assumptions.join("\n"),
    })
}

/// The knowledge's choices for the form's lists, in the user's language, with any value the
/// model uses that the knowledge does not know (so it is shown, not silently dropped).
pub fn choices(kb: &Knowledge, lang: Lang, m: &ModelInput) -> Value {
    let items = |kind: Kind| {
        catalog::list(kb, kind, lang)
            .into_iter()
            .map(|i| json!({"id": i.id, "name": i.name, "detail": i.detail}))
            .collect::<Vec<_>>()
    };
    let with_unknown = |mut list: Vec<Value>, used: &[String]| {
        for u in used {
            if !list.iter().any(|i| i["id"] == json!(u)) {
                list.push(json!({"id": u, "name": u, "detail": "?", "unknown": true}));
            }
        }
        list
    };
    let p = m.processing.as_ref();
    let flow_measures: Vec<String> = m.flows.iter().flat_map(|f| f.measures.clone()).collect();
    let flow_cats: Vec<String> = m
        .flows
        .iter()
        .flat_map(|f| f.data_categories.clone().unwrap_or_default())
        .collect();
    let cats = with_unknown(
        items(Kind::Categories),
        &p.map_or(Vec::new(), |p| {
            p.data_categories
                .iter()
                .map(|c| c.id().to_string())
                .chain(flow_cats.clone())
                .collect()
        }),
    );
    let level = |id: &str| {
        kb.measures
            .get(id)
            .map(|x| json!(x.level).as_str().unwrap_or_default().to_string())
    };
    let measures = items(Kind::Measures);
    let processing_measures: Vec<Value> = measures
        .iter()
        .filter(|i| level(i["id"].as_str().unwrap_or_default()).as_deref() == Some("processing"))
        .cloned()
        .collect();
    let flow_level: Vec<Value> = measures
        .iter()
        .filter(|i| level(i["id"].as_str().unwrap_or_default()).as_deref() == Some("flow"))
        .cloned()
        .collect();
    let mut party_ids: Vec<String> = vec!["controller".into()];
    party_ids.extend(m.parties.iter().map(|p| p.id.clone()));
    json!({
        "countries": items(Kind::Countries),
        "categories": cats,
        "subjects": with_unknown(items(Kind::Subjects), &p.map_or(Vec::new(), |p| p.data_subjects.clone())),
        "processing_measures": with_unknown(processing_measures, &p.map_or(Vec::new(), |p| p.measures.clone())),
        "flow_measures": with_unknown(flow_level, &flow_measures),
        "vendors": items(Kind::Vendors),
        "profiles": with_unknown(items(Kind::Profiles), &m.assessment.as_ref().and_then(|a| a.policy.clone()).into_iter().collect::<Vec<_>>()),
        "party_ids": party_ids,
    })
}

/// The checks' diagnostics by form field (`p2.incorporated` → its messages), found through the
/// written model's source map.
pub fn errors_by_field(text: &str, diagnostics: &[Diagnostic]) -> BTreeMap<String, Vec<String>> {
    let map = crate::locate::SourceMap::build(text);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in diagnostics {
        let field = if d.file == FORM {
            d.args.get("field").cloned()
        } else {
            map.path_at(d.line, d.column).map(field_of)
        };
        if let Some(field) = field {
            let mut msg = d.message.clone();
            if let Some(h) = d.hint.as_ref().filter(|_| d.file != FORM) {
                msg.push_str(" – ");
                msg.push_str(h);
            }
            let list = out.entry(field).or_default();
            if !list.contains(&msg) {
                list.push(msg);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The pages.

use super::api::{self, ApiError, ErrorCode};
use super::auth::{self, Principal};
use super::ui::{self, Path, UiUser};
use super::AppState;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

/// `GET /static/editor.js`: the form's script (the only script; the pages' policy allows
/// scripts from this server alone, never inline).
pub(super) async fn script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../templates/web/editor.js"),
    )
        .into_response()
}

/// What one drawing of the editor shows.
struct Screen<'a> {
    system: Option<&'a crate::store::System>,
    read: &'a Read,
    base_text: &'a str,
    base_version: Option<i64>,
    /// The assessment beside the form: the saved version's, or the preview's.
    result: Option<Value>,
    preview: bool,
    /// The checks' diagnostics, with the model text they point into.
    diagnostics: Vec<Diagnostic>,
    text: String,
    import: Option<Value>,
    saved: Option<i64>,
    name: &'a str,
    note: &'a str,
    notice_date: &'a str,
}

fn draw(
    state: &AppState,
    lang: Lang,
    user: &Principal,
    s: Screen<'_>,
    status: StatusCode,
) -> Response {
    let mut v = view(&s.read.edit);
    overlay(&mut v, &s.read.raw);
    // In the user's language, the form's own problems first.
    let diagnostics: Vec<Diagnostic> = s
        .read
        .problems
        .iter()
        .chain(&s.diagnostics)
        .map(|d| d.localized(lang))
        .collect();
    let errors = errors_by_field(&s.text, &diagnostics);
    for list in ["parties", "flows"] {
        let fields = if list == "parties" {
            PARTY_FIELDS
        } else {
            FLOW_FIELDS
        };
        if let Some(rows) = v[list].as_array_mut() {
            for _ in 0..BLANK_ROWS {
                // Every field a row shows, empty (the template compares them).
                let mut row: serde_json::Map<String, Value> = fields
                    .iter()
                    .map(|f| (f.to_string(), Value::Null))
                    .collect();
                for extra in ["key", "carried", "dated", "blank"] {
                    row.insert(extra.into(), Value::Null);
                }
                row.insert("blank".into(), json!(true));
                row.insert("role".into(), json!("subprocessor"));
                rows.push(Value::Object(row));
            }
        }
    }
    for sec in ["assessment", "controller", "processing"] {
        v[sec]["err"] = json!({});
    }
    for list in ["parties", "flows"] {
        for row in v[list].as_array_mut().into_iter().flatten() {
            row["err"] = json!({});
        }
    }
    place_errors(&mut v, &errors);
    let lines: Vec<Value> = if s.diagnostics.is_empty() {
        Vec::new()
    } else {
        s.text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let here: Vec<String> = diagnostics
                    .iter()
                    .filter(|d| d.file != FORM && d.line == i + 1)
                    .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
                    .collect();
                json!({"n": i + 1, "text": l, "error": !here.is_empty(), "messages": here})
            })
            .collect()
    };
    let mut ctx = tera::Context::new();
    ctx.insert("system", &s.system);
    ctx.insert("e", &v);
    ctx.insert("choices", &choices(&state.kb, lang, &s.read.edit.model));
    ctx.insert("base_text", s.base_text);
    ctx.insert("base_version", &s.base_version);
    ctx.insert("r", &s.result);
    ctx.insert("preview", &s.preview);
    ctx.insert("errors", &errors);
    ctx.insert(
        "form",
        &(!diagnostics.is_empty()).then(|| json!({"diagnostics": diagnostics, "lines": lines})),
    );
    ctx.insert("import", &s.import);
    ctx.insert("saved", &s.saved);
    ctx.insert("name", s.name);
    ctx.insert("note", s.note);
    ctx.insert("notice_date", s.notice_date);
    ctx.insert("blank", &BLANK_ROWS);
    ui::page(state, lang, Some(user), "editor.html", status, ctx)
}

/// The fields a party's or a flow's row shows; a diagnostic about anything else in the row
/// (its owners, its agreement) is shown under the row as a whole.
const PARTY_FIELDS: &[&str] = &[
    "id",
    "vendor",
    "role",
    "name",
    "incorporated",
    "dpf",
    "locations",
    "access_locations",
    "announced",
    "service",
    "lei",
];
const FLOW_FIELDS: &[&str] = &[
    "from",
    "to",
    "access",
    "key_holder",
    "tools",
    "purpose",
    "categories",
    "measures",
    "id",
];

/// Each field's messages, under `err` in its row or section of the view.
fn place_errors(v: &mut Value, errors: &BTreeMap<String, Vec<String>>) {
    for (field, msgs) in errors {
        let Some((head, key)) = field.split_once('.') else {
            continue;
        };
        let row = match head.chars().next() {
            Some('p') => head[1..]
                .parse::<usize>()
                .ok()
                .map(|n| ("parties", n, PARTY_FIELDS)),
            Some('f') => head[1..]
                .parse::<usize>()
                .ok()
                .map(|n| ("flows", n, FLOW_FIELDS)),
            _ => None,
        };
        let (target, key) = match row {
            Some((list, n, shown)) => match v[list].get_mut(n) {
                Some(r) => (r, if shown.contains(&key) { key } else { "other" }),
                None => continue,
            },
            None => (&mut v[head], key),
        };
        if !target.is_object() {
            continue;
        }
        let err = &mut target["err"];
        if !err.is_object() {
            *err = json!({});
        }
        let text = msgs.join(" · ");
        let joined = match err[key].as_str() {
            Some(before) => format!("{before} · {text}"),
            None => text,
        };
        err[key] = json!(joined);
    }
}

fn is_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// A model file's name once the form has written it as YAML.
fn yaml_name(file: &str) -> String {
    match file.strip_suffix(".json") {
        Some(stem) => format!("{stem}.yaml"),
        None => file.to_string(),
    }
}

/// A stored model's text read as the form's starting point (YAML or JSON).
fn parse_input(text: &str) -> Result<ModelInput, ApiError> {
    let parsed = if is_json(text) {
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| e.to_string())
    } else {
        crate::yaml::from_str(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadBody,
            format!("the model the form started from cannot be read: {e}"),
        )
    })
}

fn read_fresh(m: ModelInput) -> Read {
    Read {
        edit: Edit::of(m),
        problems: Vec::new(),
        raw: BTreeMap::new(),
    }
}

/// `GET /systems/new`: an empty form.
pub(super) async fn new_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
) -> Response {
    let lang = ui::lang(&headers);
    if let Err(e) = api::require(&user, auth::Role::Editor, "creating a system") {
        return ui::error_page(&state, lang, Some(&user), e);
    }
    let read = read_fresh(empty_model());
    let screen = Screen {
        system: None,
        read: &read,
        base_text: "",
        base_version: None,
        result: None,
        preview: false,
        diagnostics: Vec::new(),
        text: String::new(),
        import: None,
        saved: None,
        name: "",
        note: "",
        notice_date: "",
    };
    draw(&state, lang, &user, screen, StatusCode::OK)
}

#[derive(serde::Deserialize)]
pub(super) struct EditQuery {
    saved: Option<i64>,
}

async fn latest(
    state: &AppState,
    id: i64,
) -> Result<(crate::store::System, crate::store::Version), ApiError> {
    let not_found =
        |what: &str| ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, what.to_string());
    let system = state
        .store
        .system(id)
        .await?
        .ok_or_else(|| not_found("the system does not exist"))?;
    let version = state
        .store
        .version(id, system.versions)
        .await?
        .ok_or_else(|| not_found("the version does not exist"))?;
    Ok((system, version))
}

/// `GET /systems/{id}/edit`: the latest version in the form, its saved assessment beside it.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<EditQuery>,
) -> Response {
    let lang = ui::lang(&headers);
    let loaded = async {
        api::require(&user, auth::Role::Editor, "editing a system")?;
        let (system, version) = latest(&state, id).await?;
        let model = parse_input(&version.model_text)?;
        Ok::<_, ApiError>((system, version, model))
    }
    .await;
    let (system, version, model) = match loaded {
        Ok(x) => x,
        Err(e) => return ui::error_page(&state, lang, Some(&user), e),
    };
    let read = read_fresh(model);
    let screen = Screen {
        system: Some(&system),
        read: &read,
        base_text: &version.model_text,
        base_version: Some(version.summary.number),
        result: Some(version.result.clone()),
        preview: false,
        diagnostics: Vec::new(),
        text: version.model_text.clone(),
        import: None,
        saved: q.saved.filter(|n| *n == version.summary.number),
        name: "",
        note: "",
        notice_date: "",
    };
    draw(&state, lang, &user, screen, StatusCode::OK)
}

/// `POST /systems/new`: preview or save a new system.
pub(super) async fn new_submit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    submit(&state, &user, &headers, None, Fields(fields)).await
}

/// `POST /systems/{id}/edit`: preview or save a new version.
pub(super) async fn edit_submit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    submit(&state, &user, &headers, Some(id), Fields(fields)).await
}

async fn submit(
    state: &AppState,
    user: &Principal,
    headers: &HeaderMap,
    id: Option<i64>,
    f: Fields,
) -> Response {
    let lang = ui::lang(headers);
    let checked = async {
        api::require(user, auth::Role::Editor, "saving a version")?;
        ui::check_csrf(user, Some(f.get("_csrf")))?;
        let system = match id {
            Some(id) => Some(latest(state, id).await?),
            None => None,
        };
        let base_text = f.get("base_text").replace("\r\n", "\n");
        let base = if base_text.trim().is_empty() {
            empty_model()
        } else {
            parse_input(&base_text)?
        };
        Ok::<_, ApiError>((system, base_text, base))
    }
    .await;
    let (system, base_text, base) = match checked {
        Ok(x) => x,
        Err(e) => return ui::error_page(state, lang, Some(user), e),
    };
    let base_version: Option<i64> = f.get("base_version").parse().ok();
    // The form writes YAML: a model saved as JSON continues as `name.yaml`.
    let file_name = system.as_ref().map_or("model.yaml".to_string(), |(_, v)| {
        yaml_name(&v.summary.file_name)
    });
    let read = read(&f, &base);
    let text = if base_text.trim().is_empty() {
        let header = format!(
            "Made with the tia form by {} on {}.\nEdit it here or in the form; `tia schema` describes every field.",
            user.name,
            chrono::Utc::now().date_naive()
        );
        crate::model::write::new_text(&read.edit.model, &header)
    } else {
        crate::model::write::rewrite(&base_text, &base, &read.edit.model)
    };
    let save = f.get("action") == "save";
    let mut screen = Screen {
        system: system.as_ref().map(|(s, _)| s),
        read: &read,
        base_text: &base_text,
        base_version,
        result: None,
        preview: true,
        diagnostics: Vec::new(),
        text: text.clone(),
        import: None,
        saved: None,
        name: f.get("name"),
        note: f.get("note"),
        notice_date: f.get("notice_date"),
    };
    if !read.problems.is_empty() {
        return draw(state, lang, user, screen, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Someone saved a version after this form was opened: saving would undo their change.
    if let Some((sys, _)) = &system {
        if save && base_version != Some(sys.versions) {
            screen.diagnostics.push(
                Diagnostic::text(
                    FORM,
                    (1, 1),
                    Text::message("form_saved_meanwhile").arg("number", sys.versions),
                )
                .hint_text(Text::hint("form_reopen")),
            );
            return draw(state, lang, user, screen, StatusCode::CONFLICT);
        }
    }
    let (model, report) = match state
        .assess(&text, &file_name, &ui::judging_for_ui(lang))
        .await
    {
        Ok(x) => x,
        Err(e) => {
            screen.diagnostics = e.diagnostics;
            return draw(state, lang, user, screen, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    if !save {
        screen.result = serde_json::to_value(&report).ok();
        return draw(state, lang, user, screen, StatusCode::OK);
    }
    let note = (!f.get("note").trim().is_empty()).then(|| f.get("note").trim().to_string());
    let saved = async {
        let mut v = api::version_to_save(&file_name, &text, &report, note, &user.name)?;
        ui::with_notice(&mut v, f.get("notice_date"))?;
        match &system {
            Some((sys, _)) => {
                let added = state.store.add_version(sys.id, &v).await?;
                let added = added.ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        ErrorCode::NotFound,
                        "the system does not exist",
                    )
                })?;
                Ok::<_, ApiError>(format!("/systems/{}/edit?saved={}", sys.id, added.number))
            }
            None => {
                let name = match f.get("name").trim() {
                    "" => model.title.clone(),
                    n => n.to_string(),
                };
                let (sys, _) = state.store.create_system(&name, &v).await?;
                Ok(format!("/systems/{}", sys.id))
            }
        }
    }
    .await;
    match saved {
        Ok(to) => {
            tracing::info!(user = %user.name, to = %to, "saved from the form");
            Redirect::to(&to).into_response()
        }
        Err(e) => ui::error_page(state, lang, Some(user), e),
    }
}

/// `POST /systems/{id}/import`: a sub-processor list added under one of the parties. The result
/// is not saved: the form shows it with the import's report, to confirm and save.
pub(super) async fn import_list(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let lang = ui::lang(&headers);
    let got = async {
        api::require(&user, auth::Role::Editor, "importing a sub-processor list")?;
        let mut under = String::new();
        let mut sheet = String::new();
        let mut csrf = String::new();
        let mut list: Option<(String, Vec<u8>)> = None;
        while let Some(field) = multipart.next_field().await.map_err(ui::multipart_error)? {
            let name = field.name().unwrap_or_default().to_string();
            let file = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(ui::multipart_error)?;
            match name.as_str() {
                "_csrf" => csrf = String::from_utf8_lossy(&bytes).to_string(),
                "under" => under = String::from_utf8_lossy(&bytes).trim().to_string(),
                "sheet" => sheet = String::from_utf8_lossy(&bytes).trim().to_string(),
                "list_file" => {
                    list = Some((file.unwrap_or_else(|| "list.csv".into()), bytes.to_vec()))
                }
                _ => {}
            }
        }
        ui::check_csrf(&user, Some(&csrf))?;
        let (system, version) = latest(&state, id).await?;
        let (file, bytes) = list.filter(|(_, b)| !b.is_empty()).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadBody,
                "choose the list's file (CSV or XLSX)",
            )
        })?;
        Ok::<_, ApiError>((system, version, under, sheet, file, bytes))
    }
    .await;
    let (system, version, under, sheet, file, bytes) = match got {
        Ok(x) => x,
        Err(e) => return ui::error_page(&state, lang, Some(&user), e),
    };
    // The import adds YAML lines: a model saved as JSON is written as YAML first.
    let base_text = match parse_input(&version.model_text) {
        Ok(m) if is_json(&version.model_text) => crate::model::write::new_text(&m, ""),
        _ => version.model_text.clone(),
    };
    let model_name = yaml_name(&version.summary.file_name);
    let imported = state
        .blocking(move |s| {
            let list = crate::import::ListInput {
                bytes,
                name: file.clone(),
                file_name: file,
                sheet: (!sheet.is_empty()).then_some(sheet),
            };
            let target = crate::import::ImportTarget {
                under,
                base: Some((model_name.clone(), base_text)),
                controller_country: None,
                out_name: model_name,
            };
            crate::import::import_text(list, &target, &s.kb)
        })
        .await;
    let base = match parse_input(&version.model_text) {
        Ok(m) => m,
        Err(e) => return ui::error_page(&state, lang, Some(&user), e),
    };
    let (report, text) = match imported {
        Ok(x) => x,
        Err(e) => {
            let read = read_fresh(base);
            let screen = Screen {
                system: Some(&system),
                read: &read,
                base_text: &version.model_text,
                base_version: Some(version.summary.number),
                result: Some(version.result.clone()),
                preview: false,
                diagnostics: e.diagnostics,
                text: String::new(),
                import: None,
                saved: None,
                name: "",
                note: "",
                notice_date: "",
            };
            return draw(
                &state,
                lang,
                &user,
                screen,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let model = match parse_input(&text) {
        Ok(m) => m,
        Err(e) => return ui::error_page(&state, lang, Some(&user), e),
    };
    let result = state
        .assess(
            &text,
            &yaml_name(&version.summary.file_name),
            &ui::judging_for_ui(lang),
        )
        .await
        .ok()
        .and_then(|(_, r)| serde_json::to_value(&r).ok());
    let read = read_fresh(model);
    let note = format!("{} ({})", report.file, report.under);
    let screen = Screen {
        system: Some(&system),
        read: &read,
        base_text: &text,
        base_version: Some(version.summary.number),
        result,
        preview: true,
        diagnostics: Vec::new(),
        text: text.clone(),
        import: serde_json::to_value(&report).ok(),
        saved: None,
        name: "",
        note: &note,
        notice_date: "",
    };
    draw(&state, lang, &user, screen, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "\
assessment:
  title: Lön
controller:
  name: Kommunen
  country: SE
  kind: public_body
processing:
  purpose: Lön
  data_subjects: [employees]
  data_categories: [identity, {id: national_id, necessary: false}]
parties:
  - id: acme
    vendor: microsoft-ireland
    role: processor
    dpa: { objection_days: 30 }
flows:
  - from: controller
    to: acme
    access: cleartext
    transfer_tool: [{tool: scc, until: 2023-07-09}, dpf]
";

    fn base() -> ModelInput {
        crate::yaml::from_str(BASE).unwrap()
    }

    /// The form as the page draws it for `e`, so a test changes only what a user would.
    fn as_form(e: &Edit) -> Fields {
        let v = view(e);
        let mut f = Vec::new();
        let s = |x: &Value| match x {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            o => o.to_string(),
        };
        for sec in ["assessment", "controller", "processing"] {
            for (k, x) in v[sec].as_object().unwrap() {
                match x {
                    Value::Array(a) => {
                        for i in a {
                            f.push((format!("{sec}.{k}"), s(i)));
                        }
                    }
                    x => f.push((format!("{sec}.{k}"), s(x))),
                }
            }
        }
        for (list, p) in [("parties", "p"), ("flows", "f")] {
            for (i, row) in v[list].as_array().unwrap().iter().enumerate() {
                for (k, x) in row.as_object().unwrap() {
                    match x {
                        Value::Array(a) => {
                            for y in a {
                                f.push((format!("{p}{i}.{k}"), s(y)));
                            }
                        }
                        x => f.push((format!("{p}{i}.{k}"), s(x))),
                    }
                }
            }
        }
        f.push(("assumptions".into(), s(&v["assumptions"])));
        Fields(f)
    }

    fn set(f: &mut Fields, name: &str, value: &str) {
        f.0.retain(|(k, _)| k != name);
        f.0.push((name.into(), value.into()));
    }

    #[test]
    fn an_untouched_form_gives_back_the_same_model_and_text() {
        let e = Edit::of(base());
        let back = read(&as_form(&e), &base());
        assert!(back.problems.is_empty());
        let back = back.edit;
        let text = crate::model::write::rewrite(BASE, &base(), &back.model);
        assert_eq!(text, BASE, "nothing changed, nothing rewritten");
    }

    #[test]
    fn the_review_day_is_written_into_the_model_and_a_bad_one_is_named_as_typed() {
        let e = Edit::of(base());
        let mut f = as_form(&e);
        set(&mut f, "assessment.next_review", "2027-03-31");
        let got = read(&f, &base());
        assert!(got.problems.is_empty());
        let m = &got.edit.model;
        let day = m.assessment.as_ref().unwrap().next_review;
        assert_eq!(day, "2027-03-31".parse().ok());
        let text = crate::model::write::rewrite(BASE, &base(), m);
        assert!(text.contains("next_review: 2027-03-31"), "{text}");
        let mut view = view(&got.edit);
        assert_eq!(view["assessment"]["next_review"], "2027-03-31");

        set(&mut f, "assessment.next_review", "31.3.2027");
        let bad = read(&f, &base());
        assert_eq!(bad.problems.len(), 1);
        assert_eq!(bad.problems[0].args["field"], "assessment.next_review");
        overlay(&mut view, &bad.raw);
        assert_eq!(
            view["assessment"]["next_review"], "31.3.2027",
            "shown as typed"
        );
    }

    #[test]
    fn fields_change_the_model_and_a_renamed_party_takes_its_flows_along() {
        let e = Edit::of(base());
        let mut f = as_form(&e);
        set(&mut f, "controller.country", "dk");
        set(&mut f, "p0.id", "ms");
        set(&mut f, "p1.id", "");
        set(&mut f, "p1.name", "Okänd Leverantör AB");
        set(&mut f, "p1.incorporated", "se");
        set(&mut f, "p1.role", "subprocessor");
        set(&mut f, "f1.from", "ms");
        set(&mut f, "f1.to", "okand-leverantor-ab");
        set(&mut f, "f1.access", "storage_encrypted");
        set(&mut f, "f1.key_holder", "controller");
        f.0.push(("f1.measures".into(), "customer_held_keys".into()));
        let got = read(&f, &base()).edit;
        let m = &got.model;
        assert_eq!(m.controller.as_ref().unwrap().country, "DK");
        assert_eq!(m.parties[0].id, "ms");
        assert!(
            m.parties[0].dpa.is_some(),
            "what the form does not show is carried over"
        );
        assert_eq!(m.parties[1].id, "okand-leverantor-ab");
        assert_eq!(m.parties[1].incorporated.as_deref(), Some("SE"));
        assert_eq!(m.flows[0].to, "ms", "the flow follows the renamed party");
        assert_eq!(m.flows[1].measures, vec!["customer_held_keys"]);
        assert_eq!(got.party_keys, vec![Some("acme".to_string()), None]);
        let tools = m.flows[0].transfer_tool.as_ref().unwrap().to_vec();
        assert!(
            matches!(tools[0], ToolEntry::Dated(_)),
            "dated tools kept when unchanged"
        );
        let text = crate::model::write::rewrite(BASE, &base(), m);
        let again: ModelInput = crate::yaml::from_str(&text).unwrap();
        assert_eq!(
            crate::model::write::to_value(&again),
            crate::model::write::to_value(m)
        );
    }

    #[test]
    fn removing_rows_and_the_categories_not_needed() {
        let e = Edit::of(base());
        let mut f = as_form(&e);
        f.0.retain(|(k, v)| !(k == "processing.not_needed" && v == "national_id"));
        set(&mut f, "f0.remove", "1");
        set(&mut f, "p0.remove", "on");
        let m = read(&f, &base()).edit.model;
        assert!(m.parties.is_empty() && m.flows.is_empty());
        let cats = &m.processing.unwrap().data_categories;
        assert!(matches!(&cats[1], CategoryRef::Id(id) if id == "national_id"));
    }

    #[test]
    fn bad_form_values_are_named_by_field() {
        let e = Edit::of(base());
        let mut f = as_form(&e);
        set(&mut f, "processing.subjects", "många");
        set(&mut f, "f0.tools", "scc, magic");
        let got = read(&f, &base());
        let errs = got.problems;
        assert_eq!(errs.len(), 2);
        let mut v = view(&got.edit);
        overlay(&mut v, &got.raw);
        assert_eq!(v["processing"]["subjects"], "många", "shown again as typed");
        assert_eq!(v["flows"][0]["tools"], "scc, magic");
        let by = errors_by_field("", &errs);
        assert!(by["processing.subjects"][0].contains("`många` is not a number"));
        assert!(by["f0.tools"][0].contains("`magic` is not a transfer tool"));
    }

    #[test]
    fn paths_map_to_fields() {
        assert_eq!(field_of("parties[2].incorporated"), "p2.incorporated");
        assert_eq!(field_of("flows[0].transfer_tool[1].tool"), "f0.tools");
        assert_eq!(
            field_of("processing.data_categories[3]"),
            "processing.data_categories"
        );
        assert_eq!(field_of("processing.scale.subjects"), "processing.subjects");
        assert_eq!(field_of("controller.dpo.email"), "controller.dpo_email");
    }
}
