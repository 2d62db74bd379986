//! Kubernetes quantities (`10Mi`, `1.5`, `500m`, `2e3`), as far as kubectl's `--sort-by`
//! needs them: two strings that both read as quantities compare by value.

/// The value of `text` read as a quantity, or `None` when apimachinery's parser would refuse
/// it.
pub fn value(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let (negative, rest) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let whole_len = digits(rest);
    let (whole, rest) = rest.split_at(whole_len);
    let (fraction, suffix) = match rest.strip_prefix('.') {
        Some(after) => after.split_at(digits(after)),
        None => ("", rest),
    };
    // The suffix: letters of the suffixes, then an optional sign and digits (an exponent).
    let letters = suffix
        .bytes()
        .take_while(|b| b"eEinumkKMGTP".contains(b))
        .count();
    let after = &suffix[letters..];
    let after = after.strip_prefix(['+', '-']).unwrap_or(after);
    if digits(after) != after.len() {
        return None;
    }
    let multiplier = multiplier(suffix)?;
    let number: f64 = format!("0{whole}.{fraction}0").parse().ok()?;
    let value = number * multiplier;
    Some(if negative { -value } else { value })
}

/// What a suffix multiplies by: decimal SI (`m`, `k`, `M` …), binary SI (`Ki`, `Mi` …) or a
/// decimal exponent (`e3`, `E-2`).
fn multiplier(suffix: &str) -> Option<f64> {
    let decimal = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];
    if let Some(at) = decimal.iter().position(|s| *s == suffix) {
        return Some(10f64.powi(3 * at as i32 - 9));
    }
    let binary = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if let Some(at) = binary.iter().position(|s| *s == suffix) {
        return Some(2f64.powi(10 * (at as i32 + 1)));
    }
    let exponent = suffix.strip_prefix(['e', 'E']).filter(|e| !e.is_empty())?;
    Some(10f64.powi(exponent.parse::<i64>().ok()?.clamp(-400, 400) as i32))
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn quantities_and_not() {
        assert_eq!(value("10Mi"), Some(10.0 * 1024.0 * 1024.0));
        assert_eq!(value("1.5"), Some(1.5));
        assert_eq!(value("500m"), Some(0.5));
        assert_eq!(value("-2e3"), Some(-2000.0));
        assert_eq!(value("1.G"), Some(1e9));
        assert_eq!(value("m"), Some(0.0));
        for text in [
            "", "a9", "B", "Hello", "0x1F", "1K", "1in", "1e", "10 Mi", "1.5.2",
        ] {
            assert_eq!(value(text), None, "{text:?}");
        }
    }
}
