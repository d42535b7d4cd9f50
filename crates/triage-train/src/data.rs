//! Dataset readers (JSONL, CSV, TSV, CrisisLex CSVs) and label maps.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};
use triage_model::Class;

/// One labelled text, before label mapping.
#[derive(Clone, Debug)]
pub struct RawExample {
    pub text: String,
    /// The label as written in the source.
    pub label: String,
    pub lang: Option<String>,
    pub id: Option<String>,
    /// Where it came from (file stem: the event for CrisisLex files).
    pub group: String,
}

/// One labelled text with a project class.
#[derive(Clone, Debug)]
pub struct Example {
    pub text: String,
    pub class: Class,
    pub lang: Option<String>,
    pub id: Option<String>,
    pub group: String,
}

/// Which columns hold the text and the label in CSV/TSV files.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    pub text: Option<String>,
    pub label: Option<String>,
}

/// Reads a dataset file; the format follows the extension (`.jsonl`/`.ndjson`/`.json`, `.csv`, `.tsv`).
pub fn read_file(path: &Path, cols: &Columns) -> Result<Vec<RawExample>> {
    let group = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("data")
        .trim_end_matches("-tweets_labeled.csv")
        .trim_end_matches("-ontopic_offtopic.csv")
        .to_owned();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    // Some CSV exports carry a UTF-8 byte order mark.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    match ext.as_str() {
        "jsonl" | "ndjson" | "json" => read_jsonl(path, bytes, &group),
        "csv" => read_delimited(path, bytes, b',', cols, &group),
        "tsv" | "tab" => read_delimited(path, bytes, b'\t', cols, &group),
        other => bail!(
            "{}: unknown data format `.{other}` (expected .jsonl, .csv or .tsv)",
            path.display()
        ),
    }
}

fn read_jsonl(path: &Path, bytes: &[u8], group: &str) -> Result<Vec<RawExample>> {
    let text =
        std::str::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}: not JSON", at()))?;
        let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let text = get("text").with_context(|| format!("{}: missing string field `text`", at()))?;
        let label = match v.get("label") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(x)) => x.to_string(),
            _ => bail!("{}: missing field `label`", at()),
        };
        let id = match v.get("id") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(x)) => Some(x.to_string()),
            _ => None,
        };
        let group = get("event").unwrap_or_else(|| group.to_owned());
        out.push(RawExample {
            text,
            label,
            lang: get("lang"),
            id,
            group,
        });
    }
    Ok(out)
}

fn norm_header(h: &str) -> String {
    h.trim()
        .trim_matches('\'')
        .trim_matches('"')
        .to_ascii_lowercase()
}

fn read_delimited(
    path: &Path,
    bytes: &[u8],
    delim: u8,
    cols: &Columns,
    group: &str,
) -> Result<Vec<RawExample>> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(norm_header)
        .collect();
    let find = |name: &str| headers.iter().position(|h| *h == norm_header(name));
    let col = |name: &str, what: &str| {
        find(name).with_context(|| {
            format!(
                "{}: no {what} column `{name}` (columns: {})",
                path.display(),
                headers.join(", ")
            )
        })
    };
    // Label: one column, or CrisisLex T26's pair (Information Type, Informativeness).
    enum Label {
        One(usize),
        CrisisLex {
            itype: usize,
            informativeness: usize,
        },
    }
    let (text_col, label) = match (&cols.text, &cols.label) {
        (Some(t), Some(l)) => (col(t, "text")?, Label::One(col(l, "label")?)),
        (t, l) => {
            let crisislex = find("tweet text")
                .zip(find("information type"))
                .zip(find("informativeness"));
            if let (None, None, Some(((text, itype), informativeness))) = (t, l, crisislex) {
                (
                    text,
                    Label::CrisisLex {
                        itype,
                        informativeness,
                    },
                )
            } else {
                let text = match t {
                    Some(t) => col(t, "text")?,
                    None => find("text")
                        .or_else(|| find("tweet text"))
                        .or_else(|| find("tweet"))
                        .with_context(|| {
                            format!(
                                "{}: no text column found; name it with --text-col (columns: {})",
                                path.display(),
                                headers.join(", ")
                            )
                        })?,
                };
                let label = match l {
                    Some(l) => col(l, "label")?,
                    None => find("label").or_else(|| find("class")).with_context(|| {
                        format!(
                            "{}: no label column found; name it with --label-col (columns: {})",
                            path.display(),
                            headers.join(", ")
                        )
                    })?,
                };
                (text, Label::One(label))
            }
        }
    };
    let id_col = find("id").or_else(|| find("tweet id"));
    let lang_col = find("lang");
    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: bad record {}", path.display(), n + 2))?;
        let field = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
        let text = field(text_col).to_owned();
        let label = match label {
            Label::One(i) => field(i).to_owned(),
            // "Not labeled" rows are told apart by their informativeness ("Not related" is noise, the rest
            // was never labelled): the label becomes "Not labeled: <informativeness>".
            Label::CrisisLex {
                itype,
                informativeness,
            } => {
                let t = field(itype);
                if t.eq_ignore_ascii_case("not labeled") {
                    format!("Not labeled: {}", field(informativeness))
                } else {
                    t.to_owned()
                }
            }
        };
        let id = id_col
            .map(|i| field(i).trim_matches('\'').trim_matches('"').to_owned())
            .filter(|s| !s.is_empty());
        let lang = lang_col
            .map(|i| field(i).to_owned())
            .filter(|s| !s.is_empty());
        out.push(RawExample {
            text,
            label,
            lang,
            id,
            group: group.to_owned(),
        });
    }
    Ok(out)
}

/// `source_label<TAB>class`; class `-` drops the row.
#[derive(Clone, Debug, Default)]
pub struct LabelMap {
    map: HashMap<String, Option<Class>>,
}

impl LabelMap {
    pub fn load(path: &Path) -> Result<LabelMap> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read label map {}", path.display()))?;
        LabelMap::parse(&text).with_context(|| format!("in label map {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<LabelMap> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (src, class) = line
                .split_once('\t')
                .with_context(|| format!("line {}: expected `source_label<TAB>class`", n + 1))?;
            let class = class.trim();
            let class = if class == "-" {
                None
            } else {
                Some(
                    class
                        .parse::<Class>()
                        .with_context(|| format!("line {}", n + 1))?,
                )
            };
            map.insert(src.trim().to_lowercase(), class);
        }
        Ok(LabelMap { map })
    }
}

/// Maps source labels to classes. Without a map, labels must be class names. With one, labels not in the map
/// may still be class names (so project JSONL files and mapped files can be read together); any other label
/// is an error that names every unmapped label.
pub fn map_labels(raw: Vec<RawExample>, map: Option<&LabelMap>) -> Result<(Vec<Example>, usize)> {
    let mut out = Vec::with_capacity(raw.len());
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut dropped = 0;
    for r in raw {
        let key = r.label.trim().to_lowercase();
        let class = match map.and_then(|m| m.map.get(&key)) {
            Some(Some(c)) => Some(*c),
            Some(None) => {
                dropped += 1;
                continue;
            }
            None => key.parse::<Class>().ok(),
        };
        match class {
            Some(class) => out.push(Example {
                text: r.text,
                class,
                lang: r.lang,
                id: r.id,
                group: r.group,
            }),
            None => *unmapped.entry(r.label.clone()).or_default() += 1,
        }
    }
    if !unmapped.is_empty() {
        let list: Vec<String> = unmapped
            .iter()
            .map(|(l, n)| format!("`{l}` ({n} rows)"))
            .collect();
        bail!(
            "labels not in the label map{}: {}",
            if map.is_none() {
                " (no --label-map given; labels must be offer, request, missing, support, info or noise)"
            } else {
                ""
            },
            list.join(", ")
        );
    }
    Ok((out, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crisislex_header_quirks_and_map() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("2013_Test_event-tweets_labeled.csv");
        std::fs::write(
            &p,
            "Tweet ID, Tweet Text, Information Source, Information Type, Informativeness\n\
             \"1\",\"Pray for them\",Outsiders,Sympathy and support,Related - but not informative\n\
             \"2\",\"buy now\",Not labeled,Not labeled,Not related\n\
             \"3\",\"meh\",Not labeled,Not labeled,Not applicable\n",
        )
        .unwrap();
        let raw = read_file(&p, &Columns::default()).unwrap();
        assert_eq!(raw.len(), 3);
        assert_eq!(raw[0].group, "2013_Test_event");
        assert_eq!(raw[1].label, "Not labeled: Not related");
        let map = LabelMap::parse("Sympathy and support\tsupport\nNot labeled: Not related\tnoise\nNot labeled: Not applicable\t-\n").unwrap();
        let (ex, dropped) = map_labels(raw.clone(), Some(&map)).unwrap();
        assert_eq!((ex.len(), dropped), (2, 1));
        let map = LabelMap::parse("Sympathy and support\tsupport\n").unwrap();
        let err = map_labels(raw, Some(&map)).unwrap_err().to_string();
        assert!(err.contains("`Not labeled: Not related` (1 rows)"), "{err}");
    }
}
