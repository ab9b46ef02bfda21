//! Writing to the terminal: tables, JSON, and closed pipes.

use std::io::Write;

/// Whether an error is stdout having been closed by the reader (`| head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Prints `text` to stdout, reporting a closed pipe as an error the caller can recognise.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    print(&(serde_json::to_string_pretty(value)? + "\n"))
}

/// A plain text table with left-aligned columns, cells cut to `max` characters.
pub fn table(headers: &[&str], rows: &[Vec<String>], max: usize) -> String {
    let cut = |s: &str| -> String {
        let s = s.replace('\n', " ");
        if s.chars().count() > max { s.chars().take(max - 1).collect::<String>() + "…" } else { s }
    };
    // The first column is what a reader copies into the next command (an incident's id,
    // a rung): it is never cut. Long text in the others is.
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().enumerate().map(|(i, c)| if i == 0 { c.replace('\n', " ") } else { cut(c) }).collect()).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// Counts as "key  n" lines, largest first.
pub fn counts(title: &str, map: &std::collections::BTreeMap<String, u64>, by_key: bool) -> String {
    let mut items: Vec<(&String, &u64)> = map.iter().collect();
    if !by_key {
        items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    }
    let w = items.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let mut s = format!("{title}\n");
    for (k, n) in items {
        s.push_str(&format!("  {k:<w$}  {n}\n"));
    }
    s
}

/// Refuses an output path that already exists or whose directory does not, before any
/// work is done, so that a long run never ends in "cannot write" with its results lost.
pub fn check_new_file(path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} already exists: an output file never replaces an existing one; remove it or name another", path.display());
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        anyhow::bail!("{}: the directory {} does not exist", path.display(), parent.display());
    }
    Ok(())
}

/// Writes `bytes` to a file that must not exist yet (created exclusively, so a file made
/// meanwhile is not replaced either).
pub fn write_new_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    check_new_file(path)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    f.write_all(bytes).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_id_in_the_first_column_stays_whole_for_copying() {
        let id = "cfr:compromise-of-the-ministry-of-foreign-affairs-networks-by-a-state-sponsored-group";
        let text = super::table(&["ID", "TITLE"], &[vec![id.into(), "t".repeat(100)]], 20);
        assert!(text.contains(id), "{text}");
        assert!(text.contains(&format!("{}…", "t".repeat(19))), "{text}");
    }
}
