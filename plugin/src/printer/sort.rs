//! `--sort-by`: kubectl's order of objects by a JSONPath expression.

use foo_sdk::table::{Table, TableRow};
use serde_json::Value;

use super::jsonpath::Template;
use super::{braced, gosort, quantity};
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
    kubectl_order(&path, &keys)
}

/// The order kubectl's `--sort-by` gives: its comparison (of the first value found, an
/// object without one before any other) applied by Go's `sort.Sort`, whose order of equal
/// keys is its own. Values it cannot compare (booleans, maps, lists, a number with a string)
/// make the sort fail, as they make kubectl exit.
fn kubectl_order(path: &str, keys: &[Vec<Value>]) -> Result<Vec<usize>> {
    let unsortable = std::cell::RefCell::new(None);
    let less = |a: usize, b: usize| match (keys[a].first(), keys[b].first()) {
        (None, _) => true,
        (_, None) => false,
        (Some(x), Some(y)) => is_less(x, y).unwrap_or_else(|why| {
            unsortable.borrow_mut().get_or_insert(why);
            false
        }),
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    gosort::sort(&mut order, less);
    match unsortable.into_inner() {
        Some(why) => Err(Error::msg(format!("cannot sort by {path}: {why}"))),
        None => Ok(order),
    }
}

/// kubectl's `isLess` on values decoded from JSON: null before anything, numbers by value
/// (whole numbers and fractions are different types to it), strings by value as quantities
/// when both are (`10Mi` before `9Gi`), else byte by byte.
fn is_less(a: &Value, b: &Value) -> std::result::Result<bool, String> {
    let whole = |n: &serde_json::Number| n.is_i64() || n.is_u64();
    match (a, b) {
        (Value::Null, _) => Ok(!b.is_null()),
        (_, Value::Null) => Ok(false),
        (Value::Bool(_), _) => Err("unsortable type: bool".into()),
        (Value::Object(_), _) => Err("unsortable type: map[string]interface {}".into()),
        (Value::Array(_), _) => Err("unsortable type: []interface {}".into()),
        (Value::Number(x), Value::Number(y)) if whole(x) == whole(y) => Ok(match whole(x) {
            true => x.as_i128() < y.as_i128(),
            false => x.as_f64() < y.as_f64(),
        }),
        (Value::String(x), Value::String(y)) => {
            Ok(match (quantity::value(x), quantity::value(y)) {
                (Some(x), Some(y)) => x < y,
                _ => x < y,
            })
        }
        _ => Err("unsortable interface: interface".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sort_by_orders_as_kubectl() {
        let order = |keys: &[Vec<Value>]| kubectl_order("{.k}", keys).unwrap();
        // Go's insertion sort with kubectl's "missing is less" in both directions.
        let keys = [vec![json!(1)], vec![], vec![]];
        assert_eq!(order(&keys), [2, 1, 0]);
        // Byte order, but quantities by value.
        let keys = ["a9", "a10", "9Gi", "10Mi", "B"].map(|k| vec![json!(k)]);
        assert_eq!(order(&keys), [3, 2, 4, 1, 0]);
        let keys = [json!(2.5), json!(null), json!(-1.5)].map(|k| vec![k]);
        assert_eq!(order(&keys), [1, 2, 0]);
    }

    #[test]
    fn values_kubectl_cannot_compare_fail_the_sort() {
        let keys = [json!(true), json!(false)].map(|k| vec![k]);
        let err = kubectl_order("{.spec.suspend}", &keys)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "error: cannot sort by {.spec.suspend}: unsortable type: bool"
        );
        let keys = [json!(1), json!(1.5)].map(|k| vec![k]);
        assert!(kubectl_order("{.k}", &keys).is_err());
        // A single value is never compared.
        assert!(kubectl_order("{.k}", &[vec![json!(true)]]).is_ok());
    }
}
