//! The shape every export shares: named columns of typed cells, written as CSV (RFC 4180, UTF-8,
//! header row) or JSON; and [`Column`], a column's name beside how a row fills it, so a table's
//! header and its cells come from one list.

use std::io::Write;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(Option<f64>),
    Int(i64),
    Bool(bool),
    /// A JSON value (a list of samples): itself in JSON, its JSON text in CSV.
    Json(serde_json::Value),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Cell {
        Cell::Text(s.clone())
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        Cell::Text(s.unwrap_or_default())
    }
}

impl From<&Option<String>> for Cell {
    fn from(s: &Option<String>) -> Cell {
        Cell::Text(s.clone().unwrap_or_default())
    }
}

/// One column of a table over rows of `T`: its header and its cell.
pub struct Column<T: ?Sized> {
    pub name: &'static str,
    pub cell: fn(&T) -> Cell,
}

/// A column, written `col("name", |row| cell)` in a table's list.
pub const fn col<T: ?Sized>(name: &'static str, cell: fn(&T) -> Cell) -> Column<T> {
    Column { name, cell }
}

/// The headers of a list of columns.
pub fn headers<T: ?Sized>(columns: &[Column<T>]) -> impl Iterator<Item = String> + '_ {
    columns.iter().map(|c| c.name.to_string())
}

/// One row's cells under a list of columns.
pub fn cells<T: ?Sized>(columns: &[Column<T>], row: &T) -> Vec<Cell> {
    columns.iter().map(|c| (c.cell)(row)).collect()
}

/// Each name once, in first-seen order (the columns a set of runs needs).
pub(crate) fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A text cell that a spreadsheet would run as a formula gets a leading apostrophe.
pub fn neutralize(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

impl Table {
    pub fn write_csv<W: Write>(&self, out: W) -> std::io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let map = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record(&self.columns).map_err(map)?;
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => neutralize(s).into_owned(),
                    Cell::Num(Some(v)) => format_num(*v),
                    Cell::Num(None) => String::new(),
                    Cell::Int(i) => i.to_string(),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Json(v) => v.to_string(),
                })
                .collect();
            w.write_record(&cells).map_err(map)?;
        }
        w.flush()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let mut obj = serde_json::Map::new();
                    for (col, cell) in self.columns.iter().zip(row) {
                        let v = match cell {
                            Cell::Text(s) => serde_json::Value::String(s.clone()),
                            Cell::Num(v) => v
                                .and_then(serde_json::Number::from_f64)
                                .map_or(serde_json::Value::Null, serde_json::Value::Number),
                            Cell::Int(i) => (*i).into(),
                            Cell::Bool(b) => (*b).into(),
                            Cell::Json(v) => v.clone(),
                        };
                        obj.insert(col.clone(), v);
                    }
                    serde_json::Value::Object(obj)
                })
                .collect(),
        )
    }
}

fn format_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized_and_csv_is_rfc4180() {
        let t = Table {
            columns: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![vec![
                Cell::Text("=1+2".into()),
                Cell::Text("line\n\"q\"".into()),
                Cell::Num(Some(-1.5)),
            ]],
        };
        let mut out = Vec::new();
        t.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "a,b,c\r\n'=1+2,\"line\n\"\"q\"\"\",-1.5\r\n");
        for bad in ["+x", "-x", "@x", "\tx", "\rx"] {
            assert!(neutralize(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralize("plain"), "plain");
    }

    #[test]
    fn json_keeps_column_order_and_nulls() {
        let t = Table {
            columns: vec!["z".into(), "a".into()],
            rows: vec![vec![Cell::Num(None), Cell::Int(3)]],
        };
        assert_eq!(t.to_json().to_string(), r#"[{"z":null,"a":3}]"#);
    }

    #[test]
    fn headers_and_cells_come_from_one_column_list() {
        const COLUMNS: &[Column<(i64, &str)>] = &[
            col("n", |r| Cell::Int(r.0)),
            col("name", |r| Cell::from(r.1)),
        ];
        assert_eq!(headers(COLUMNS).collect::<Vec<_>>(), ["n", "name"]);
        assert_eq!(
            cells(COLUMNS, &(2, "x")),
            [Cell::Int(2), Cell::Text("x".into())]
        );
    }
}
