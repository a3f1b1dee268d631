//! The portfolio report's data (`templates/typst/portfolio.typ`): what a DPO takes to the board
//! after a legal event — the systems affected, most severe first, and what is due by when.

use super::{envelope, Words};
use crate::engine::Verdict;
use crate::portfolio::{Movement, Portfolio, Row};
use serde_json::{json, Map, Value};

/// At most this many systems are listed by name in each part of the report; the rest are
/// counted and left to the CSV or XLSX export.
pub const MAX_LISTED: usize = 300;

fn verdict_word(w: &Words, v: Option<Verdict>) -> String {
    match v {
        Some(v) => w.get(&format!("verdict.{}", v.key())),
        None => w.get("portfolio.not_judged"),
    }
}

/// How severe a row is: not judged, then not acceptable (now or under the scenario), then
/// worse than saved, then anything due; None when nothing is to be done.
fn severity(r: &Row) -> Option<u8> {
    let worst = |v: Option<Verdict>| v == Some(Verdict::NotAcceptable);
    let what_if = r.what_if.as_ref();
    if r.verdict.is_none() {
        Some(0)
    } else if worst(r.verdict) || what_if.is_some_and(|w| w.verdict == Verdict::NotAcceptable) {
        Some(1)
    } else if r.movement == Some(Movement::Worsened)
        || what_if.is_some_and(|w| w.movement == Movement::Worsened)
    {
        Some(2)
    } else if r.verdict == Some(Verdict::AcceptableWithMeasures) {
        Some(3)
    } else {
        None
    }
}

fn flows(w: &Words, r: &Row) -> Vec<String> {
    r.what_if
        .iter()
        .flat_map(|x| &x.flows)
        .map(|f| {
            let tool = |t: crate::model::TransferTool| {
                let key = serde_json::to_value(t)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                w.get(&format!("tool.{key}"))
            };
            let fallback = serde_json::to_value(f.fallback)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            w.fill(
                "portfolio.flow_line",
                &[
                    ("flow", &f.flow),
                    ("before", &tool(f.tool_before)),
                    ("after", &tool(f.tool_after)),
                    (
                        "fallback",
                        &w.get(&format!("portfolio.fallback.{fallback}")),
                    ),
                ],
            )
        })
        .collect()
}

/// What a system needs done, each with its date where it has one.
fn actions(w: &Words, r: &Row) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &r.error {
        out.push(w.fill("portfolio.fix_model", &[("error", e)]));
    }
    for d in &r.objection_deadlines {
        let last = d
            .last_day_to_object
            .map(|x| w.date(x))
            .unwrap_or_else(|| w.get("portfolio.no_period"));
        let mut s = w.fill(
            "portfolio.objection",
            &[("notice", &w.date(d.notice_date)), ("last", &last)],
        );
        if d.passed {
            s.push_str(&format!(" {}", w.get("portfolio.passed")));
        }
        out.push(s);
    }
    if !r.measures_required.is_empty() {
        out.push(w.fill(
            "portfolio.measures",
            &[("list", &r.measures_required.join(", "))],
        ));
    }
    if let Some(x) = &r.what_if {
        if x.movement == Movement::Worsened {
            let best = x
                .options
                .iter()
                .find(|o| o.feasible && Some(&o.id) == x.recommended_option.as_ref())
                .or_else(|| x.options.iter().find(|o| o.feasible));
            match best {
                Some(o) => out.push(w.fill(
                    "portfolio.exit",
                    &[
                        ("option", &o.title),
                        ("verdict", &verdict_word(w, o.residual_verdict)),
                    ],
                )),
                None => out.push(w.get("portfolio.no_exit")),
            }
        }
    }
    out
}

/// The actions with the next review last, as the report lists them.
fn actions_and_review(w: &Words, r: &Row) -> Vec<String> {
    let mut out = actions(w, r);
    if let Some(d) = r.next_review {
        out.push(w.fill("portfolio.review", &[("date", &w.date(d))]));
    }
    out
}

/// The report's title: the register now, or under the scenarios.
fn title(w: &Words, p: &Portfolio) -> String {
    if p.scenarios.is_empty() {
        return w.get("portfolio.title_now");
    }
    let names: Vec<&str> = p.scenarios.iter().map(|s| s.title.as_str()).collect();
    w.fill(
        "portfolio.title_what_if",
        &[("scenario", &names.join("; "))],
    )
}

/// What was judged and what moved, in sentences.
fn summary(w: &Words, p: &Portfolio) -> String {
    let c = &p.counts;
    let mut summary = w.fill(
        "portfolio.summary",
        &[
            ("systems", &c.systems.to_string()),
            ("as_of", &w.date(p.as_of)),
            ("version", &p.knowledge.version),
            ("changed", &c.verdict_changed.to_string()),
            ("worse", &c.worsened.to_string()),
            ("better", &c.improved.to_string()),
            ("unknown", &c.not_judged.to_string()),
        ],
    );
    if !p.scenarios.is_empty() {
        summary.push(' ');
        summary.push_str(&w.fill(
            "portfolio.what_if_summary",
            &[
                ("changed", &c.what_if_changed.to_string()),
                ("flows", &c.flows_losing_tool.to_string()),
            ],
        ));
    }
    summary
}

/// The portfolio as text for a terminal (`tia portfolio`, the default format), in the run's
/// language: the summary, the scenarios with their sources, then each system, what is due
/// first, with its verdicts, what changed and why, the flows that lose their tool, the exit
/// options, the actions and the next review.
pub(crate) fn text(w: &Words, p: &Portfolio) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{}\n{}", title(w, p), summary(w, p));
    let _ = writeln!(
        s,
        "{}: {} ({}, {})",
        w.get("doc.knowledge"),
        p.knowledge.version,
        p.knowledge.as_of,
        p.knowledge.origin
    );
    for sc in &p.scenarios {
        let _ = writeln!(
            s,
            "{}: {} ({}), {}\n  {}: {}",
            w.get("portfolio.scenario"),
            sc.title,
            sc.id,
            w.fill("portfolio.from", &[("date", &sc.from.to_string())]),
            w.get("portfolio.sources"),
            sc.citations.join("; ")
        );
    }
    for r in &p.rows {
        let due = r.due.map_or_else(|| "—".to_string(), |d| d.to_string());
        let id = match (r.system_id, r.saved.as_ref()) {
            (Some(i), Some(v)) => format!(" (#{i} v{})", v.version),
            _ => String::new(),
        };
        let saved = r
            .saved
            .as_ref()
            .map(|v| format!("{} → ", w.get(&format!("verdict.{}", v.verdict.key()))))
            .unwrap_or_default();
        let _ = write!(
            s,
            "\n{due}  {}{id}: {saved}{}",
            r.name,
            verdict_word(w, r.verdict)
        );
        if r.prior_consultation_required == Some(true) {
            let _ = write!(s, ", {}", w.get("portfolio.prior_consultation"));
        }
        if let Some(x) = &r.what_if {
            let _ = write!(
                s,
                "; {}: {}",
                w.get("portfolio.what_if"),
                verdict_word(w, Some(x.verdict))
            );
        }
        s.push('\n');
        for f in &r.findings_added {
            let _ = writeln!(s, "    + {f}");
        }
        for f in &r.findings_removed {
            let _ = writeln!(s, "    − {f}");
        }
        for y in &r.why {
            let _ = writeln!(s, "    {}: {y}", w.get("portfolio.text.why"));
        }
        for f in flows(w, r) {
            let _ = writeln!(s, "    {f}");
        }
        if let Some(x) = &r.what_if {
            let feasible: Vec<String> = x
                .options
                .iter()
                .filter(|o| o.feasible)
                .map(|o| format!("{} ({})", o.title, verdict_word(w, o.residual_verdict)))
                .collect();
            if !feasible.is_empty() {
                let _ = writeln!(
                    s,
                    "    {}: {}",
                    w.get("portfolio.text.options"),
                    feasible.join("; ")
                );
            }
        }
        for a in actions(w, r) {
            let _ = writeln!(s, "    {a}");
        }
        let _ = writeln!(
            s,
            "    {}: {}{}",
            w.get("portfolio.text.next_review"),
            r.next_review.map_or_else(String::new, |d| format!("{d}, ")),
            r.next_review_reason
        );
    }
    s
}

pub(crate) fn portfolio(w: &Words, p: &Portfolio) -> Value {
    let title = title(w, p);
    let register = w.get("portfolio.register");
    let rows = vec![
        [w.get("doc.date"), w.date(p.today)],
        [w.get("portfolio.as_of"), w.date(p.as_of)],
        [
            w.get("doc.knowledge"),
            format!("{} ({})", p.knowledge.version, w.date(p.knowledge.as_of)),
        ],
    ];
    let meta = super::memo_data::doc_meta(
        w,
        "portfolio",
        &title,
        &register,
        rows,
        p.today,
        (&p.knowledge.version, p.knowledge.as_of),
    );
    let summary = summary(w, p);
    let scenarios: Vec<Value> = p
        .scenarios
        .iter()
        .map(|s| {
            json!({
                "title": s.title,
                "from": w.fill("portfolio.from", &[("date", &w.date(s.from))]),
                "citations": s.citations,
            })
        })
        .collect();

    let mut affected: Vec<&Row> = p.rows.iter().filter(|r| severity(r).is_some()).collect();
    affected.sort_by_key(|r| (severity(r), r.due, r.name.clone()));
    let affected_more = affected.len().saturating_sub(MAX_LISTED);
    let affected_rows: Vec<Value> = affected
        .iter()
        .take(MAX_LISTED)
        .map(|r| {
            json!({
                "name": r.name,
                "saved": r.saved.as_ref().map(|s| w.get(&format!("verdict.{}", s.verdict.key()))),
                "saved_key": r.saved.as_ref().map(|s| s.verdict.key()),
                "now": verdict_word(w, r.verdict),
                "now_key": r.verdict.map(|v| v.key()),
                "what_if": r.what_if.as_ref().map(|x| verdict_word(w, Some(x.verdict))),
                "what_if_key": r.what_if.as_ref().map(|x| x.verdict.key()),
                "prior_consultation": (r.prior_consultation_required == Some(true)
                    || r.what_if.as_ref().is_some_and(|x| x.prior_consultation_required))
                    .then(|| w.get("portfolio.prior_consultation")),
                "why": r.why.iter().cloned().chain(r.error.clone()).collect::<Vec<_>>(),
                "added": r.findings_added,
                "flows": flows(w, r),
                "due": r.due.map(|d| w.date(d)),
            })
        })
        .collect();

    let mut due: Vec<(&Row, Vec<String>)> = p
        .rows
        .iter()
        .map(|r| (r, actions_and_review(w, r)))
        .filter(|(_, a)| !a.is_empty())
        .collect();
    due.sort_by_key(|(r, _)| (r.due.is_none(), r.due, r.name.clone()));
    let due_more = due.len().saturating_sub(MAX_LISTED);
    let due_rows: Vec<Value> = due
        .iter()
        .take(MAX_LISTED)
        .map(|(r, a)| {
            json!({
                "name": r.name,
                "due": r.due.map(|d| w.date(d)).unwrap_or_else(|| "–".into()),
                "overdue": r.due.is_some_and(|d| d < p.today),
                "actions": a,
            })
        })
        .collect();

    let unchanged: Vec<&str> = p
        .rows
        .iter()
        .filter(|r| severity(r).is_none())
        .map(|r| r.name.as_str())
        .collect();
    let unchanged_more = unchanged.len().saturating_sub(MAX_LISTED);
    let more = |n: usize| (n > 0).then(|| w.fill("portfolio.more", &[("n", &n.to_string())]));

    let mut body = Map::new();
    body.insert(
        "portfolio".into(),
        json!({
            "summary": summary,
            "scenarios": scenarios,
            "affected": affected_rows,
            "affected_more": more(affected_more),
            "due": due_rows,
            "due_more": more(due_more),
            "unchanged_title": w.fill("portfolio.unchanged", &[("n", &unchanged.len().to_string())]),
            "unchanged": unchanged.iter().take(MAX_LISTED).collect::<Vec<_>>(),
            "unchanged_more": more(unchanged_more),
            "why_note": w.get("portfolio.why_note"),
        }),
    );
    envelope(w, "portfolio", meta, body)
}
