//! The layers only point one way. Read from the sources and the manifests, so a new import
//! that crosses a layer fails here, with the file and line, before review:
//!
//! - state (the model, config, diagnosis, events, text, the tasks, the exporter, doctor,
//!   explain) never imports the screen (`ui`, `tui`);
//! - the `genesys` client crate depends on no terminal, command-line or app crate (ratatui,
//!   clap, crossterm, qtop) and never names the app's crate in code;
//! - in qtop, only the demo path (`demo.rs`, `sim_cmd.rs`) imports the simulator, and the
//!   manifest pulls it in only through the optional `demo` feature.

use std::path::{Path, PathBuf};

/// The repository's `crates/` directory.
fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `path` relative to `root`, with forward slashes.
fn rel(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/")
}

/// Code lines: comments (`//`, `//!`, `///`) say what they like.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")).map(|(i, l)| (i + 1, l))
}

/// Where a line starts a path at `name` (`name::…`, not `other_name::` or `x::name::`).
fn starts_path(line: &str, name: &str) -> bool {
    let needle = format!("{name}::");
    line.match_indices(&needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// The screen, as state code must never reach it.
fn imports_screen(line: &str) -> bool {
    let screen = ["crate::ui::", "crate::tui::", "qtop::ui::", "qtop::tui::", "crate::ui;", "crate::tui;"];
    if screen.iter().any(|s| line.contains(s)) {
        return true;
    }
    // `use crate::{…, ui, …}` and `super::super::ui` from a nested module.
    let grouped = line.contains("crate::{")
        && line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == "ui" || w == "tui");
    grouped || line.contains("super::super::ui")
}

/// Offending lines of `text` by `rule`, as `file:line: code`.
fn offenders(name: &str, text: &str, rule: impl Fn(&str) -> bool) -> Vec<String> {
    code_lines(text).filter(|(_, l)| rule(l)).map(|(n, l)| format!("{name}:{n}: {}", l.trim())).collect()
}

/// Dependency names of a manifest's `[dependencies]`, `[dev-dependencies]` and
/// `[build-dependencies]` tables (`package = "…"` renames count under both names).
fn dependencies(manifest: &str) -> Vec<String> {
    let toml: toml::Table = manifest.parse().expect("a valid manifest");
    let mut names = vec![];
    for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
        for (name, spec) in toml.get(table).and_then(|t| t.as_table()).into_iter().flatten() {
            names.push(name.clone());
            if let Some(package) = spec.get("package").and_then(|p| p.as_str()) {
                names.push(package.to_string());
            }
        }
    }
    names
}

/// State modules of the qtop crate, by path under `src/`: everything but the screen, the
/// terminal loop, the binary and the crate root.
fn is_state(path: &str) -> bool {
    !(path.starts_with("ui/") || path == "tui.rs" || path == "main.rs" || path == "lib.rs")
}

#[test]
fn state_never_imports_the_screen() {
    let src = crates_dir().join("qtop/src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let state: Vec<_> = files.iter().filter(|f| is_state(&rel(f, &src))).collect();
    for must in ["app/model.rs", "config.rs", "diagnose/mod.rs", "event.rs", "text/columns.rs", "export/mod.rs"] {
        assert!(state.iter().any(|f| rel(f, &src) == must), "{must} is checked");
    }
    let mut bad = vec![];
    for f in state {
        bad.extend(offenders(&rel(f, &src), &std::fs::read_to_string(f).unwrap(), imports_screen));
    }
    assert!(bad.is_empty(), "state code imports the screen:\n{}", bad.join("\n"));
}

/// The screen's state, as the headless readers must never hold it.
fn holds_the_screen(line: &str) -> bool {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| ["App", "Keymap", "UiState", "TokenPane"].contains(&w))
}

#[test]
fn the_exporter_and_snapshot_hold_the_model_alone() {
    let src = crates_dir().join("qtop/src");
    let mut files = vec![];
    rust_files(&src.join("export"), &mut files);
    assert!(files.len() >= 3, "export/ was found");
    let mut bad = vec![];
    for f in &files {
        bad.extend(offenders(&rel(f, &src), &std::fs::read_to_string(f).unwrap(), holds_the_screen));
    }
    assert!(bad.is_empty(), "the exporter names the screen's state:\n{}", bad.join("\n"));
    assert!(holds_the_screen("    app: App,") && holds_the_screen("use crate::keys::Keymap;"));
    assert!(!holds_the_screen("use crate::app::{Health, Model};"));
}

#[test]
fn the_client_crate_knows_no_terminal_no_command_line_and_no_app() {
    let manifest = std::fs::read_to_string(crates_dir().join("genesys/Cargo.toml")).unwrap();
    let deps = dependencies(&manifest);
    assert!(deps.iter().any(|d| d == "reqwest"), "the manifest's dependencies were read: {deps:?}");
    let banned: Vec<_> =
        deps.iter().filter(|d| ["ratatui", "clap", "crossterm", "qtop"].contains(&d.as_str())).collect();
    assert!(banned.is_empty(), "crates/genesys depends on {banned:?}");

    let src = crates_dir().join("genesys/src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut bad = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        bad.extend(offenders(&rel(f, &src), &text, |l| {
            starts_path(l, "qtop")
                || l.contains("extern crate qtop")
                || starts_path(l, "ratatui")
                || starts_path(l, "clap")
        }));
    }
    assert!(bad.is_empty(), "crates/genesys names the app or the terminal:\n{}", bad.join("\n"));
}

#[test]
fn only_the_demo_path_imports_the_simulator() {
    let src = crates_dir().join("qtop/src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let demo_path = ["demo.rs", "sim_cmd.rs"];
    let mut bad = vec![];
    let mut demo_uses = 0;
    for f in &files {
        let name = rel(f, &src);
        let found = offenders(&name, &std::fs::read_to_string(f).unwrap(), |l| starts_path(l, "sim"));
        if demo_path.contains(&name.as_str()) {
            demo_uses += found.len();
        } else {
            bad.extend(found);
        }
    }
    assert!(demo_uses > 0, "the demo path was found and does use the simulator");
    assert!(bad.is_empty(), "the simulator is imported outside demo.rs and sim_cmd.rs:\n{}", bad.join("\n"));

    let manifest: toml::Table = std::fs::read_to_string(crates_dir().join("qtop/Cargo.toml")).unwrap().parse().unwrap();
    let sim = &manifest["dependencies"]["sim"];
    assert_eq!(sim.get("optional").and_then(toml::Value::as_bool), Some(true), "sim is an optional dependency");
    let demo = manifest["features"]["demo"].as_array().unwrap();
    assert!(demo.iter().any(|f| f.as_str() == Some("dep:sim")), "the demo feature pulls the simulator in");
}

// The checker itself, on made-up sources: each rule catches what it is for and lets the
// rest through (a rule that matched nothing would pass every time).

#[test]
fn the_screen_rule_catches_imports_and_lets_comments_and_config_ui_through() {
    let source = "//! drawn by crate::ui::header\nuse crate::ui::columns::COLUMNS;\nmod ui;\nlet x = ui::resolve(&file)?;\nuse crate::{event, ui};\n        let max = crate::ui::help::max_scroll(self);\n";
    let found = offenders("app/fake.rs", source, imports_screen);
    assert_eq!(
        found,
        [
            "app/fake.rs:2: use crate::ui::columns::COLUMNS;",
            "app/fake.rs:5: use crate::{event, ui};",
            "app/fake.rs:6: let max = crate::ui::help::max_scroll(self);",
        ]
    );
    assert!(is_state("app/settings.rs") && is_state("config/ui.rs") && is_state("doctor.rs"));
    assert!(!is_state("ui/header.rs") && !is_state("tui.rs"));
}

#[test]
fn the_path_rule_tells_a_crate_from_a_module_of_the_same_name() {
    assert!(starts_path("use sim::org::Org;", "sim"));
    assert!(starts_path("    let h = sim::start(opts, bind).await?;", "sim"));
    assert!(!starts_path("use crate::demo::sim_handle;", "sim"));
    assert!(!starts_path("let s = genesys_sim::x;", "sim"));
    assert!(!starts_path("demo.sim.base_url()", "sim"));
    assert!(starts_path("use qtop::app::App;", "qtop"));
    assert!(!starts_path(".user_agent(concat!(\"qtop/\", v))", "qtop"));
}

#[test]
fn the_manifest_rule_reads_every_dependency_table_and_renames() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\nreqwest = \"1\"\nterm = { package = \"ratatui\", version = \"0.30\" }\n[dev-dependencies]\nclap = \"4\"\n";
    let deps = dependencies(manifest);
    for d in ["reqwest", "term", "ratatui", "clap"] {
        assert!(deps.iter().any(|x| x == d), "{d} in {deps:?}");
    }
}
