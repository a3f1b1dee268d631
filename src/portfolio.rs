//! The portfolio: every system of a register (the latest version of each) or every model in a
//! folder, judged again under today's knowledge (or a given one) on a given day, and
//! optionally under what-if scenarios. For each system: the verdict it got when saved, the
//! verdict now, which findings came and went and why (the knowledge change-log entries that
//! name what moved it, where that can be told), the prior consultation now, the flows that lose
//! their transfer tool under a scenario with the fall-back for each, open objection deadlines,
//! the measures its findings require, and what is due first.
//!
//! One engine: the CLI, the server and the tests call [`run`]. Systems are streamed through a
//! bounded pool of workers; only the summary rows are kept, never the full reports.

use crate::diag::{Diagnostic, InputError};
use crate::engine::{Analysis, ExposureStatus, Verdict};
use crate::knowledge::scenario::Scenario;
use crate::knowledge::{Effect, Knowledge};
use crate::model::{Lang, Model, Role, TransferTool};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// At most this many workers judge at once, whatever is asked.
pub const MAX_WORKERS: usize = 16;

/// A system to judge: its model text and, from a register, what its latest version got when
/// saved.
#[derive(Debug, Clone)]
pub struct SystemInput {
    pub system_id: Option<i64>,
    pub name: String,
    pub file: String,
    pub model_text: String,
    pub saved: Option<Saved>,
}

/// What a saved version got when it was saved.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Saved {
    pub version: i64,
    pub verdict: Verdict,
    pub prior_consultation_required: bool,
    pub knowledge_version: String,
    pub knowledge_as_of: String,
    pub as_of: String,
    pub policy: String,
    pub saved_at: String,
    /// The tia version that judged it.
    pub tool_version: Option<String>,
    /// The finding ids of the saved report.
    #[serde(skip)]
    pub findings: Vec<String>,
    pub notice_date: Option<NaiveDate>,
    pub objection_days: Option<i64>,
}

impl SystemInput {
    /// A register version as input: its model text and what it got when saved.
    pub fn from_version(v: crate::store::LatestVersion) -> SystemInput {
        /// The parts of a saved report the portfolio reads (the rest is skipped unparsed).
        #[derive(serde::Deserialize, Default)]
        struct SavedReport {
            #[serde(default)]
            tool_version: Option<String>,
            #[serde(default)]
            findings: Vec<SavedFinding>,
        }
        #[derive(serde::Deserialize)]
        struct SavedFinding {
            id: String,
        }
        let report: SavedReport = serde_json::from_str(&v.result_json).unwrap_or_default();
        let s = v.summary;
        let verdict = serde_json::from_value(serde_json::Value::String(s.verdict.clone()))
            .unwrap_or(Verdict::NotAcceptable);
        SystemInput {
            system_id: Some(v.system_id),
            name: v.name,
            file: s.file_name.clone(),
            model_text: v.model_text,
            saved: Some(Saved {
                version: s.number,
                verdict,
                prior_consultation_required: s.prior_consultation_required,
                knowledge_version: s.knowledge_version,
                knowledge_as_of: s.knowledge_as_of,
                as_of: s.as_of,
                policy: s.policy,
                saved_at: s.saved_at,
                tool_version: report.tool_version,
                findings: report.findings.into_iter().map(|f| f.id).collect(),
                notice_date: s.notice_date.as_deref().and_then(|d| d.parse().ok()),
                objection_days: s.objection_days,
            }),
        }
    }
}

/// How to judge the portfolio.
#[derive(Debug, Clone)]
pub struct PortfolioOptions {
    /// The day the facts are judged as of.
    pub as_of: NaiveDate,
    /// The report's date: deadlines before it have passed.
    pub today: NaiveDate,
    /// Scenarios to judge under as well (what-if).
    pub scenarios: Vec<Scenario>,
    /// The first day the scenarios hold (overrides each scenario's own).
    pub from: Option<NaiveDate>,
    /// The knowledge change log (`knowledge/CHANGELOG.md`), to say why a verdict moved.
    pub changelog: Option<String>,
    pub lang: Lang,
    /// Workers judging at once (1 to [`MAX_WORKERS`]).
    pub workers: usize,
}

/// The knowledge used, as every report states it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KnowledgeUsed {
    pub version: String,
    pub as_of: NaiveDate,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScenarioUsed {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// The first day the scenario holds.
    pub from: NaiveDate,
    pub citations: Vec<String>,
}

/// The whole portfolio.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Portfolio {
    pub knowledge: KnowledgeUsed,
    pub as_of: NaiveDate,
    pub today: NaiveDate,
    pub scenarios: Vec<ScenarioUsed>,
    pub counts: Counts,
    /// One row per system, what is due first first.
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub systems: usize,
    /// Systems whose verdict now differs from the saved one.
    pub verdict_changed: usize,
    pub worsened: usize,
    pub improved: usize,
    /// Systems that could not be judged (unknown is never safe).
    pub not_judged: usize,
    /// Systems whose verdict differs under the scenarios.
    pub what_if_changed: usize,
    /// Flows that lose their transfer tool under the scenarios.
    pub flows_losing_tool: usize,
}

/// How a verdict moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    Improved,
    Worsened,
    Unchanged,
}

fn movement(before: Verdict, after: Verdict) -> Movement {
    match after.cmp(&before) {
        std::cmp::Ordering::Greater => Movement::Improved,
        std::cmp::Ordering::Less => Movement::Worsened,
        std::cmp::Ordering::Equal => Movement::Unchanged,
    }
}

/// One system, judged.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Row {
    pub system_id: Option<i64>,
    pub name: String,
    pub file: String,
    /// From a register: what the latest version got when saved.
    pub saved: Option<Saved>,
    pub policy: String,
    /// The verdict now; None when the model could not be judged (see `error`).
    pub verdict: Option<Verdict>,
    pub prior_consultation_required: Option<bool>,
    /// Saved → now.
    pub movement: Option<Movement>,
    pub findings_added: Vec<String>,
    pub findings_removed: Vec<String>,
    /// Why it moved, in words.
    pub why: Vec<String>,
    /// Findings whose effect is "acceptable once the measure is taken": the measures due.
    pub measures_required: Vec<String>,
    pub what_if: Option<WhatIf>,
    pub objection_deadlines: Vec<Deadline>,
    /// When the assessment is next to be re-evaluated (EDPB Recommendations 01/2020 step 6),
    /// None when nothing sets it.
    pub next_review: Option<NaiveDate>,
    pub next_review_reason: String,
    /// The earliest of the next review, the open objection deadlines and the day a scenario
    /// that worsens the verdict takes hold.
    pub due: Option<NaiveDate>,
    /// Why the system could not be judged.
    pub error: Option<String>,
}

/// The system under the scenarios, against the verdict now.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WhatIf {
    pub verdict: Verdict,
    pub prior_consultation_required: bool,
    pub movement: Movement,
    pub findings_added: Vec<String>,
    pub findings_removed: Vec<String>,
    pub flows: Vec<FlowLoss>,
    /// The exit options under the scenario, feasible ones best residual verdict first.
    pub options: Vec<OptionOutcome>,
    pub recommended_option: Option<String>,
}

/// A flow whose transfer tool changes under the scenarios.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FlowLoss {
    pub flow: String,
    pub to: String,
    pub tool_before: TransferTool,
    pub tool_after: TransferTool,
    pub fallback: Fallback,
    /// The fall-back in words.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// A declared art. 46 tool (SCCs, BCRs) takes over and can work: a transfer impact
    /// assessment must document it.
    SccWithTia,
    /// A declared art. 46 tool takes over, but the recipient reads the data in the clear and
    /// a third-country law reaches it (EDPB use case 6): it cannot work alone; see the options.
    SccInsufficient,
    /// No tool is left: SCCs would have to be signed, and could work (see the TIA).
    NoToolSccCouldWork,
    /// No tool is left and SCCs could not work alone: the exit options.
    NoToolExit,
    /// Another tool (adequacy) still covers the flow.
    OtherTool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OptionOutcome {
    pub id: String,
    pub title: String,
    pub residual_verdict: Option<Verdict>,
    pub feasible: bool,
}

/// An open objection deadline from an announced sub-processor change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Deadline {
    pub processor: String,
    pub notice_date: NaiveDate,
    pub last_day_to_object: Option<NaiveDate>,
    pub basis: crate::diff::DeadlineBasis,
    pub passed: bool,
}

/// Judges every system the iterator yields, `opts.workers` at a time, and keeps the rows.
/// A folder's model that does not load is bad input (the whole run fails with its located
/// error); a register version that no longer loads under this knowledge becomes a row that
/// could not be judged.
pub fn run<I>(
    kb: &Knowledge,
    inputs: I,
    opts: &PortfolioOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Portfolio, InputError>
where
    I: Iterator<Item = Result<SystemInput, InputError>> + Send,
{
    let what_if_kb = (!opts.scenarios.is_empty())
        .then(|| kb.with_scenarios(&opts.scenarios, opts.from, opts.as_of));
    let vendors_changed = opts
        .scenarios
        .iter()
        .any(|s| s.kind == crate::knowledge::scenario::ScenarioKind::Acquisition);
    let changelog = opts.changelog.as_deref().map(ChangeLog::parse);
    let ctx = Ctx {
        kb,
        what_if_kb: what_if_kb.as_ref(),
        vendors_changed,
        changelog: changelog.as_ref(),
        opts,
        say: Say::new(opts.lang),
    };
    let workers = opts.workers.clamp(1, MAX_WORKERS);
    let source = Mutex::new((inputs, 0usize));
    let rows: Mutex<Vec<(usize, Row)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<InputError>> = Mutex::new(None);
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                    return;
                }
                let next = {
                    let Ok(mut src) = source.lock() else { return };
                    let i = src.1;
                    src.1 += 1;
                    src.0.next().map(|x| (i, x))
                };
                let Some((i, item)) = next else { return };
                let result = item.and_then(|input| ctx.judge(input));
                match result {
                    Ok(row) => {
                        if let Ok(mut r) = rows.lock() {
                            r.push((i, row));
                        }
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(n);
                    }
                    Err(e) => {
                        if let Ok(mut f) = failure.lock() {
                            f.get_or_insert(e);
                        }
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut rows: Vec<(usize, Row)> = rows.into_inner().unwrap_or_default();
    rows.sort_by_key(|(i, _)| *i);
    let mut rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    rows.sort_by(|a, b| {
        (
            a.due.is_none(),
            a.due,
            a.error.is_none(),
            a.verdict,
            &a.name,
        )
            .cmp(&(
                b.due.is_none(),
                b.due,
                b.error.is_none(),
                b.verdict,
                &b.name,
            ))
    });
    let mut counts = Counts {
        systems: rows.len(),
        ..Counts::default()
    };
    for r in &rows {
        match r.movement {
            Some(Movement::Worsened) => {
                counts.verdict_changed += 1;
                counts.worsened += 1
            }
            Some(Movement::Improved) => {
                counts.verdict_changed += 1;
                counts.improved += 1
            }
            _ => {}
        }
        if r.error.is_some() {
            counts.not_judged += 1;
        }
        if let Some(w) = &r.what_if {
            if w.movement != Movement::Unchanged {
                counts.what_if_changed += 1;
            }
            counts.flows_losing_tool += w.flows.len();
        }
    }
    let scenarios = opts
        .scenarios
        .iter()
        .map(|s| ScenarioUsed {
            id: s.id.clone(),
            kind: s.kind.key().to_string(),
            title: s.title.get(opts.lang).to_string(),
            from: opts.from.or(s.from).unwrap_or(opts.as_of),
            citations: s
                .citations
                .iter()
                .map(|c| kb.cite_in(c, opts.lang))
                .chain(s.reference.clone())
                .collect(),
        })
        .collect();
    Ok(Portfolio {
        knowledge: KnowledgeUsed {
            version: kb.meta.version.clone(),
            as_of: kb.meta.as_of,
            origin: kb.origin.clone(),
        },
        as_of: opts.as_of,
        today: opts.today,
        scenarios,
        counts,
        rows,
    })
}

/// Under an acquisition a bought vendor's owners are the buyer's from the scenario's date: a
/// party that names the vendor and states its owners itself (as of before) takes the
/// catalogue's owners instead, which the scenario has changed. None when no party does.
fn owners_from_catalogue(text: &str, acquired: &[&str]) -> Option<String> {
    let body = text.trim_start_matches('\u{feff}');
    let mut m: crate::model::input::ModelInput = if body.trim_start().starts_with('{') {
        serde_json::from_str(body).ok()?
    } else {
        crate::yaml::from_str(body).ok()?
    };
    let mut changed = false;
    for p in &mut m.parties {
        if p.parents.is_some() && p.vendor.as_deref().is_some_and(|v| acquired.contains(&v)) {
            p.parents = None;
            p.ownership_source = None;
            changed = true;
        }
    }
    changed.then(|| crate::model::write::new_text(&m, ""))
}

/// A system's model with its texts (findings, options) in the run's language, whatever the
/// language of its own documents: a portfolio reads in one language.
fn load_in(text: &str, file: &str, kb: &Knowledge, lang: Lang) -> Result<Model, InputError> {
    let mut m = crate::model::load_model(text, file, kb)?;
    m.language = lang;
    Ok(m)
}

/// The portfolio's sentences in the run's language (`templates/memo/lang`, section
/// `portfolio`), shared with the report PDF.
struct Say {
    t: serde_json::Value,
}

impl Say {
    fn new(lang: Lang) -> Say {
        let t = crate::memo::Renderer::new()
            .map(|r| r.wording(lang)["portfolio"].clone())
            .unwrap_or_default();
        Say { t }
    }

    /// The sentence at `path` (`reason.changed`) with its `{placeholders}` filled once.
    fn get(&self, path: &str, vars: &[(&str, &str)]) -> String {
        let mut v = &self.t;
        for k in path.split('.') {
            v = &v[k];
        }
        match v.as_str() {
            Some(template) => crate::knowledge::fill(template, vars),
            None => path.to_string(),
        }
    }
}

struct Ctx<'a> {
    say: Say,
    kb: &'a Knowledge,
    what_if_kb: Option<&'a Knowledge>,
    vendors_changed: bool,
    changelog: Option<&'a ChangeLog>,
    opts: &'a PortfolioOptions,
}

/// What one analysis says, in ids.
struct Outcome {
    verdict: Verdict,
    prior: bool,
    findings: BTreeSet<String>,
    measures: Vec<String>,
}

fn outcome(an: &Analysis) -> Outcome {
    let findings: BTreeSet<String> = an.hits.iter().map(|h| an.finding_id(h)).collect();
    let mut measures: Vec<String> = an
        .hits
        .iter()
        .filter(|h| h.effect == Effect::Measures)
        .map(|h| an.finding_id(h))
        .collect();
    measures.sort();
    measures.dedup();
    Outcome {
        verdict: an.verdict,
        prior: an.prior_consultation_required,
        findings,
        measures,
    }
}

fn minus(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

impl Ctx<'_> {
    fn judge(&self, input: SystemInput) -> Result<Row, InputError> {
        let kb = self.kb;
        let opts = self.opts;
        let mut row = Row {
            system_id: input.system_id,
            name: input.name.clone(),
            file: input.file.clone(),
            saved: input.saved.clone(),
            policy: input
                .saved
                .as_ref()
                .map(|s| s.policy.clone())
                .unwrap_or_default(),
            verdict: None,
            prior_consultation_required: None,
            movement: None,
            findings_added: Vec::new(),
            findings_removed: Vec::new(),
            why: Vec::new(),
            measures_required: Vec::new(),
            what_if: None,
            objection_deadlines: Vec::new(),
            next_review: None,
            next_review_reason: String::new(),
            due: None,
            error: None,
        };
        let model = match load_in(&input.model_text, &input.file, kb, opts.lang) {
            Ok(m) => m,
            // A folder's file is the user's input: bad input stops the run.
            Err(e) if input.saved.is_none() => return Err(e),
            Err(e) => {
                row.error = Some(self.say.get(
                    "reason.no_longer_loads",
                    &[
                        ("version", &kb.meta.version),
                        ("error", e.to_string().lines().next().unwrap_or_default()),
                    ],
                ));
                row.next_review = Some(opts.today);
                row.next_review_reason = self.say.get("reason.not_judged", &[]);
                row.due = row.next_review;
                return Ok(row);
            }
        };
        // Like with like: a saved version is judged under the profile it was saved under.
        let wanted = input.saved.as_ref().map(|s| s.policy.as_str());
        let policy = match crate::report::pick_policy(kb, &model, wanted, opts.as_of) {
            Ok(p) => p,
            Err(e) if input.saved.is_none() => return Err(e),
            Err(e) => {
                row.error = Some(e.to_string().lines().next().unwrap_or_default().into());
                row.next_review = Some(opts.today);
                row.next_review_reason = self.say.get("reason.not_judged", &[]);
                row.due = row.next_review;
                return Ok(row);
            }
        };
        row.policy = policy.id.clone();
        let an = Analysis::run(&model, kb, policy, opts.as_of);
        let now = outcome(&an);
        row.verdict = Some(now.verdict);
        row.prior_consultation_required = Some(now.prior);
        row.measures_required = now.measures.clone();
        if let Some(saved) = &input.saved {
            let before: BTreeSet<String> = saved.findings.iter().cloned().collect();
            row.movement = Some(movement(saved.verdict, now.verdict));
            row.findings_added = minus(&now.findings, &before);
            row.findings_removed = minus(&before, &now.findings);
            if row.movement != Some(Movement::Unchanged)
                || !row.findings_added.is_empty()
                || !row.findings_removed.is_empty()
                || saved.prior_consultation_required != now.prior
            {
                row.why = self.why(saved, &model, &row.findings_added, &row.findings_removed);
            }
        }
        if let Some(wkb) = self.what_if_kb {
            row.what_if = Some(self.what_if(wkb, &input, &model, &an, &now, wanted)?);
        }
        row.objection_deadlines = deadlines(&model, input.saved.as_ref(), opts.today);
        // Step 6: re-evaluate when something changed, else by the day the model sets, else
        // after the profile's interval (none sets one yet), else unknown.
        let changed = row.movement.is_some_and(|m| m != Movement::Unchanged)
            || !row.findings_added.is_empty()
            || !row.findings_removed.is_empty();
        let what_if_day = row.what_if.as_ref().and_then(|w| {
            (w.movement == Movement::Worsened || !w.flows.is_empty()).then(|| {
                opts.scenarios
                    .iter()
                    .map(|s| opts.from.or(s.from).unwrap_or(opts.as_of))
                    .min()
                    .unwrap_or(opts.as_of)
            })
        });
        // The day last judged: the version's save, or for a folder's model, today.
        let last_judged = input
            .saved
            .as_ref()
            .and_then(|s| s.saved_at.get(..10))
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .unwrap_or(opts.today);
        let periodic = policy
            .review_interval_months
            .and_then(|m| last_judged.checked_add_months(chrono::Months::new(m)));
        if changed {
            row.next_review = Some(opts.today);
            row.next_review_reason = self.say.get("reason.changed", &[]);
        } else if let Some(d) = what_if_day {
            row.next_review = Some(d.min(opts.as_of.max(opts.today)));
            row.next_review_reason = self.say.get("reason.scenario", &[]);
        } else if let Some(d) = model.next_review {
            row.next_review = Some(d);
            row.next_review_reason = self.say.get(
                if d < opts.today {
                    "reason.model_passed"
                } else {
                    "reason.model"
                },
                &[("date", &d.to_string())],
            );
        } else if let (Some(d), Some(m)) = (periodic, policy.review_interval_months) {
            row.next_review = Some(d);
            row.next_review_reason = self.say.get(
                "reason.interval",
                &[
                    ("months", &m.to_string()),
                    ("date", &last_judged.to_string()),
                    ("profile", &policy.id),
                ],
            );
        } else {
            row.next_review_reason = self.say.get("reason.unknown", &[]);
        }
        row.due = row
            .next_review
            .into_iter()
            .chain(what_if_day)
            .chain(
                row.objection_deadlines
                    .iter()
                    .filter(|d| !d.passed)
                    .filter_map(|d| d.last_day_to_object),
            )
            .min();
        Ok(row)
    }

    fn what_if(
        &self,
        wkb: &Knowledge,
        input: &SystemInput,
        model: &Model,
        an: &Analysis,
        now: &Outcome,
        wanted: Option<&str>,
    ) -> Result<WhatIf, InputError> {
        let opts = self.opts;
        let owned;
        let wmodel = if self.vendors_changed {
            let acquired: Vec<&str> = opts
                .scenarios
                .iter()
                .filter(|s| s.kind == crate::knowledge::scenario::ScenarioKind::Acquisition)
                .filter_map(|s| s.vendor.as_deref())
                .collect();
            owned = match owners_from_catalogue(&input.model_text, &acquired) {
                Some(text) => load_in(&text, &input.file, wkb, opts.lang)?,
                None => load_in(&input.model_text, &input.file, wkb, opts.lang)?,
            };
            &owned
        } else {
            model
        };
        let policy = crate::report::pick_policy(wkb, wmodel, wanted, opts.as_of)?;
        let wan = Analysis::run(wmodel, wkb, policy, opts.as_of);
        let after = outcome(&wan);
        let mut flows = Vec::new();
        for (k, f) in model.flows.iter().enumerate() {
            if !an.flows[k].reachable {
                continue;
            }
            let (before_t, after_t) = (
                an.flows[k].transfer.effective,
                wan.flows[k].transfer.effective,
            );
            if before_t == after_t || before_t == TransferTool::None {
                continue;
            }
            let p = f.to_ix;
            // SCCs can work only where no third-country law still reaches the recipient in
            // law (measures remove it, or it cannot read the data): EDPB use cases 1–5.
            let reached = wan
                .exposures
                .iter()
                .any(|e| e.party == p && e.status == ExposureStatus::Effective);
            let fallback = match after_t {
                TransferTool::Scc | TransferTool::Bcr if !reached => Fallback::SccWithTia,
                TransferTool::Scc | TransferTool::Bcr => Fallback::SccInsufficient,
                TransferTool::None if !reached => Fallback::NoToolSccCouldWork,
                TransferTool::None => Fallback::NoToolExit,
                _ => Fallback::OtherTool,
            };
            let key = serde_json::to_value(fallback)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let text = self.say.get(&format!("fallback.{key}"), &[]);
            flows.push(FlowLoss {
                flow: f.id.clone(),
                to: model.parties[p].name.value.clone(),
                tool_before: before_t,
                tool_after: after_t,
                fallback,
                text: text.to_string(),
            });
        }
        let movement = movement(now.verdict, after.verdict);
        let (options, recommended_option) = if movement == Movement::Worsened
            || flows
                .iter()
                .any(|f| matches!(f.fallback, Fallback::SccInsufficient | Fallback::NoToolExit))
        {
            let (results, rec, _) = crate::options::evaluate(&wan);
            let mut out: Vec<OptionOutcome> = results
                .into_iter()
                .map(|o| OptionOutcome {
                    id: o.id,
                    title: o.title,
                    residual_verdict: o.residual_verdict,
                    feasible: o.feasible,
                })
                .collect();
            out.sort_by_key(|o| (!o.feasible, std::cmp::Reverse(o.residual_verdict)));
            (out, rec)
        } else {
            (Vec::new(), None)
        };
        Ok(WhatIf {
            verdict: after.verdict,
            prior_consultation_required: after.prior,
            movement,
            findings_added: minus(&after.findings, &now.findings),
            findings_removed: minus(&now.findings, &after.findings),
            flows,
            options,
            recommended_option,
        })
    }

    /// Why the verdict or findings moved since the version was saved: the knowledge versions
    /// and the change-log entries that name a rule, law or vendor involved, a later date, or a
    /// newer engine.
    fn why(
        &self,
        saved: &Saved,
        model: &Model,
        added: &[String],
        removed: &[String],
    ) -> Vec<String> {
        let kb = self.kb;
        let mut out = Vec::new();
        if saved.knowledge_version != kb.meta.version {
            // The ids a change-log entry may name: rules, laws and parties of the moved
            // findings, and the vendors of the model's parties.
            let mut keys: BTreeSet<String> = BTreeSet::new();
            for id in added.iter().chain(removed) {
                let (rule, subject) = id.split_once('@').unwrap_or((id.as_str(), ""));
                keys.insert(rule.to_string());
                if let Some((_, law)) = subject.split_once('/') {
                    keys.insert(law.to_string());
                }
            }
            for p in &model.parties {
                if let Some(v) = &p.vendor {
                    keys.insert(v.clone());
                }
            }
            let head = self.say.get(
                "reason.knowledge",
                &[
                    ("old", &saved.knowledge_version),
                    ("old_as_of", &saved.knowledge_as_of),
                    ("new", &kb.meta.version),
                    ("new_as_of", &kb.meta.as_of.to_string()),
                ],
            );
            match self
                .changelog
                .and_then(|c| c.between(&saved.knowledge_version, &kb.meta.version))
            {
                Some(sections) => {
                    let mut cited = 0;
                    for s in sections {
                        for b in &s.bullets {
                            let named: Vec<&String> =
                                keys.iter().filter(|k| mentions(b, k)).collect();
                            if !named.is_empty() {
                                cited += 1;
                                let named: Vec<&str> = named.iter().map(|k| k.as_str()).collect();
                                out.push(self.say.get(
                                    "reason.entry",
                                    &[
                                        ("version", &s.version),
                                        ("named", &named.join(", ")),
                                        ("entry", &shorten(b, 300)),
                                    ],
                                ));
                            }
                        }
                    }
                    if cited == 0 {
                        out.insert(0, self.say.get("reason.no_entry", &[("head", &head)]));
                    } else {
                        out.insert(0, head);
                    }
                }
                None => out.push(self.say.get(
                    "reason.not_listed",
                    &[("head", &head), ("old", &saved.knowledge_version)],
                )),
            }
        }
        if saved.as_of != self.opts.as_of.to_string() {
            out.push(self.say.get(
                "reason.other_date",
                &[
                    ("now", &self.opts.as_of.to_string()),
                    ("saved", &saved.as_of),
                ],
            ));
        }
        let tool = env!("CARGO_PKG_VERSION");
        if saved.tool_version.as_deref().is_some_and(|t| t != tool) {
            out.push(self.say.get(
                "reason.other_tool",
                &[
                    ("now", tool),
                    ("saved", saved.tool_version.as_deref().unwrap_or("?")),
                ],
            ));
        }
        if out.is_empty() {
            out.push(self.say.get("reason.unattributed", &[]));
        }
        out
    }
}

/// Whether a change-log text names an id (as a word: `fisa-702` is not named by `fisa-702x`).
fn mentions(text: &str, id: &str) -> bool {
    if id.len() < 3 {
        return false;
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(id).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + id.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

fn shorten(text: &str, max: usize) -> String {
    let flat: String = text
        .replace("**", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}…", &cut[..i]),
        None => format!("{cut}…"),
    }
}

/// The open objection deadlines: for each notice (the version's notice date, each party's
/// `announced` day), each processor's last day to object under its DPA terms — the same rule
/// as the change report (`tia diff`): the objection period, else the day before the change
/// takes effect.
fn deadlines(model: &Model, saved: Option<&Saved>, today: NaiveDate) -> Vec<Deadline> {
    use crate::diff::DeadlineBasis;
    let mut notices: BTreeSet<NaiveDate> =
        model.parties.iter().filter_map(|p| p.announced).collect();
    if let Some(d) = saved.and_then(|s| s.notice_date) {
        notices.insert(d);
    }
    let override_days = saved
        .and_then(|s| s.objection_days)
        .and_then(|d| u32::try_from(d).ok());
    let mut out = Vec::new();
    for &notice in &notices {
        for p in model.parties.iter().filter(|p| p.role == Role::Processor) {
            let after = |days: u32| notice.checked_add_days(Days::new(days.into()));
            let (basis, last) = if let Some(d) = override_days {
                (DeadlineBasis::Override, after(d))
            } else if let Some(d) = p.dpa.objection_days {
                (DeadlineBasis::ObjectionDays, after(d))
            } else if let Some(d) = p.dpa.change_notice_days {
                (
                    DeadlineBasis::ChangeNoticeDays,
                    after(d).and_then(|x| x.pred_opt()),
                )
            } else {
                (DeadlineBasis::Unknown, None)
            };
            let passed = last.is_some_and(|d| d < today);
            if !passed {
                out.push(Deadline {
                    processor: p.name.value.clone(),
                    notice_date: notice,
                    last_day_to_object: last,
                    basis,
                    passed,
                });
            }
        }
    }
    out
}

/// The knowledge change log: one section per version, newest first, each with its entries.
#[derive(Debug, Clone)]
pub struct ChangeLog {
    pub sections: Vec<ChangeSection>,
}

#[derive(Debug, Clone)]
pub struct ChangeSection {
    pub version: String,
    pub heading: String,
    pub bullets: Vec<String>,
}

impl ChangeLog {
    /// Reads `## VERSION — date` sections and their `- ` entries (continuation lines joined).
    pub fn parse(text: &str) -> ChangeLog {
        let mut sections: Vec<ChangeSection> = Vec::new();
        let mut in_bullet = false;
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                sections.push(ChangeSection {
                    version: h.split_whitespace().next().unwrap_or_default().to_string(),
                    heading: h.trim().to_string(),
                    bullets: Vec::new(),
                });
                in_bullet = false;
                continue;
            }
            let Some(s) = sections.last_mut() else {
                continue;
            };
            if let Some(b) = line.strip_prefix("- ") {
                s.bullets.push(b.to_string());
                in_bullet = true;
            } else if in_bullet && line.starts_with("  ") {
                if let Some(last) = s.bullets.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                }
            } else {
                in_bullet = false;
                if !line.trim().is_empty() && !line.starts_with('#') {
                    // A paragraph that is not a list entry is an entry of its own.
                    s.bullets.push(line.to_string());
                    in_bullet = true;
                }
            }
        }
        ChangeLog { sections }
    }

    /// The sections after `from` up to and including `to` (None when either is not listed or
    /// `from` is not older).
    pub fn between(&self, from: &str, to: &str) -> Option<&[ChangeSection]> {
        let i_to = self.sections.iter().position(|s| s.version == to)?;
        let i_from = self.sections.iter().position(|s| s.version == from)?;
        (i_to < i_from).then(|| &self.sections[i_to..i_from])
    }
}

/// The embedded knowledge's change log.
pub const EMBEDDED_CHANGELOG: &str = include_str!("../knowledge/CHANGELOG.md");

/// The change log for a knowledge folder (`CHANGELOG.md` in it), or the embedded one.
pub fn changelog_for(dir: Option<&std::path::Path>) -> Option<String> {
    match dir {
        Some(d) => std::fs::read_to_string(d.join("CHANGELOG.md")).ok(),
        None => Some(EMBEDDED_CHANGELOG.to_string()),
    }
}

/// Every model file (`*.yaml`, `*.yml`, `*.json`) directly in a folder, in name order, read
/// one at a time as they are judged.
pub fn folder_systems(
    dir: &std::path::Path,
) -> Result<impl Iterator<Item = Result<SystemInput, InputError>> + Send, InputError> {
    let name = dir.display().to_string();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            InputError::from(
                Diagnostic::new(&name, (1, 1), format!("cannot read the folder: {e}"))
                    .expected("a folder of model files (.yaml, .yml or .json)")
                    .hint("give --dir an existing folder, or --db a register"),
            )
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("yaml" | "yml" | "json")
                )
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(
            Diagnostic::new(&name, (1, 1), "no model files in the folder")
                .expected("a folder of model files (.yaml, .yml or .json)")
                .hint("`tia init` writes a first model")
                .into(),
        );
    }
    Ok(files.into_iter().map(|p| {
        let file = p.display().to_string();
        let text = std::fs::read_to_string(&p).map_err(|e| {
            InputError::from(
                Diagnostic::new(&file, (1, 1), format!("cannot read the model file: {e}"))
                    .expected("a readable YAML or JSON model file (UTF-8)"),
            )
        })?;
        Ok(SystemInput {
            system_id: None,
            name: p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.clone()),
            file,
            model_text: text,
            saved: None,
        })
    }))
}

/// The register's systems (latest version of each, withdrawn ones left out), fetched a page at
/// a time from a blocking context (a worker thread, `spawn_blocking`).
pub fn register_systems<'a>(
    rt: &'a tokio::runtime::Handle,
    store: &'a crate::store::Store,
    page: i64,
) -> impl Iterator<Item = Result<SystemInput, InputError>> + Send + 'a {
    let mut buffer: std::collections::VecDeque<crate::store::LatestVersion> =
        std::collections::VecDeque::new();
    let mut after = 0i64;
    let mut finished = false;
    std::iter::from_fn(move || {
        if buffer.is_empty() && !finished {
            match rt.block_on(store.latest_versions_page(after, page.max(1))) {
                Ok(rows) => {
                    if (rows.len() as i64) < page.max(1) {
                        finished = true;
                    }
                    for v in rows {
                        after = after.max(v.system_id);
                        buffer.push_back(v);
                    }
                }
                Err(e) => {
                    finished = true;
                    return Some(Err(InputError::from(Diagnostic::new(
                        "--db",
                        (1, 1),
                        format!("cannot read the register: {e}"),
                    ))));
                }
            }
        }
        // Parsed one at a time, by the worker that takes it.
        buffer.pop_front().map(|v| Ok(SystemInput::from_version(v)))
    })
}

/// The re-assessments to record for a run: one per judged register system.
pub fn reassessments(p: &Portfolio, run_id: &str) -> Vec<(i64, i64, crate::store::Reassessment)> {
    p.rows
        .iter()
        .filter_map(|r| {
            let saved = r.saved.as_ref()?;
            Some((
                r.system_id?,
                saved.version,
                crate::store::Reassessment {
                    run_id: run_id.to_string(),
                    knowledge_version: p.knowledge.version.clone(),
                    knowledge_as_of: p.knowledge.as_of.to_string(),
                    as_of: p.as_of.to_string(),
                    policy: r.policy.clone(),
                    verdict_before: saved.verdict.key().to_string(),
                    verdict_after: r.verdict.map(|v| v.key().to_string()),
                    prior_consultation_required: r.prior_consultation_required,
                    findings_added: r.findings_added.clone(),
                    findings_removed: r.findings_removed.clone(),
                    why: match &r.error {
                        Some(e) => vec![e.clone()],
                        None => r.why.clone(),
                    },
                },
            ))
        })
        .collect()
}

/// A cell as a spreadsheet must not run it: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` (OWASP "CSV injection").
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The table's column names (CSV and XLSX).
pub const COLUMNS: &[&str] = &[
    "due",
    "system_id",
    "name",
    "file",
    "saved_version",
    "saved_verdict",
    "saved_knowledge",
    "policy",
    "verdict_now",
    "movement",
    "prior_consultation_now",
    "findings_added",
    "findings_removed",
    "why",
    "what_if_verdict",
    "what_if_movement",
    "flows_losing_tool",
    "fallback_options",
    "measures_required",
    "open_objection_deadlines",
    "next_review",
    "next_review_reason",
    "error",
    "knowledge_version",
    "as_of",
];

fn verdict_key(v: Option<Verdict>) -> String {
    v.map(|v| v.key().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn movement_key(m: Movement) -> &'static str {
    match m {
        Movement::Improved => "improved",
        Movement::Worsened => "worsened",
        Movement::Unchanged => "unchanged",
    }
}

fn tool_key(t: TransferTool) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// One row as table cells, in [`COLUMNS`] order (not yet neutralised).
pub fn cells(p: &Portfolio, r: &Row) -> Vec<String> {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let w = r.what_if.as_ref();
    vec![
        date(r.due),
        r.system_id.map(|i| i.to_string()).unwrap_or_default(),
        r.name.clone(),
        r.file.clone(),
        r.saved
            .as_ref()
            .map(|s| s.version.to_string())
            .unwrap_or_default(),
        r.saved
            .as_ref()
            .map(|s| s.verdict.key().to_string())
            .unwrap_or_default(),
        r.saved
            .as_ref()
            .map(|s| s.knowledge_version.clone())
            .unwrap_or_default(),
        r.policy.clone(),
        verdict_key(r.verdict),
        r.movement.map(movement_key).unwrap_or_default().to_string(),
        r.prior_consultation_required
            .map(|b| b.to_string())
            .unwrap_or_else(|| "unknown".into()),
        r.findings_added.join("; "),
        r.findings_removed.join("; "),
        r.why.join(" | "),
        w.map(|w| w.verdict.key().to_string()).unwrap_or_default(),
        w.map(|w| movement_key(w.movement).to_string())
            .unwrap_or_default(),
        w.map(|w| {
            w.flows
                .iter()
                .map(|f| {
                    format!(
                        "{} → {}: {} → {}: {}",
                        f.flow,
                        f.to,
                        tool_key(f.tool_before),
                        tool_key(f.tool_after),
                        f.text
                    )
                })
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default(),
        w.map(|w| {
            w.options
                .iter()
                .filter(|o| o.feasible)
                .map(|o| format!("{} ({})", o.title, verdict_key(o.residual_verdict)))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default(),
        r.measures_required.join("; "),
        r.objection_deadlines
            .iter()
            .map(|d| {
                format!(
                    "{}: notice {}, last day {}",
                    d.processor,
                    d.notice_date,
                    date(d.last_day_to_object)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        date(r.next_review),
        r.next_review_reason.clone(),
        r.error.clone().unwrap_or_default(),
        p.knowledge.version.clone(),
        p.as_of.to_string(),
    ]
}

/// The portfolio as CSV (UTF-8, comma), every cell neutralised against formula injection.
pub fn to_csv(p: &Portfolio) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in &p.rows {
        w.write_record(cells(p, r).iter().map(|c| neutralise(c)))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The portfolio as an XLSX workbook: every cell written as text (never a formula).
pub fn to_xlsx(p: &Portfolio) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Portfolio")?;
    let bold = Format::new().set_bold();
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    for (i, r) in p.rows.iter().enumerate() {
        for (c, cell) in cells(p, r).iter().enumerate() {
            sheet.write_string(i as u32 + 1, c as u16, neutralise(cell))?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
