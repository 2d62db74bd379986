//! kubectl's tabwriters: Go's text/tabwriter as kubectl's printers set it up (columns at
//! least 6 wide, padded with 3 spaces, widths remembered across flushes so that the rows a
//! watch prints later line up with the first ones) and as its describers do (padded with 2).
//!
//! Rows are written as text, cells ended by tabs and lines by newlines, so a tab or a newline
//! inside a value starts a cell or a line as it does in kubectl. A column's width is that of
//! its block: the run of consecutive lines that have a cell in it; the last cell of a line,
//! which no tab ends, is never padded and widens nothing.

/// How a tabwriter sizes columns.
struct Settings {
    /// The narrowest column, padding included.
    min_width: usize,
    /// Spaces after the widest cell of a column.
    padding: usize,
    /// A column is as wide as it has been before, in earlier blocks and flushes.
    remember: bool,
}

/// `printers.GetNewTabWriter`: tables, custom columns, api-resources.
const PRINTER: Settings = Settings {
    min_width: 6,
    padding: 3,
    remember: true,
};

/// The describers' `tabbedString`.
const DESCRIBER: Settings = Settings {
    min_width: 0,
    padding: 2,
    remember: false,
};

/// Lays out rows (and a header line) as kubectl's printers do.
pub fn layout(header: Option<Vec<String>>, rows: Vec<Vec<String>>) -> String {
    layout_min(header, rows, &[]).0
}

/// Lays out text whose cells end in tabs as kubectl's describers do.
pub fn describe_layout(text: &str) -> String {
    write(text, &DESCRIBER, &[]).0
}

/// [`layout`] with the widths remembered from earlier output, returning the widths to
/// remember for the next.
pub(super) fn layout_min(
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    remembered: &[usize],
) -> (String, Vec<usize>) {
    let text: String = header
        .into_iter()
        .chain(rows)
        .map(|cells| cells.join("\t") + "\n")
        .collect();
    write(&text, &PRINTER, remembered)
}

/// `text` laid out; `remembered` are the widths of earlier flushes.
fn write(text: &str, settings: &Settings, remembered: &[usize]) -> (String, Vec<usize>) {
    let mut lines: Vec<Vec<&str>> = text
        .split('\n')
        .map(|line| line.split('\t').collect())
        .collect();
    // The text ends with a newline: no line follows it.
    lines.pop();
    let mut writer = Writer {
        settings,
        lines: &lines,
        widths: Vec::new(),
        remembered: remembered.to_vec(),
        out: String::with_capacity(text.len() * 2),
    };
    writer.format(0, lines.len());
    (writer.out, writer.remembered)
}

struct Writer<'a> {
    settings: &'a Settings,
    lines: &'a [Vec<&'a str>],
    /// The widths of the columns of the blocks being written, column by column.
    widths: Vec<usize>,
    remembered: Vec<usize>,
    out: String,
}

impl Writer<'_> {
    /// Writes lines `from..to`, whose columns before `self.widths.len()` are sized: each
    /// block of lines with a cell in the next column gets that column's width, then its
    /// lines are written the same way one column further.
    fn format(&mut self, mut from: usize, to: usize) {
        let column = self.widths.len();
        let has_column = |line: &Vec<&str>| column + 1 < line.len();
        let mut this = from;
        while this < to {
            if !has_column(&self.lines[this]) {
                this += 1;
                continue;
            }
            self.write_lines(from, this);
            from = this;
            let mut width = self.settings.min_width;
            while this < to && has_column(&self.lines[this]) {
                let cell = self.lines[this][column].chars().count();
                width = width.max(cell + self.settings.padding);
                this += 1;
            }
            match self
                .remembered
                .get_mut(column)
                .filter(|_| self.settings.remember)
            {
                Some(remembered) if *remembered > width => width = *remembered,
                Some(remembered) => *remembered = width,
                None if !self.settings.remember => {}
                None => {
                    let known = self.remembered.len();
                    self.remembered.extend_from_slice(&self.widths[known..]);
                    self.remembered.push(width);
                }
            }
            self.widths.push(width);
            self.format(from, this);
            self.widths.pop();
            from = this;
        }
        self.write_lines(from, to);
    }

    fn write_lines(&mut self, from: usize, to: usize) {
        for line in &self.lines[from..to] {
            for (column, cell) in line.iter().enumerate() {
                self.out.push_str(cell);
                if let Some(width) = self.widths.get(column) {
                    let pad = width.saturating_sub(cell.chars().count());
                    self.out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            self.out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn tables_lay_out_as_kubectls_tabwriter() {
        let text = layout(
            Some(row(&["NAME", "MESSAGE"])),
            vec![row(&["a", ""]), row(&["bb", "hi"])],
        );
        assert_eq!(text, "NAME   MESSAGE\na      \nbb     hi\n");
        let text = layout(
            Some(row(&["NAME", "GREETING", "AGE"])),
            vec![row(&["a", "Hello", "5s"])],
        );
        assert_eq!(text, "NAME   GREETING   AGE\na      Hello      5s\n");
    }

    /// A newline in a value ends its line there, and its column's block with it; a tab
    /// starts a cell. A column keeps the width of its earlier blocks.
    #[test]
    fn breaks_and_tabs_in_values_end_lines_and_cells() {
        let text = layout(
            Some(row(&["N", "A", "L"])),
            vec![
                row(&["a", "<none>", "x"]),
                row(&["long-name", "one\ntwo", "y"]),
                row(&["b", "p\tq", "z"]),
            ],
        );
        assert_eq!(
            text,
            "N           A        L\n\
             a           <none>   x\n\
             long-name   one\n\
             two         y\n\
             b           p        q     z\n"
        );
    }

    #[test]
    fn remembered_widths_hold_for_later_rows() {
        let (_, widths) = layout_min(None, vec![row(&["a-long-name", "x", "y"])], &[]);
        let (text, _) = layout_min(None, vec![row(&["b", "x", "y"])], &widths);
        assert_eq!(text, "b             x     y\n");
    }
}
