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
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            continue;
        }
        let (a_letter, b_letter) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if a_letter && b_letter {
            return a[i] < b[i];
        }
        if a_letter || b_letter {
            return b_letter;
        }
        // Digits after a non-zero digit continue a number: the zeros are not leading.
        let (mut a_number, mut b_number) = (0i64, 0i64);
        if (a[i] == '0' || b[i] == '0')
            && a[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|&c| c != '0')
        {
            (a_number, b_number) = (1, 1);
        }
        let a_end = number_end(&a, i, &mut a_number);
        let b_end = number_end(&b, i, &mut b_number);
        if a_number != b_number {
            return a_number < b_number;
        }
        if a_end != b_end {
            return a_end < b_end;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}

/// Reads the digits from `start` into `number` (wrapping as Go's int64 does), returning
/// where they end.
fn number_end(text: &[char], start: usize, number: &mut i64) -> usize {
    let mut end = start;
    while let Some(digit) = text.get(end).and_then(|c| c.to_digit(10)) {
        *number = number.wrapping_mul(10).wrapping_add(i64::from(digit));
        end += 1;
    }
    end
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
