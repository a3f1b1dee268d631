//! Escaping for text that enters generated Typst source. Every string from a model (names,
//! purposes, free text) and from the knowledge base passes through one of these before it is
//! placed in a template, so it is shown literally and can never become Typst code.

/// Escapes text for Typst markup (inside `[...]` content or at the top level). Every ASCII
/// punctuation character that markup could give a meaning (`#` code, `*` strong, `_` emphasis,
/// `` ` `` raw, `$` math, `<…>` labels, `@` references, `[`/`]` content, `\` escapes, `/` comments,
/// `=`/`-`/`+` list and heading markers, `~` and quotes, and a `.` after a digit, which could make
/// an enumeration) is preceded by a backslash; typst reads a backslash before any character as
/// that character. Line breaks and other control characters become spaces, so text cannot start
/// a heading or a list or end a content block.
pub fn markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '\\' | '#' | '*' | '_' | '`' | '$' | '<' | '>' | '@' | '[' | ']' | '{' | '}' | '/'
            | '=' | '-' | '+' | '~' | '\'' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '.' if prev.is_ascii_digit() => out.push_str("\\."),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
        prev = c;
    }
    out
}

/// Escapes text for a Typst string literal (`"…"` in code): backslash, quote and line breaks.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_escapes_every_active_character() {
        assert_eq!(
            markup(r#"#read("/etc/passwd")"#),
            r#"\#read(\"\/etc\/passwd\")"#
        );
        assert_eq!(markup("] *bold* $x$"), r"\] \*bold\* \$x\$");
        assert_eq!(markup("<label> @ref \\"), r"\<label\> \@ref \\");
        assert_eq!(markup("a\n\n= Heading"), r"a  \= Heading");
        assert_eq!(markup("Åsa Öberg"), "Åsa Öberg");
    }

    #[test]
    fn string_escapes_quotes_and_backslashes() {
        assert_eq!(string(r#"a "b" \c"#), r#"a \"b\" \\c"#);
        assert_eq!(string("x\ny"), r"x\ny");
    }
}
