//! CSV export of results with formula-injection escaping.

use crate::store::ResultRecord;

/// CSV export with formula-injection escaping: a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'` so spreadsheet software never evaluates it.
pub fn to_csv(results: &[ResultRecord]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for r in results {
        for a in &r.answers {
            if !columns.contains(&a.key) {
                columns.push(a.key.clone());
            }
        }
        for k in r.variables.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = ["Submitted at", "Result ID"]
        .iter()
        .map(|s| s.to_string())
        .chain(columns.iter().cloned())
        .collect();
    out.push_str(&header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in results {
        let mut row = vec![cell(&r.created_at), cell(&r.id)];
        for c in &columns {
            let v = r
                .answers
                .iter()
                .find(|a| &a.key == c)
                .map(|a| a.content.clone())
                .or_else(|| {
                    r.variables.get(c).map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                })
                .unwrap_or_default();
            row.push(cell(&v));
        }
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn cell(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+33"), "'+33");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM"), "'@SUM");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
