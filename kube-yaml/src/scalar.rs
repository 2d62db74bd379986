//! How go-yaml writes one scalar: the style a string takes, and the text of a number.

/// The ways a scalar is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// The style go-yaml asks for a string: a literal block for several lines, plain when YAML
/// would read it back as this string, double quotes otherwise. What is written is what
/// [`allowed_style`] makes of it.
pub(crate) fn string_style(text: &str) -> Style {
    if text.contains('\n') {
        Style::Literal
    } else if reads_back_as_string(text) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// The style written for a scalar asked to be written in `wanted`, given what its
/// characters allow (a simple key is one line, a plain scalar has no indicator that would be
/// misread, and so on).
pub(crate) fn allowed_style(text: &str, wanted: Style, simple_key: bool) -> Style {
    let found = Analysis::of(text);
    let mut style = wanted;
    if simple_key && found.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!found.block_plain_allowed || (text.is_empty() && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !found.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!found.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// Whether a text spans lines (then it cannot be a simple key).
pub(crate) fn is_multiline(text: &str) -> bool {
    text.contains(['\r', '\n', '\u{85}', '\u{2028}', '\u{2029}'])
}

/// What the emitter's look over a scalar finds, which decides the styles it allows.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

impl Analysis {
    fn of(text: &str) -> Analysis {
        let b = text.as_bytes();
        if b.is_empty() {
            return Analysis {
                multiline: false,
                block_plain_allowed: true,
                single_quoted_allowed: true,
                block_allowed: false,
            };
        }
        let mut block_indicators = b.starts_with(b"---") || b.starts_with(b"...");
        let (mut line_breaks, mut special_characters) = (false, false);
        let (mut leading_space, mut leading_break) = (false, false);
        let (mut trailing_space, mut trailing_break) = (false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_whitespace = true;
        let mut i = 0;
        while i < b.len() {
            let w = width(b[i]);
            let followed_by_whitespace = i + w >= b.len() || is_blank(b, i + w);
            match (i, b[i]) {
                (
                    0,
                    b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                    | b'\'' | b'"' | b'%' | b'@' | b'`',
                ) => block_indicators = true,
                (0, b'?' | b':') | (1.., b':') if followed_by_whitespace => block_indicators = true,
                (0, b'-') if followed_by_whitespace => block_indicators = true,
                (1.., b'#') if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
            if !is_printable(b, i) {
                special_characters = true;
            }
            let last = i + w == b.len();
            if b[i] == b' ' {
                leading_space |= i == 0;
                trailing_space |= last;
                break_space |= previous_break;
                (previous_space, previous_break) = (true, false);
            } else if is_break(b, i) {
                line_breaks = true;
                leading_break |= i == 0;
                trailing_break |= last;
                space_break |= previous_space;
                (previous_space, previous_break) = (false, true);
            } else {
                (previous_space, previous_break) = (false, false);
            }
            preceded_by_whitespace = is_blank(b, i) || is_break(b, i) || b[i] == 0;
            i += w;
        }
        let edges = leading_space || leading_break || trailing_space || trailing_break;
        let hard = space_break || special_characters;
        Analysis {
            multiline: line_breaks,
            block_plain_allowed: !(edges || break_space || hard || line_breaks || block_indicators),
            single_quoted_allowed: !(break_space || hard),
            block_allowed: !(trailing_space || hard),
        }
    }
}

/// The length of the UTF-8 character starting with `byte`.
pub(crate) fn width(byte: u8) -> usize {
    match byte {
        b if b & 0x80 == 0 => 1,
        b if b & 0xE0 == 0xC0 => 2,
        b if b & 0xF0 == 0xE0 => 3,
        b if b & 0xF8 == 0xF0 => 4,
        _ => 1,
    }
}

fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

/// A line break: CR, LF, NEL, LS or PS.
pub(crate) fn is_break(b: &[u8], i: usize) -> bool {
    matches!(
        (at(b, i), at(b, i + 1), at(b, i + 2)),
        (b'\r' | b'\n', _, _) | (0xC2, 0x85, _) | (0xE2, 0x80, 0xA8 | 0xA9)
    )
}

/// YAML's printable characters, as go-yaml tests them on UTF-8: LF, ASCII from space to
/// `~`, and the rest of the Basic Multilingual Plane but surrogates, BOM and U+FFFE/FFFF;
/// characters beyond the BMP are not.
pub(crate) fn is_printable(b: &[u8], i: usize) -> bool {
    let (c0, c1, c2) = (at(b, i), at(b, i + 1), at(b, i + 2));
    c0 == 0x0A
        || (0x20..=0x7E).contains(&c0)
        || (c0 == 0xC2 && c1 >= 0xA0)
        || (c0 > 0xC2 && c0 < 0xED)
        || (c0 == 0xED && c1 < 0xA0)
        || c0 == 0xEE
        || (c0 == 0xEF
            && !(c1 == 0xBB && c2 == 0xBF)
            && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// Whether YAML 1.1, as go-yaml resolves plain scalars, reads `text` back as this string:
/// not as a bool (`yes`, `off`, `y`), null (`~`, empty), number (`0x1F`, `1e3`, `08`,
/// `.5`), timestamp (`2024-01-02`) or base-60 float (`1:20`).
fn reads_back_as_string(text: &str) -> bool {
    const OTHER_TYPES: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    if OTHER_TYPES.contains(&text) {
        return false;
    }
    match text.as_bytes()[0] {
        b'.' => !decimal_fraction(text),
        b'+' | b'-' | b'0'..=b'9' => {
            !(is_timestamp(text) || is_number(text) || is_base60_float(text))
        }
        _ => true,
    }
}

/// `.5`, `.5e3`: what Go's ParseFloat takes of a text starting with a dot.
fn decimal_fraction(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let rest = &text[1..];
    let (fraction, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    digits(fraction) && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// An integer in any of Go's notations, or a YAML-style float, underscores ignored.
fn is_number(text: &str) -> bool {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let (sign, digits) = match plain.strip_prefix(['+', '-']) {
        Some(rest) => (&plain[..1], rest),
        None => ("", plain.as_str()),
    };
    let radix_digits = |prefix: [&str; 2], radix: u32| {
        prefix
            .iter()
            .find_map(|p| digits.strip_prefix(p))
            .map(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_digit(radix)))
    };
    let integer = radix_digits(["0x", "0X"], 16)
        .or_else(|| radix_digits(["0o", "0O"], 8))
        .or_else(|| radix_digits(["0b", "0B"], 2))
        .unwrap_or_else(|| {
            let radix = if digits.len() > 1 && digits.starts_with('0') {
                8
            } else {
                10
            };
            !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
        });
    // Go reads signed integers as int64 and unsigned ones as uint64; what does not fit is
    // not an integer (though it may still read as a float).
    let fits = integer
        && match (sign, u64_of(digits)) {
            (_, None) => false,
            ("", Some(_)) => true,
            ("-", Some(magnitude)) => magnitude <= 1 << 63,
            (_, Some(magnitude)) => magnitude <= i64::MAX as u64,
        };
    fits || yaml_float(&plain)
}

/// The value of an unsigned integer in Go's notations, when it fits in 64 bits.
fn u64_of(digits: &str) -> Option<u64> {
    let (radix, rest) = match digits.get(..2) {
        Some("0x" | "0X") => (16, &digits[2..]),
        Some("0o" | "0O") => (8, &digits[2..]),
        Some("0b" | "0B") => (2, &digits[2..]),
        _ if digits.len() > 1 && digits.starts_with('0') => (8, &digits[1..]),
        _ => (10, digits),
    };
    u64::from_str_radix(rest, radix).ok()
}

/// go-yaml's float syntax, `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, with a
/// finite value.
fn yaml_float(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction),
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok && text.parse::<f64>().is_ok_and(f64::is_finite)
}

/// YAML 1.1's base-60 floats (`1:20`, `-3:25:45.5`), which go-yaml quotes for other parsers.
fn is_base60_float(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (body, fraction) = match body.split_once('.') {
        Some((body, fraction)) => (body, Some(fraction)),
        None => (body, None),
    };
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or_default();
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let mut sexagesimals = 0;
    let parts_ok = parts.all(|part| {
        sexagesimals += 1;
        match part.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
            _ => false,
        }
    });
    let fraction_ok = fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit() || b == b'_'));
    head_ok && sexagesimals > 0 && parts_ok && fraction_ok
}

/// The timestamps go-yaml recognizes: `YYYY-M-D`, optionally followed by `T`, `t` or a space
/// and `H:M:S` with a fraction, the `T`/`t` forms with a zone (`Z` or `±hh:mm`).
fn is_timestamp(text: &str) -> bool {
    let number = |s: &mut &str, min: usize, max: usize| -> Option<u32> {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if len < min || len > max {
            return None;
        }
        let (digits, rest) = s.split_at(len);
        *s = rest;
        digits.parse().ok()
    };
    let literal = |s: &mut &str, c: char| -> Option<()> {
        *s = s.strip_prefix(c)?;
        Some(())
    };
    let parse = |mut s: &str| -> Option<()> {
        let year = number(&mut s, 4, 4)?;
        literal(&mut s, '-')?;
        let month = number(&mut s, 1, 2)?;
        literal(&mut s, '-')?;
        let day = number(&mut s, 1, 2)?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1..=12).contains(&month) || day < 1 || day > days[month as usize - 1] {
            return None;
        }
        if s.is_empty() {
            return Some(());
        }
        let zoned = match s.as_bytes()[0] {
            b'T' | b't' => true,
            b' ' => false,
            _ => return None,
        };
        s = &s[1..];
        let (hour, _) = (number(&mut s, 1, 2)?, literal(&mut s, ':')?);
        let (minute, _) = (number(&mut s, 1, 2)?, literal(&mut s, ':')?);
        let second = number(&mut s, 1, 2)?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        if let Some(rest) = s.strip_prefix(['.', ','])
            && rest.starts_with(|c: char| c.is_ascii_digit())
        {
            s = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        if !zoned {
            return s.is_empty().then_some(());
        }
        if s == "Z" {
            return Some(());
        }
        s = s.strip_prefix(['+', '-'])?;
        let (hours, _) = (number(&mut s, 2, 2)?, literal(&mut s, ':')?);
        let minutes = number(&mut s, 2, 2)?;
        (s.is_empty() && hours <= 24 && minutes <= 60).then_some(())
    };
    parse(text).is_some()
}

/// A JSON number as go-yaml writes it: integers as they are, other numbers in the shortest
/// digits that read back the same, as Go's `strconv.FormatFloat(f, 'g', -1, 64)` writes them
/// (`0.5`, `1e+06`, `1.2345675e+06`).
pub(crate) fn number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    // serde_json writes a float's shortest digits (ryu), as Go finds them; only the layout
    // differs.
    let text = n.to_string();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or_default()),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    let digits = all.trim_start_matches('0');
    let leading_zeros = (all.len() - digits.len()) as i32;
    let digits = digits.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if digits.is_empty() {
        return format!("{sign}0");
    }
    // The value is 0.DIGITS × 10^point.
    let point = whole.len() as i32 - leading_zeros + exponent;
    let shown = point - 1;
    if !(-4..6).contains(&shown) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if shown < 0 { '-' } else { '+' };
        return format!("{sign}{first}{rest}e{exponent_sign}{:02}", shown.abs());
    }
    let len = digits.len() as i32;
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat(-point as usize))
    } else if point >= len {
        format!("{sign}{digits}{}", "0".repeat((point - len) as usize))
    } else {
        let (head, tail) = digits.split_at(point as usize);
        format!("{sign}{head}.{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_yaml_reads_as_something_else() {
        for text in [
            "yes",
            "Off",
            "~",
            "",
            "0x1F",
            "+12",
            "-0b101",
            "08",
            "1_000",
            "1e3",
            ".5",
            "1.",
            "2024-01-02",
            "2024-1-2T3:04:05.5Z",
            "2024-01-02 10:00:00",
            "1:20",
            "-3:25:45.5",
            "18446744073709551615",
        ] {
            assert!(!reads_back_as_string(text), "{text:?}");
        }
        for text in [
            "hello",
            "1.2.3",
            "2024-13-01",
            "2024-02-30",
            "0x",
            "1e400",
            "--1",
            "v1",
            "1:60",
            "12:30 pm",
            ".",
            "18446744073709551616x",
            "+",
            "yes please",
        ] {
            assert!(reads_back_as_string(text), "{text:?}");
        }
    }

    #[test]
    fn styles() {
        let string_style = |text: &str, simple_key: bool| {
            allowed_style(text, super::string_style(text), simple_key)
        };
        assert_eq!(string_style("a: b", false), Style::SingleQuoted);
        assert_eq!(string_style("a:b", false), Style::Plain);
        assert_eq!(string_style(" lead", false), Style::SingleQuoted);
        assert_eq!(string_style("tab\there", false), Style::DoubleQuoted);
        assert_eq!(string_style("two\nlines", false), Style::Literal);
        assert_eq!(string_style("two\nlines", true), Style::DoubleQuoted);
        assert_eq!(string_style("trailing \nspace", false), Style::DoubleQuoted);
        assert_eq!(string_style("- item", false), Style::SingleQuoted);
        assert_eq!(string_style("it's", false), Style::Plain);
        assert_eq!(string_style("#tag", false), Style::SingleQuoted);
        assert_eq!(string_style("a #b", false), Style::SingleQuoted);
        assert_eq!(string_style("a#b", false), Style::Plain);
        assert_eq!(string_style("\u{1F600}", false), Style::DoubleQuoted);
        assert_eq!(string_style("true", false), Style::DoubleQuoted);
    }

    #[test]
    fn numbers_as_go_formats_them() {
        let n = |text: &str| number(&serde_json::from_str(text).unwrap());
        assert_eq!(n("12"), "12");
        assert_eq!(n("-3"), "-3");
        assert_eq!(n("18446744073709551615"), "18446744073709551615");
        assert_eq!(n("1.0"), "1");
        assert_eq!(n("0.1"), "0.1");
        assert_eq!(n("123456.5"), "123456.5");
        assert_eq!(n("1234567.5"), "1.2345675e+06");
        assert_eq!(n("0.0001"), "0.0001");
        assert_eq!(n("0.00001"), "1e-05");
        assert_eq!(n("1e21"), "1e+21");
        assert_eq!(n("-0.0"), "-0");
        assert_eq!(n("1573957549020196.2"), "1.5739575490201962e+15");
        assert_eq!(n("-0.000123"), "-0.000123");
        assert_eq!(n("120000.0"), "120000");
    }
}
