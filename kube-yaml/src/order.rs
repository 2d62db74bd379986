//! The order go-yaml writes a map's keys in.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// The entries of `map` in go-yaml's key order.
pub(crate) fn sorted(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|(a, _), (b, _)| match (less(a, b), less(b, a)) {
        (true, _) => Ordering::Less,
        (_, true) => Ordering::Greater,
        _ => Ordering::Equal,
    });
    entries
}

/// go-yaml's comparison of string keys: character by character, where a letter comes after
/// anything else and runs of digits compare as numbers (`a9` before `a10`).
fn less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        less_in(a.as_bytes(), b.as_bytes())
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        less_in(&a, &b)
    }
}

fn less_in<C: Copy + Into<char>>(a: &[C], b: &[C]) -> bool {
    let char_at = |text: &[C], i: usize| text.get(i).map(|&c| c.into());
    for i in 0..a.len().min(b.len()) {
        let (x, y): (char, char) = (a[i].into(), b[i].into());
        if x == y {
            continue;
        }
        let (x_letter, y_letter) = (x.is_alphabetic(), y.is_alphabetic());
        if x_letter && y_letter {
            return x < y;
        }
        if x_letter || y_letter {
            return y_letter;
        }
        // Digits after a non-zero digit continue a number: the zeros are not leading.
        let (mut a_number, mut b_number) = (0i64, 0i64);
        if (x == '0' || y == '0')
            && a[..i]
                .iter()
                .rev()
                .map(|&c| c.into())
                .take_while(char::is_ascii_digit)
                .any(|c| c != '0')
        {
            (a_number, b_number) = (1, 1);
        }
        let number_end = |text: &[C], number: &mut i64| {
            let mut end = i;
            while let Some(digit) = char_at(text, end).and_then(|c| c.to_digit(10)) {
                // Wrapping as Go's int64 does.
                *number = number.wrapping_mul(10).wrapping_add(i64::from(digit));
                end += 1;
            }
            end
        };
        let a_end = number_end(a, &mut a_number);
        let b_end = number_end(b, &mut b_number);
        if a_number != b_number {
            return a_number < b_number;
        }
        if a_end != b_end {
            return a_end < b_end;
        }
        return x < y;
    }
    a.len() < b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(keys: &[&str]) -> Vec<String> {
        let map: Map<String, Value> = keys.iter().map(|k| (k.to_string(), Value::Null)).collect();
        sorted(&map).into_iter().map(|(k, _)| k.clone()).collect()
    }

    #[test]
    fn digits_as_numbers_and_letters_last() {
        assert_eq!(order(&["app10", "app9", "app"]), ["app", "app9", "app10"]);
        assert_eq!(order(&["a", "_", "Z", "1", "."]), [".", "_", "1", "Z", "a"]);
        assert_eq!(order(&["x01", "x1", "x001"]), ["x1", "x01", "x001"]);
        assert_eq!(
            order(&["f:spec", "f:metadata", ".", "k:{\"a\":1}"]),
            [".", "f:metadata", "f:spec", "k:{\"a\":1}"]
        );
    }
}
