//! `--sort-by`: kubectl's order of objects by a JSONPath expression.

use foo_sdk::table::{Table, TableRow};
use serde_json::Value;

use super::braced;
use super::jsonpath::Template;
use crate::error::{Error, Result};

/// Sorts a Table's rows (which must carry full objects) by a JSONPath expression.
pub fn sort_rows(table: &mut Table, expr: &str) -> Result<()> {
    let objects = table
        .rows
        .iter()
        .map(|row| row.object.as_ref().unwrap_or(&Value::Null));
    let order = sorting_order(expr, objects)?;
    let mut rows: Vec<Option<TableRow>> = std::mem::take(&mut table.rows)
        .into_iter()
        .map(Some)
        .collect();
    table.rows = order.iter().filter_map(|&i| rows[i].take()).collect();
    Ok(())
}

/// Sorts objects by a JSONPath expression.
pub fn sort_objects(items: &mut [Value], expr: &str) -> Result<()> {
    let sorted: Vec<Value> = sorting_order(expr, items.iter())?
        .iter()
        .map(|&i| items[i].clone())
        .collect();
    items.clone_from_slice(&sorted);
    Ok(())
}

/// The indexes of `objects` in sorted order; as kubectl, an expression that finds a value in
/// none of them is an error rather than no order at all.
fn sorting_order<'a>(expr: &str, objects: impl Iterator<Item = &'a Value>) -> Result<Vec<usize>> {
    let path = braced(expr);
    let template = Template::parse(&path)?;
    let keys = objects
        .map(|object| template.values(object))
        .collect::<Result<Vec<_>>>()?;
    if !keys.is_empty() && keys.iter().all(Vec::is_empty) {
        return Err(Error::msg(format!(
            "couldn't find any field with path {path:?} in the list of objects"
        )));
    }
    Ok(kubectl_order(&keys))
}

/// The order kubectl's `--sort-by` gives: its comparison (the first value found, an object
/// without one before any other, strings in natural order) applied as Go's `sort.Sort`
/// applies it. That sort is not stable, so ties and missing values land where its
/// insertion sort (12 items or fewer) puts them; longer lists keep ties in listed order,
/// which Go's pattern-defeating quicksort may not.
fn kubectl_order(keys: &[Vec<Value>]) -> Vec<usize> {
    let less = |a: usize, b: usize| match (keys[a].first(), keys[b].first()) {
        (None, _) => true,
        (_, None) => false,
        (Some(x), Some(y)) => value_less(x, y),
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if order.len() <= 12 {
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && less(order[j], order[j - 1]) {
                order.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        order.sort_by(|&a, &b| match (less(a, b), less(b, a)) {
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            _ => std::cmp::Ordering::Equal,
        });
    }
    order
}

/// kubectl's `isLess`: numbers by value, strings in natural order (`a9` before `a10`),
/// false before true, anything else by its JSON text.
fn value_less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() < y.as_f64(),
        (Value::String(x), Value::String(y)) => natural_less(x, y),
        (Value::Bool(x), Value::Bool(y)) => !x & y,
        (x, y) => x.to_string().cmp(&y.to_string()).is_lt(),
    }
}

/// Natural order, as kubectl's (`sortorder.NaturalLess`): runs of digits compare as numbers
/// and come before other characters; other bytes compare as bytes.
fn natural_less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        match (x.is_ascii_digit(), y.is_ascii_digit()) {
            (true, false) => return true,
            (false, true) => return false,
            (false, false) => {
                if x != y {
                    return x < y;
                }
                i += 1;
                j += 1;
            }
            (true, true) => {
                while i < a.len() && a[i] == b'0' {
                    i += 1;
                }
                while j < b.len() && b[j] == b'0' {
                    j += 1;
                }
                let (start_a, start_b) = (i, j);
                while i < a.len() && a[i].is_ascii_digit() {
                    i += 1;
                }
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let (digits_a, digits_b) = (&a[start_a..i], &b[start_b..j]);
                if digits_a.len() != digits_b.len() {
                    return digits_a.len() < digits_b.len();
                }
                if digits_a != digits_b {
                    return digits_a < digits_b;
                }
                // The same number: fewer leading zeros first.
                if start_a != start_b {
                    return start_a < start_b;
                }
            }
        }
    }
    a.len() < b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn sort_by_orders_as_kubectl() {
        assert!(natural_less("a9", "a10") && !natural_less("a10", "a9"));
        assert!(natural_less("1x", "x") && natural_less("a01", "a001"));
        let keys = [vec![json!(1)], vec![], vec![], vec![json!("b")]];
        // Go's insertion sort with kubectl's "missing is less" in both directions.
        assert_eq!(kubectl_order(&keys[..3]), [2, 1, 0]);
        let names = ["x10", "x9", "x1"].map(|n| vec![json!(n)]);
        assert_eq!(kubectl_order(&names), [2, 1, 0]);
    }
}
