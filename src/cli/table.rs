//! Aligned text tables for list commands (`providers`, `sessions list`): columns that stay
//! in place whatever the cell lengths, within the terminal's width.
//!
//! Every column but the last is as wide as its widest cell, up to a cap; a longer cell is
//! cut with "…"; on a narrow terminal the widest columns give way first. The last column
//! takes the rest of the line and wraps under itself, or, when too little is left, goes on
//! the lines below, indented.

use textwrap::core::display_width;

/// The narrowest the last column may be beside the others before it moves below them.
const LAST_MIN: usize = 20;
const GAP: &str = "  ";
/// The narrowest a column is cut to on a narrow terminal.
const MIN_COLUMN: usize = 8;

/// `text` in at most `width` columns: cut with "…" when longer.
pub fn fit(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    let mut short = String::new();
    for c in text.chars() {
        let next = format!("{short}{c}");
        if display_width(&next) + 1 > width {
            break;
        }
        short = next;
    }
    short.push('…');
    short
}

/// The lines of a table of `rows` within `width` columns; `columns` gives, for each column
/// but the last, the widest it may be and the narrowest it is cut to before the others give
/// way (a server name is worth more room than a description).
pub fn layout(columns: &[(usize, usize)], rows: &[Vec<String>], width: usize) -> Vec<String> {
    let caps: Vec<usize> = columns.iter().map(|(cap, _)| *cap).collect();
    let fixed = caps.len();
    let mut widths: Vec<usize> = (0..fixed)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| display_width(cell))
                .max()
                .unwrap_or(0)
                .min(caps[column])
        })
        .collect();
    // On a narrow terminal the widest column gives way, one character at a time.
    while widths.iter().map(|w| w + GAP.len()).sum::<usize>() > width {
        let above = |floor: &dyn Fn(usize) -> usize| {
            (0..fixed)
                .filter(|&column| widths[column] > floor(column))
                .max_by_key(|&column| widths[column])
        };
        match above(&|column| columns[column].1.max(MIN_COLUMN)).or_else(|| above(&|_| MIN_COLUMN))
        {
            Some(widest) => widths[widest] -= 1,
            None => break,
        }
    }
    let used: usize = widths.iter().map(|w| w + GAP.len()).sum();
    let beside = width.saturating_sub(used);
    let mut lines = Vec::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell_width) in widths.iter().enumerate() {
            let cell = fit(row.get(column).map_or("", String::as_str), *cell_width);
            let pad = cell_width - display_width(&cell);
            line.push_str(&cell);
            line.push_str(&" ".repeat(pad));
            line.push_str(GAP);
        }
        let last = row.get(fixed).map_or("", String::as_str);
        if last.is_empty() {
            lines.push(line.trim_end().to_string());
        } else if beside >= LAST_MIN {
            let wrapped = textwrap::wrap(last, beside);
            for (index, part) in wrapped.iter().enumerate() {
                if index == 0 {
                    lines.push(format!("{line}{part}"));
                } else {
                    lines.push(format!("{}{part}", " ".repeat(used)));
                }
            }
        } else {
            lines.push(line.trim_end().to_string());
            let options = textwrap::Options::new(width.max(LAST_MIN))
                .initial_indent("    ")
                .subsequent_indent("    ");
            lines.extend(textwrap::wrap(last, options).into_iter().map(String::from));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[[&str; 3]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect()
    }

    #[test]
    fn long_cells_are_cut_and_columns_stay_aligned_within_the_width() {
        let table = rows(&[
            ["gmail", "Gmail", "sign-in: app password or OAuth2"],
            [
                "1und1-de",
                "1&1 (online.de, onlinehome.de, DSL customers)",
                "sign-in: normal password",
            ],
        ]);
        let lines = layout(&[(10, 0), (20, 0)], &table, 60);
        assert!(
            lines.iter().all(|line| display_width(line) <= 60),
            "{lines:#?}"
        );
        assert!(lines[2].contains("1&1 (online.de, onl…"), "{lines:#?}");
        // The last column starts at the same place on every row.
        let starts: Vec<usize> = lines
            .iter()
            .filter_map(|line| line.find("sign-in").map(|at| display_width(&line[..at])))
            .collect();
        assert_eq!(starts.len(), 2, "{lines:#?}");
        assert!(lines[1].starts_with(&" ".repeat(starts[0])), "{lines:#?}");
        assert!(
            starts.windows(2).all(|pair| pair[0] == pair[1]),
            "{lines:#?}"
        );
    }

    #[test]
    fn the_last_column_wraps_beside_or_moves_below_when_narrow() {
        let table = rows(&[[
            "id",
            "name",
            "one two three four five six seven eight nine ten",
        ]]);
        let beside = layout(&[(4, 0), (4, 0)], &table, 40);
        assert!(beside.len() > 1, "{beside:#?}");
        assert!(
            beside.iter().all(|line| display_width(line) <= 40),
            "{beside:#?}"
        );
        // Under itself: after "id", "name" and their gaps.
        assert!(
            beside[1].starts_with(&format!("{}seven", " ".repeat(10))),
            "{beside:#?}"
        );
        let below = layout(&[(4, 0), (4, 0)], &table, 28);
        assert_eq!(below[0], "id  name");
        assert!(below[1].starts_with("    one"), "{below:#?}");
        assert!(
            below.iter().all(|line| display_width(line) <= 28),
            "{below:#?}"
        );
    }

    #[test]
    fn on_a_narrow_terminal_the_widest_column_gives_way() {
        let table = rows(&[[
            "an-id",
            "A provider with a very long name indeed",
            "sign-in: x",
        ]]);
        let lines = layout(&[(10, 0), (40, 0)], &table, 40);
        assert!(
            lines.iter().all(|line| display_width(line) <= 40),
            "{lines:#?}"
        );
        assert!(lines[0].starts_with("an-id  A provider"), "{lines:#?}");
        assert!(lines[0].contains('…'), "{lines:#?}");
        // A column with a floor keeps it while another can give way.
        let table = rows(&[[
            "smtp.example.com:587 STARTTLS",
            "A long description of it",
            "x",
        ]]);
        let lines = layout(&[(40, 29), (40, 0)], &table, 50);
        assert!(
            lines[0].starts_with("smtp.example.com:587 STARTTLS  A long"),
            "{lines:#?}"
        );
        assert!(
            lines.iter().all(|line| display_width(line) <= 50),
            "{lines:#?}"
        );
    }

    #[test]
    fn fit_keeps_short_text_and_cuts_long_text_to_the_width() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("a longer text", 6), "a lon…");
        assert_eq!(display_width(&fit("Grüße aus Köln", 8)), 8);
    }
}
