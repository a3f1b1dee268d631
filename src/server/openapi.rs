//! The OpenAPI 3.1 description of the API, generated from the code: the schemas of what each
//! route answers come from the Rust types it serialises (schemars, serialize contract), the
//! query parameters from the handler's query type (its fields and doc comments), the request
//! body from the model's JSON Schema with the knowledge base's ids as enums (as `tia schema`),
//! and the error answers from [`ErrorCode`]. [`OPERATIONS`] is the one list of routes; the
//! router is checked against it by a test that calls every route.

use super::api::{
    CompareQuery, Created, DiffQuery, ErrorBody, ErrorCode, EventQuery, Judging, MemoQuery,
    SystemWithVersions,
};
use crate::knowledge::Knowledge;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// A function giving a type's schema (a `$ref` into the components, or inline).
pub type SchemaOf = fn(&mut SchemaGenerator) -> schemars::Schema;

/// What a successful answer carries.
#[derive(Clone, Copy)]
pub enum Answer {
    /// JSON of the schema the function returns.
    Json(SchemaOf),
    Pdf,
    /// This document.
    OpenApi,
    /// `/health`: the text `ok`.
    Health,
}

/// One route: everything the description says about it.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// The handler's query type, when it takes one, and the fields this route ignores.
    pub query: Option<(SchemaOf, &'static [&'static str])>,
    /// Whether the body is a model (YAML or JSON).
    pub model_body: bool,
    pub success: u16,
    pub answer: Answer,
    /// Whether the route needs credentials.
    pub secured: bool,
    /// Error codes beyond those that follow from the above (credentials, parameters, body).
    pub errors: &'static [ErrorCode],
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

/// Every route of the API and `/health`, in the order the description lists them.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "post",
        path: "/api/assess",
        summary: "Assess a model without saving it",
        description: "The JSON report for the model in the body: verdict, the three legal questions, findings with their chains of reasons and citations, transfers, options and the knowledge version used. Nothing is saved.",
        query: Some((
            schema::<Judging>,
            &["name", "note", "notice_date", "objection_days"],
        )),
        model_body: true,
        success: 200,
        answer: Answer::Json(schema::<crate::report::Report>),
        secured: true,
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/api/systems",
        summary: "List systems with their latest version",
        description: "Every system in the register, each with the summary of its latest version.",
        query: None,
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<Vec<crate::store::System>>),
        secured: true,
        errors: &[],
    },
    Operation {
        method: "post",
        path: "/api/systems",
        summary: "Create a system with the body as its first version",
        description: "The model is assessed and saved as version 1 with its report; versions are never changed afterwards.",
        query: Some((schema::<Judging>, &[])),
        model_body: true,
        success: 201,
        answer: Answer::Json(schema::<Created>),
        secured: true,
        errors: &[ErrorCode::ResultTooLarge],
    },
    Operation {
        method: "get",
        path: "/api/systems/{id}",
        summary: "A system with its version history",
        description: "The system and the summaries of all its versions, oldest first.",
        query: None,
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<SystemWithVersions>),
        secured: true,
        errors: &[ErrorCode::NotFound],
    },
    Operation {
        method: "get",
        path: "/api/systems/{id}/versions",
        summary: "A system's versions, oldest first, a page at a time",
        description: "The summaries of the system's versions, at most `limit` (default 100) after `after`; a `Link: <…>; rel=\"next\"` header names the next page when there is one.",
        query: Some((schema::<super::api::PageQuery>, &[])),
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<Vec<crate::store::VersionSummary>>),
        secured: true,
        errors: &[ErrorCode::NotFound],
    },
    Operation {
        method: "post",
        path: "/api/systems/{id}/versions",
        summary: "Save the body as the system's next version",
        description: "The model is assessed and appended as the next version; earlier versions stay as they were. With an `Idempotency-Key` header, a retry of a save that went through returns the version it saved instead of adding another.",
        query: Some((schema::<Judging>, &["name"])),
        model_body: true,
        success: 201,
        answer: Answer::Json(schema::<crate::store::VersionSummary>),
        secured: true,
        errors: &[ErrorCode::NotFound, ErrorCode::ResultTooLarge],
    },
    Operation {
        method: "get",
        path: "/api/systems/{id}/versions/{number}",
        summary: "A saved version: model text and the full result as saved",
        description: "The version's summary, the model text as uploaded and the report it got when it was saved.",
        query: None,
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<crate::store::Version>),
        secured: true,
        errors: &[ErrorCode::NotFound],
    },
    Operation {
        method: "post",
        path: "/api/systems/{id}/versions/{number}/sign-off",
        summary: "Sign a version off as decision basis (role approver)",
        description: "Records, append-only, that the caller approved this version as the basis of the decision, with their name, the time and the comment. Shown in the history and exported with the version.",
        query: Some((schema::<EventQuery>, &["name"])),
        model_body: false,
        success: 201,
        answer: Answer::Json(schema::<crate::store::Event>),
        secured: true,
        errors: &[ErrorCode::Forbidden, ErrorCode::CrossSite, ErrorCode::NotFound],
    },
    Operation {
        method: "post",
        path: "/api/systems/{id}/rename",
        summary: "Rename a system (role editor)",
        description: "Records the new name as an event; the system's earlier names stay in its history.",
        query: Some((schema::<EventQuery>, &[])),
        model_body: false,
        success: 201,
        answer: Answer::Json(schema::<crate::store::Event>),
        secured: true,
        errors: &[ErrorCode::Forbidden, ErrorCode::CrossSite, ErrorCode::NotFound],
    },
    Operation {
        method: "post",
        path: "/api/systems/{id}/withdraw",
        summary: "Withdraw a system from use (role admin)",
        description: "Records that the system is withdrawn; it stays in the register with its versions and history.",
        query: Some((schema::<EventQuery>, &["name"])),
        model_body: false,
        success: 201,
        answer: Answer::Json(schema::<crate::store::Event>),
        secured: true,
        errors: &[ErrorCode::Forbidden, ErrorCode::CrossSite, ErrorCode::NotFound],
    },
    Operation {
        method: "get",
        path: "/api/systems/{id}/versions/{number}/memo.pdf",
        summary: "The decision memo or prior-consultation pack of a version, as PDF",
        description: "Re-assessed with the version's own date and profile and rendered with typst (PDF/A-2b, PDF/UA-1).",
        query: Some((schema::<MemoQuery>, &[])),
        model_body: false,
        success: 200,
        answer: Answer::Pdf,
        secured: true,
        errors: &[
            ErrorCode::NotFound,
            ErrorCode::DocumentTooLarge,
            ErrorCode::TypstMissing,
            ErrorCode::RenderTimeout,
            ErrorCode::RenderFailed,
        ],
    },
    Operation {
        method: "get",
        path: "/api/systems/{id}/diff",
        summary: "Change report between two versions (default: the last two), with the last day to object",
        description: "What changed between two versions of a system — parties, countries, owners, verdict — and, for a processor's announced change, the last day to object under its DPA.",
        query: Some((schema::<DiffQuery>, &[])),
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<crate::diff::ChangeReport>),
        secured: true,
        errors: &[ErrorCode::NotFound],
    },
    Operation {
        method: "get",
        path: "/api/compare",
        summary: "Compare the latest versions of several systems under one profile",
        description: "At most 20 systems, each judged with the same profile, date and language.",
        query: Some((schema::<CompareQuery>, &[])),
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<crate::compare::Comparison>),
        secured: true,
        errors: &[ErrorCode::NotFound],
    },
    Operation {
        method: "get",
        path: "/api/portfolio",
        summary: "The register judged again, optionally under a what-if scenario",
        description: "Every system's latest version re-assessed under today's knowledge (and a scenario of the knowledge, e.g. `dpf-invalid`): saved verdict, verdict now, what changed and why, flows losing their transfer tool with the fall-back, deadlines, what is due first. Nothing is recorded (`tia portfolio --record` does that).",
        query: Some((schema::<super::api::PortfolioQuery>, &[])),
        model_body: false,
        success: 200,
        answer: Answer::Json(schema::<crate::portfolio::Portfolio>),
        secured: true,
        errors: &[ErrorCode::BadQuery, ErrorCode::Busy],
    },
    Operation {
        method: "get",
        path: "/api/openapi.json",
        summary: "This description",
        description: "Generated from the server's code and its knowledge base.",
        query: None,
        model_body: false,
        success: 200,
        answer: Answer::OpenApi,
        secured: false,
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/health",
        summary: "Whether the server and its database answer",
        description: "`ok` (200), or `database unavailable` (503) so that a load balancer takes the instance out.",
        query: None,
        model_body: false,
        success: 200,
        answer: Answer::Health,
        secured: false,
        errors: &[],
    },
];

impl Operation {
    /// Every error code this route can answer with.
    pub fn error_codes(&self) -> Vec<ErrorCode> {
        let mut codes = Vec::new();
        if self.secured {
            codes.push(ErrorCode::Unauthorized);
        }
        if self.path.contains('{') {
            codes.push(ErrorCode::BadPath);
        }
        if self.query.is_some() {
            codes.push(ErrorCode::BadQuery);
        }
        if self.model_body {
            codes.extend([
                ErrorCode::BadBody,
                ErrorCode::BodyTooLarge,
                ErrorCode::SlowBody,
                ErrorCode::InvalidModel,
                ErrorCode::CrossSite,
            ]);
            if self.path != "/api/assess" {
                codes.push(ErrorCode::Forbidden);
            }
        }
        for c in self.errors {
            if !codes.contains(c) {
                codes.push(*c);
            }
        }
        if self.secured {
            codes.push(ErrorCode::Internal);
        }
        codes
    }
}

/// The description, for the server's knowledge base (its ids are the model's enums).
pub fn document(kb: &Knowledge) -> Value {
    let mut out = SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| s.definitions_path = "#/components/schemas/".into())
        .into_generator();
    let mut paths = Map::new();
    for op in OPERATIONS {
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        item[op.method] = operation(op, &mut out);
    }
    let mut schemas = out.take_definitions(true);
    let error = serde_json::to_value(schema::<ErrorBody>(&mut out)).expect("schema");
    schemas.extend(out.take_definitions(true));
    lift_model(kb, &mut schemas);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "tia assessment register API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Transfer impact assessments of cloud services: assess a model, keep immutable versions per system, download the decision memo, compare systems and see change reports. Every route except /health and /api/openapi.json needs a bearer token or a session cookie. Errors have one shape, {}: `{{\"error\": {{\"status\", \"code\", \"message\", \"diagnostics\"?}}}}`. Generated from tia {} with knowledge {} ({}).",
                error["$ref"].as_str().unwrap_or("Error"),
                env!("CARGO_PKG_VERSION"),
                kb.meta.version,
                kb.meta.as_of,
            ),
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token from the credentials file or TIA_API_TOKEN"},
                "session": {"type": "apiKey", "in": "cookie", "name": super::auth::SESSION_COOKIE, "description": "The session of a user logged in at /login; writes with it must come from this server's pages"},
            },
            "schemas": schemas,
        },
    })
}

fn operation(op: &Operation, g: &mut SchemaGenerator) -> Value {
    let mut o = json!({
        "summary": op.summary,
        "description": op.description,
        "operationId": operation_id(op),
    });
    if !op.secured {
        o["security"] = json!([]);
    }
    let mut params = Vec::new();
    for name in ["id", "number"] {
        if op.path.contains(&format!("{{{name}}}")) {
            params.push(json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": if name == "id" { "The system's id" } else { "The version's number (1 is the first)" },
                "schema": {"type": "integer", "format": "int64", "minimum": 1},
            }));
        }
    }
    if let Some((query, omit)) = op.query {
        params.extend(query_parameters(query, omit));
    }
    if op.model_body {
        params.push(json!({
            "name": "Accept-Language",
            "in": "header",
            "required": false,
            "description": "The language of an invalid model's diagnostics (`message`, `expected`, `hint`; `code` and `args` stay the same): sv, da or en, e.g. `da, en;q=0.8`. The `lang` parameter, when given, decides instead. Default en.",
            "schema": {"type": "string"},
            "example": "sv",
        }));
    }
    if !params.is_empty() {
        o["parameters"] = json!(params);
    }
    if op.model_body {
        let model = json!({"$ref": "#/components/schemas/Model"});
        o["requestBody"] = json!({
            "required": true,
            "description": "The model file's text, YAML or JSON, as described by `tia schema` (here: Model). YAML aliases are refused.",
            "content": {
                "application/yaml": {"schema": {"type": "string"}, "example": EXAMPLE_MODEL},
                "application/json": {"schema": model},
                "text/plain": {"schema": {"type": "string"}},
            },
        });
    }
    let mut responses = Map::new();
    let success = match op.answer {
        Answer::Json(f) => {
            let s = serde_json::to_value(f(g)).expect("schema");
            json!({"description": "OK", "content": {"application/json": {"schema": s}}})
        }
        Answer::Pdf => json!({
            "description": "The PDF, as an attachment",
            "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}},
        }),
        Answer::OpenApi => json!({
            "description": "This OpenAPI description",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }),
        Answer::Health => json!({
            "description": "The server and its database answer",
            "content": {"text/plain": {"schema": {"const": "ok"}}},
        }),
    };
    responses.insert(op.success.to_string(), success);
    if matches!(op.answer, Answer::Health) {
        responses.insert(
            "503".into(),
            json!({"description": "The database does not answer", "content": {"text/plain": {"schema": {"const": "database unavailable"}}}}),
        );
    }
    let mut by_status: std::collections::BTreeMap<u16, Vec<ErrorCode>> = Default::default();
    for code in op.error_codes() {
        by_status
            .entry(code.status().as_u16())
            .or_default()
            .push(code);
    }
    for (status, codes) in by_status {
        let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        let mut description = codes
            .iter()
            .map(|c| format!("`{}`: {}", c.as_str(), c.meaning()))
            .collect::<Vec<_>>()
            .join("; ");
        if status == 401 {
            description.push_str(" (with a `WWW-Authenticate: Bearer` header)");
        }
        responses.insert(
            status.to_string(),
            json!({
                "description": description,
                "content": {"application/json": {
                    "schema": {
                        "allOf": [{"$ref": "#/components/schemas/Error"}],
                        "properties": {"error": {"properties": {
                            "status": {"const": status},
                            "code": {"enum": names},
                        }}},
                    },
                    "example": {"error": {"status": status, "code": names[0], "message": codes[0].meaning()}},
                }},
            }),
        );
    }
    o["responses"] = Value::Object(responses);
    o
}

fn operation_id(op: &Operation) -> String {
    let words: Vec<&str> = op
        .path
        .split(['/', '.', '{', '}'])
        .filter(|w| !w.is_empty() && *w != "api")
        .collect();
    format!("{}_{}", op.method, words.join("_"))
}

/// The handler's query type as OpenAPI query parameters: one per field, with the field's doc
/// comment as description.
fn query_parameters(query: SchemaOf, omit: &[&str]) -> Vec<Value> {
    let mut g = SchemaSettings::draft2020_12()
        .for_deserialize()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = serde_json::to_value(query(&mut g)).expect("schema");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
        if omit.contains(&name.as_str()) {
            continue;
        }
        let mut prop = prop.clone();
        // An absent parameter is how a query says "none": `null` is not a value it can carry.
        if let Some(o) = prop.as_object_mut() {
            if let Some(Value::Array(types)) = o.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let t = types[0].clone();
                    o.insert("type".into(), t);
                }
            }
            if let Some(Value::Array(values)) = o.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
        }
        let description = prop
            .as_object_mut()
            .and_then(|o| o.remove("description"))
            .unwrap_or(Value::Null);
        let mut p = json!({
            "name": name,
            "in": "query",
            "required": required.contains(&name.as_str()),
            "schema": prop,
        });
        if !description.is_null() {
            p["description"] = description;
        }
        out.push(p);
    }
    out
}

/// The model's JSON Schema (as `tia schema` writes it) as the component `Model`, its
/// definitions beside the others. A definition whose name an answer type already uses is kept
/// under `Model…` so that neither changes meaning.
fn lift_model(kb: &Knowledge, schemas: &mut Map<String, Value>) {
    let mut model = crate::model::json_schema_with(kb);
    let defs = model
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .and_then(|d| match d {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    let mut renames = Map::new();
    for (name, def) in &defs {
        let target = match schemas.get(name) {
            Some(existing) if existing != def => format!("Model{name}"),
            _ => name.clone(),
        };
        renames.insert(name.clone(), Value::String(target));
    }
    let rewrite = |v: &mut Value| rewrite_refs(v, &renames);
    for (name, mut def) in defs {
        rewrite(&mut def);
        let target = renames[&name].as_str().unwrap_or(&name).to_string();
        schemas.insert(target, def);
    }
    rewrite(&mut model);
    if let Some(o) = model.as_object_mut() {
        o.remove("$schema");
    }
    schemas.insert("Model".into(), model);
}

fn rewrite_refs(v: &mut Value, renames: &Map<String, Value>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    let target = renames
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or(name)
                        .to_string();
                    *r = format!("#/components/schemas/{target}");
                }
            }
            for (_, x) in o.iter_mut() {
                rewrite_refs(x, renames);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, renames)),
        _ => {}
    }
}

/// A small model for the description's example.
const EXAMPLE_MODEL: &str = "controller:\n  name: Exempel kommun\n  country: SE\n  kind: public_body\nprocessing:\n  purpose: Lönehantering\n  data_subjects: [employees]\n  data_categories: [identity, contact]\nparties:\n  - id: hr\n    name: HR-leverantören AB\n    role: processor\n    incorporated: SE\n    locations: [SE]\n    parents: none\nflows:\n  - from: controller\n    to: hr\n    access: cleartext\n";
