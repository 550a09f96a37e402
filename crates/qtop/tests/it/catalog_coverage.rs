//! qtop may only call endpoints the permission catalogue describes. The client takes a
//! catalogue id, so the remaining way around it is a hand-written path: this test finds any.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_api_path_is_written_outside_the_catalogue() {
    // Every crate of the workspace: the client, the app and the simulator.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![];
    for krate in ["genesys", "qtop", "sim"] {
        let src = root.join(krate).join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 50, "the sources were not found under {}", root.display());
    let allowed = |p: &Path| {
        let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        // The catalogue itself, the simulator (which serves these paths) and unit tests.
        rel == "genesys/src/catalog.rs"
            || rel.starts_with("sim/src/")
            || rel.starts_with("qtop/src/sim/")
            || rel.ends_with("/tests.rs")
    };
    // A literal that names an endpoint, not just the `/api/v2/` prefix.
    let names_endpoint = |line: &str| {
        ["\"/api/v2/", "\"api/v2/", "\"/oauth/"].iter().any(|prefix| {
            line.match_indices(prefix)
                .any(|(at, m)| line[at + m.len()..].starts_with(|c: char| c.is_ascii_alphabetic()))
        })
    };
    let mut offenders = vec![];
    for f in files.iter().filter(|f| !allowed(f)) {
        let text = std::fs::read_to_string(f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            if names_endpoint(line) {
                offenders.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "API paths outside the catalogue:\n{}", offenders.join("\n"));
}

#[test]
fn every_endpoint_qtop_calls_is_described_completely() {
    for spec in genesys::catalog::CATALOG.iter().filter(|s| s.used_by_qtop) {
        assert!(spec.path.starts_with("/api/v2/") || spec.path.starts_with("/oauth/"), "{:?}", spec.id);
        assert!(!spec.summary.is_empty(), "{:?} has no summary", spec.id);
    }
}
