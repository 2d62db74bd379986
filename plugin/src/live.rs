//! `kubectl foo list --watch` on a terminal: one table kept current in place, redrawn at each
//! change (as `argo rollouts get --watch`), where a pipe gets a line per change as from
//! `kubectl get -w`.

use foo_sdk::table::{Table, TableRow};

use crate::error::Result;
use crate::printer::{self, TableStyle};

/// The table on screen and how to draw it.
pub struct LiveTable {
    table: Table,
    style: TableStyle,
    sort_by: Option<String>,
    /// The lines drawn last, which the next drawing replaces.
    drawn: usize,
}

impl LiveTable {
    /// The table as listed, drawn with these printing options.
    pub fn new(table: Table, style: TableStyle, sort_by: Option<String>) -> Self {
        LiveTable {
            table,
            style,
            sort_by,
            drawn: 0,
        }
    }

    /// Takes in a watch event's rows: a Foo's row replaced or added, or removed when it was
    /// deleted.
    pub fn apply(&mut self, event: Table, deleted: bool) {
        if self.table.column_definitions.is_empty() {
            self.table.column_definitions = event.column_definitions;
        }
        for row in event.rows {
            let name = row_name(&row);
            let at = self.table.rows.iter().position(|r| row_name(r) == name);
            match (at, deleted) {
                (Some(at), true) => {
                    self.table.rows.remove(at);
                }
                (Some(at), false) => self.table.rows[at] = row,
                (None, false) => {
                    let after = self.table.rows.iter().position(|r| row_name(r) > name);
                    self.table
                        .rows
                        .insert(after.unwrap_or(self.table.rows.len()), row);
                }
                (None, true) => {}
            }
        }
    }

    /// What replaces the last drawing on a terminal `width` columns wide: the cursor moved
    /// up over it, the rest of the screen cleared, and the table (each line cut to the
    /// width, so that none wraps and the count of lines holds).
    pub fn redraw(&mut self, width: usize) -> Result<String> {
        let mut table = self.table.clone();
        if let Some(sort) = &self.sort_by {
            printer::sort_rows(&mut table, sort)?;
        }
        let text = if table.rows.is_empty() {
            "No resources found\n".to_owned()
        } else {
            printer::render_table(&table, &self.style)
        };
        let mut out = match self.drawn {
            0 => String::new(),
            lines => format!("\x1b[{lines}A\r\x1b[J"),
        };
        self.drawn = 0;
        for line in text.lines() {
            out.extend(line.chars().take(width.max(1)));
            out.push('\n');
            self.drawn += 1;
        }
        Ok(out)
    }
}

fn row_name(row: &TableRow) -> String {
    match row.name() {
        Some(name) => name.to_owned(),
        None => row.cell_text(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(rows: &[(&str, i64)]) -> Table {
        serde_json::from_value(json!({
            "apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
                {"name": "Bars", "type": "integer", "format": "", "description": "", "priority": 0}
            ],
            "rows": rows.iter().map(|(name, bars)| json!({"cells": [name, bars]})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    #[test]
    fn redraws_the_whole_table_over_the_last_one() {
        let mut live = LiveTable::new(
            table(&[("a", 0), ("c", 0)]),
            TableStyle {
                headers: true,
                ..TableStyle::default()
            },
            None,
        );
        assert_eq!(
            live.redraw(80).unwrap(),
            "NAME   BARS\na      0\nc      0\n"
        );
        live.apply(table(&[("b", 1)]), false);
        live.apply(table(&[("a", 2)]), false);
        assert_eq!(
            live.redraw(80).unwrap(),
            "\x1b[3A\r\x1b[JNAME   BARS\na      2\nb      1\nc      0\n"
        );
        live.apply(table(&[("a", 2)]), true);
        live.apply(table(&[("b", 1)]), true);
        live.apply(table(&[("c", 0)]), true);
        assert_eq!(live.redraw(4).unwrap(), "\x1b[4A\r\x1b[JNo r\n");
    }
}
