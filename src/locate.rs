//! Maps paths inside a YAML or JSON document (`flows[2].to`) to line and column, so errors found
//! after parsing (an unknown party id, a cycle) still point at the place to edit.

use serde_saphyr::granit_parser::{Event, Marker, Parser, Span, SpannedEventReceiver};
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    positions: HashMap<String, (usize, usize)>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    positions: HashMap<String, (usize, usize)>,
}

impl Builder {
    /// The path of the node starting now, or None when it is a mapping key.
    fn child_path(&mut self, ev: &Event<'_>, mark: Marker) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                Some(p)
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some(k) => Some(if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                }),
                None => {
                    let k = match ev {
                        Event::Scalar(s, ..) => s.to_string(),
                        _ => "?".to_string(),
                    };
                    let keypath = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.positions
                        .entry(format!("{keypath}#key"))
                        .or_insert((mark.line(), mark.col() + 1));
                    *key = Some(k);
                    None
                }
            },
        }
    }
}

impl<'i> SpannedEventReceiver<'i> for Builder {
    fn on_event(&mut self, ev: Event<'i>, span: Span) {
        let mark = span.start;
        match ev {
            Event::Scalar(..)
            | Event::Alias(_)
            | Event::MappingStart(..)
            | Event::SequenceStart(..) => {
                let Some(path) = self.child_path(&ev, mark) else {
                    return;
                };
                self.positions
                    .entry(path.clone())
                    .or_insert((mark.line(), mark.col() + 1));
                match ev {
                    Event::MappingStart(..) => self.stack.push(Frame::Map { path, key: None }),
                    Event::SequenceStart(..) => self.stack.push(Frame::Seq { path, index: 0 }),
                    _ => {}
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

impl SourceMap {
    /// Builds the map; a document the YAML parser cannot read gives an empty map (the serde
    /// error then carries the location).
    pub fn build(text: &str) -> SourceMap {
        let mut b = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut b, false).is_err() {
            return SourceMap::default();
        }
        SourceMap {
            positions: b.positions,
        }
    }

    /// Line and column of the value at `path`, or of the nearest enclosing node that exists.
    pub fn at(&self, path: &str) -> (usize, usize) {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.positions.get(&p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.positions.get("").copied().unwrap_or((1, 1)),
            }
        }
    }

    /// The deepest path whose value or key starts at this line and column (a key's path ends in
    /// `#key`), to tell which field a diagnostic is about.
    pub fn path_at(&self, line: usize, column: usize) -> Option<&str> {
        self.positions
            .iter()
            .filter(|(_, &at)| at == (line, column))
            .map(|(p, _)| p.as_str())
            .max_by_key(|p| (p.matches(['.', '[']).count(), !p.ends_with("#key"), p.len()))
    }

    /// Line and column of the key naming `path` (for "duplicate key" or "missing field" errors).
    pub fn key_at(&self, path: &str) -> (usize, usize) {
        self.positions
            .get(&format!("{path}#key"))
            .copied()
            .unwrap_or_else(|| self.at(path))
    }
}

/// Where the first YAML alias (`*name`) is, if the text has one. Models refuse aliases: a
/// few lines of anchors and aliases can expand into an enormous document. Cheap when the text
/// has no `*` at all (the usual case): the parser runs only when one is there.
pub fn first_alias(text: &str) -> Option<(usize, usize)> {
    if !text.contains('*') {
        return None;
    }
    struct Find(Option<(usize, usize)>);
    impl<'i> SpannedEventReceiver<'i> for Find {
        fn on_event(&mut self, ev: Event<'i>, span: Span) {
            if self.0.is_none() && matches!(ev, Event::Alias(_)) {
                self.0 = Some((span.start.line(), span.start.col() + 1));
            }
        }
    }
    let mut f = Find(None);
    let _ = Parser::new_from_str(text).load(&mut f, false);
    f.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_alias_and_ignores_stars_in_text() {
        assert_eq!(first_alias("a: &x [1, 2]\nb: *x\n"), Some((2, 4)));
        assert_eq!(first_alias("a: \"*not an alias\"\nb: 2 * 3\n"), None);
        assert_eq!(first_alias("a: 1\n"), None);
    }

    #[test]
    fn maps_nested_paths_to_lines_and_columns() {
        let text = "a: 1\nflows:\n  - from: x\n    to: y\n  - from: z\n    to: w\n";
        let m = SourceMap::build(text);
        assert_eq!(m.at("flows[1].to"), (6, 9));
        assert_eq!(m.at("flows[0].from"), (3, 11));
        assert_eq!(m.key_at("flows[1].to"), (6, 5));
        assert_eq!(
            m.at("flows[1].nope").0,
            5,
            "falls back to the enclosing flow"
        );
    }

    #[test]
    fn reads_json_too() {
        let text = "{\n  \"parties\": [\n    {\"id\": \"a\"}\n  ]\n}";
        let m = SourceMap::build(text);
        assert_eq!(m.at("parties[0].id").0, 3);
    }
}
