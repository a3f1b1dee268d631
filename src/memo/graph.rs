//! The figure of the flow graph in the memo: an SVG drawn from the model and its assessment.
//! Columns are the flow depth (controller → processors → sub-processors); each node shows its
//! name, country and role, and the laws it is exposed to; exposed nodes and the flows into them
//! are red, encrypted flows are dashed. All text is XML-escaped.

use petgraph::graph::NodeIndex;
use std::collections::HashMap;

/// A box in the figure.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub name: String,
    /// Second line: country and role, already worded.
    pub detail: String,
    /// Short names of the laws with an effective exposure; empty when not exposed.
    pub laws: Vec<String>,
}

/// An arrow in the figure.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub exposed: bool,
    /// Drawn dashed: the receiver cannot read the data in the clear.
    pub encrypted: bool,
    /// Not a flow of data but ownership: `from` is owned by `to` (drawn dotted, no arrowhead).
    pub ownership: bool,
}

const W: f64 = 200.0;
const H: f64 = 76.0;
const HGAP: f64 = 56.0;
const VGAP: f64 = 16.0;
const PAD: f64 = 8.0;
const LINE: f64 = 12.5;
const MAX_CHARS: usize = 32;
const RED: &str = "#b3261e";
const GREY: &str = "#5f6368";

/// Draws the graph. The first node is the root (the controller); nodes no flow reaches are put
/// in the first column after it.
pub fn svg(nodes: &[Node], edges: &[Edge]) -> String {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let links: Vec<(usize, usize, &Edge)> = edges
        .iter()
        .filter_map(|e| Some((*index.get(e.from.as_str())?, *index.get(e.to.as_str())?, e)))
        .collect();

    // Longest-path depth from the root, in topological order: the flow graph is acyclic
    // (validated on load). Nodes the root does not reach go to the first column after it.
    let mut graph = petgraph::graph::DiGraph::<(), ()>::with_capacity(nodes.len(), links.len());
    for _ in nodes {
        graph.add_node(());
    }
    // Flows first (acyclic, validated on load); an ownership link only where it keeps the
    // graph acyclic (an owner that is also a recipient upstream is drawn, not laid out by it).
    let mut ordered_links: Vec<&(usize, usize, &Edge)> = links.iter().collect();
    ordered_links.sort_by_key(|(_, _, e)| e.ownership);
    for &&(a, b, e) in &ordered_links {
        let (a, b) = (NodeIndex::new(a), NodeIndex::new(b));
        if e.ownership && (a == b || petgraph::algo::has_path_connecting(&graph, b, a, None)) {
            continue;
        }
        graph.add_edge(a, b, ());
    }
    let order = petgraph::algo::toposort(&graph, None).expect("flows are acyclic");
    let mut depth: Vec<Option<usize>> = vec![None; nodes.len()];
    if !nodes.is_empty() {
        depth[0] = Some(0);
    }
    for n in &order {
        if let Some(d) = depth[n.index()] {
            for m in graph.neighbors(*n) {
                depth[m.index()] = depth[m.index()].max(Some(d + 1));
            }
        }
    }
    let depth: Vec<usize> = depth.into_iter().map(|d| d.unwrap_or(1)).collect();
    let columns = depth.iter().copied().max().unwrap_or(0) + 1;
    let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (i, &d) in depth.iter().enumerate() {
        by_column[d].push(i);
    }

    // Order each column by the mean row of the nodes that send to it, then by model order.
    let mut rows: Vec<Vec<usize>> = Vec::with_capacity(columns);
    let mut row_of = vec![0f64; nodes.len()];
    for (col, members) in by_column.into_iter().enumerate() {
        let mut keyed: Vec<(f64, usize)> = members
            .into_iter()
            .map(|i| {
                let senders: Vec<f64> = graph
                    .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
                    .filter(|a| depth[a.index()] < col)
                    .map(|a| row_of[a.index()])
                    .collect();
                let key = if senders.is_empty() {
                    f64::MAX
                } else {
                    senders.iter().sum::<f64>() / senders.len() as f64
                };
                (key, i)
            })
            .collect();
        keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for (r, &(_, i)) in keyed.iter().enumerate() {
            row_of[i] = r as f64;
        }
        rows.push(keyed.into_iter().map(|(_, i)| i).collect());
    }

    let tallest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let height = tallest as f64 * (H + VGAP) - VGAP + 2.0 * PAD;
    let width = columns as f64 * (W + HGAP) - HGAP + 2.0 * PAD;
    let mut pos = vec![(0.0, 0.0); nodes.len()];
    for (col, column) in rows.iter().enumerate() {
        let span = column.len() as f64 * (H + VGAP) - VGAP;
        let top = PAD + (height - 2.0 * PAD - span) / 2.0;
        for (r, &i) in column.iter().enumerate() {
            pos[i] = (PAD + col as f64 * (W + HGAP), top + r as f64 * (H + VGAP));
        }
    }

    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="Libertinus Serif, serif" font-size="11.5">
<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{GREY}"/></marker><marker id="r" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{RED}"/></marker></defs>
"#
    );
    // Plain edges first so the exposed ones are drawn on top.
    let mut ordered: Vec<&(usize, usize, &Edge)> = links.iter().collect();
    ordered.sort_by_key(|(_, _, e)| e.exposed);
    for (a, b, e) in ordered {
        let (x1, y1) = (pos[*a].0 + W, pos[*a].1 + H / 2.0);
        let (x2, y2) = (pos[*b].0, pos[*b].1 + H / 2.0);
        let mid = (x1 + x2) / 2.0;
        let (colour, marker, stroke) = if e.exposed {
            (RED, "r", 2.2)
        } else {
            (GREY, "a", 1.2)
        };
        let dash = if e.ownership {
            r#" stroke-dasharray="1.5 3""#
        } else if e.encrypted {
            r#" stroke-dasharray="5 3""#
        } else {
            ""
        };
        let end = if e.ownership {
            String::new()
        } else {
            format!(r#" marker-end="url(#{marker})""#)
        };
        out.push_str(&format!(
            r#"<path d="M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash}{end}/>
"#
        ));
    }
    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = pos[i];
        let exposed = !n.laws.is_empty();
        let (stroke, fill, width) = if exposed {
            (RED, "#fbe9e7", 2.0)
        } else if i == 0 {
            ("#1a4d8f", "#e8f0fe", 1.5)
        } else {
            (GREY, "#ffffff", 1.0)
        };
        out.push_str(&format!(
            r#"<rect x="{x:.1}" y="{y:.1}" width="{W}" height="{H}" rx="5" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>
"#
        ));
        let mut lines: Vec<(String, &str, &str)> = wrap(&n.name, MAX_CHARS, 2)
            .into_iter()
            .map(|l| (l, "bold", "#000000"))
            .collect();
        lines.push((clip(&n.detail, MAX_CHARS + 2), "normal", "#333333"));
        if exposed {
            lines.extend(
                wrap(&n.laws.join(", "), MAX_CHARS, 2)
                    .into_iter()
                    .map(|l| (l, "bold", RED)),
            );
        }
        let block = lines.len() as f64 * LINE;
        let mut ty = y + (H - block) / 2.0 + LINE - 3.0;
        for (text, weight, colour) in lines {
            out.push_str(&format!(
                r#"<text x="{:.1}" y="{ty:.1}" font-weight="{weight}" fill="{colour}">{}</text>
"#,
                x + 7.0,
                xml(&text)
            ));
            ty += LINE;
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Splits text into at most `max_lines` lines of at most `width` characters at spaces; the
/// last line ends with "…" when text is left over.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let fits = current.chars().count() + 1 + w.chars().count() <= width;
        if current.is_empty() || fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(w);
            continue;
        }
        if lines.len() + 1 == max_lines {
            current.push(' ');
            current.push_str(w);
            for rest in words.by_ref() {
                current.push(' ');
                current.push_str(rest);
            }
            break;
        }
        lines.push(std::mem::take(&mut current));
        current.push_str(w);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines.into_iter().map(|l| clip(&l, width)).collect()
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str, laws: &[&str]) -> Node {
        Node {
            id: id.into(),
            name: name.into(),
            detail: "SE".into(),
            laws: laws.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn exposed_nodes_and_edges_are_red_and_text_is_escaped() {
        let nodes = [
            node("controller", "Kommun <&>", &[]),
            node("p", "Processor", &[]),
            node("s", "Sub </svg><script>", &["CLOUD Act"]),
        ];
        let edges = [
            Edge {
                from: "controller".into(),
                to: "p".into(),
                exposed: false,
                encrypted: false,
                ownership: false,
            },
            Edge {
                from: "p".into(),
                to: "s".into(),
                exposed: true,
                encrypted: true,
                ownership: false,
            },
        ];
        let s = svg(&nodes, &edges);
        assert!(s.contains("Kommun &lt;&amp;&gt;"));
        assert!(!s.contains("<script>"));
        assert!(s.contains(&format!(
            r#"stroke="{RED}" stroke-width="2.2" stroke-dasharray"#
        )));
        assert!(s.contains(">CLOUD Act</text>"));
        // Three columns: the sub-processor sits right of the processor.
        assert!(s.contains(&format!("<rect x=\"{:.1}\"", PAD + 2.0 * (W + HGAP))));
    }

    #[test]
    fn long_names_wrap_on_two_lines_with_an_ellipsis() {
        let l = wrap(
            "Microsoft Ireland Operations Limited and a very long tail of words",
            30,
            2,
        );
        assert_eq!(l.len(), 2);
        assert_eq!(l[0], "Microsoft Ireland Operations");
        assert!(l[1].ends_with('…') && l[1].chars().count() == 30);
    }
}
