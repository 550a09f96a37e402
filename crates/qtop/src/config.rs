//! Configuration: TOML file, then environment, then flags. Every error is one line that
//! names the key and says how to fix it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

use crate::cli::GlobalArgs;
use genesys::auth::{AuthMethod, PkceMode, PkceSettings, ProvidedToken};
use genesys::queries::Selector;
use genesys::regions::{self, Hosts};
use genesys::secret::Secret;
use genesys::token_cache::TokenCache;

mod palette;
mod ui;
pub use palette::Palette;
pub use ui::WallSection;

pub const SECRET_ENV: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
pub const TOKEN_ENV: &str = "GENESYSCLOUD_ACCESS_TOKEN";
/// Loopback port for the PKCE redirect unless configured: register
/// `http://127.0.0.1:8085/callback` on the OAuth client.
pub const DEFAULT_REDIRECT_PORT: u16 = 8085;
pub const MIN_REFRESH: Duration = Duration::from_secs(1);
pub const MIN_TOTALS_REFRESH: Duration = Duration::from_secs(10);
pub const DEFAULT_TOTALS_REFRESH: Duration = Duration::from_secs(30);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub org: OrgSection,
    #[serde(default)]
    pub auth: AuthSection,
    #[serde(default)]
    pub monitor: MonitorSection,
    #[serde(default)]
    pub ui: UiSection,
    #[serde(default)]
    pub wall: WallSection,
    /// Per column (and per queue): see `app::Thresholds::parse`.
    #[serde(default)]
    pub thresholds: toml::Table,
    /// `[views.NAME]`, in file order (the number keys follow it).
    #[serde(default)]
    pub views: toml::Table,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSection {
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub login_url: Option<String>,
    /// IANA time zone that defines the org's "today" (default: this machine's).
    pub timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    pub method: Option<String>,
    pub client_id: Option<String>,
    pub secret_file: Option<PathBuf>,
    /// Present only to give a precise error: secrets do not belong in the config file.
    pub client_secret: Option<String>,
    /// pkce: loopback port of the redirect URI `http://127.0.0.1:<port>/callback` (0 = any).
    pub redirect_port: Option<u16>,
    /// pkce: "auto", "loopback" or "paste".
    pub mode: Option<String>,
    /// token: a file holding an access token (or a token endpoint's JSON answer).
    pub token_file: Option<PathBuf>,
    /// pkce: keep user tokens between runs (default true).
    pub token_cache: Option<bool>,
    /// Where the token cache lives (default: the OS cache dir, e.g. ~/.cache/qtop).
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSection {
    pub refresh: Option<String>,
    /// How often today's totals (offered, abandoned, SL%) are fetched.
    pub totals_refresh: Option<String>,
    #[serde(default)]
    pub queues: Vec<String>,
    /// "auto" (default), "poll", "stream".
    pub source: Option<String>,
}

/// Where live numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceMode {
    /// Stream when polling every queue at the configured refresh would exceed the budget.
    #[default]
    Auto,
    Poll,
    Stream,
}

impl SourceMode {
    pub fn parse(text: &str, key: &str) -> Result<SourceMode, ConfigError> {
        match text.trim() {
            "auto" => Ok(SourceMode::Auto),
            "poll" => Ok(SourceMode::Poll),
            "stream" => Ok(SourceMode::Stream),
            other => Err(ConfigError(format!("{key} = \"{other}\" is not one of \"auto\", \"poll\", \"stream\""))),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSection {
    pub ascii: Option<bool>,
    /// "auto" (default: colour unless NO_COLOR), "always", "never".
    pub color: Option<String>,
    /// "dark" (16 colours, default), "light", "256".
    pub theme: Option<String>,
    /// Queue table columns by `Column::key` (default: all).
    pub columns: Option<Vec<String>>,
    /// e.g. "waiting desc" (default: by name).
    pub sort: Option<String>,
}

/// Everything qtop needs to run, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub hosts: Hosts,
    pub timezone: jiff::tz::TimeZone,
    pub auth: AuthMethod,
    pub refresh: Duration,
    pub totals_refresh: Duration,
    pub queues: Vec<Selector>,
    pub live_source: SourceMode,
    pub ascii: bool,
    pub color: bool,
    pub source: Option<PathBuf>,
    /// Columns, sort, views, thresholds, wall mode, palette.
    pub ui: crate::app::UiSettings,
}

/// The environment qtop reads, gathered once so tests can supply their own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub client_secret: Option<String>,
    /// `GENESYSCLOUD_ACCESS_TOKEN`: a token another tool made.
    pub access_token: Option<String>,
    pub no_color: bool,
    pub utf8_locale: bool,
}

impl Env {
    pub fn from_process() -> Env {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .unwrap_or_default()
            .to_ascii_lowercase();
        Env {
            client_secret: std::env::var(SECRET_ENV).ok().filter(|s| !s.is_empty()),
            access_token: std::env::var(TOKEN_ENV).ok().filter(|s| !s.trim().is_empty()),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            // No locale at all (a bare SSH session, cron) is treated as UTF-8-capable; an
            // explicit non-UTF-8 locale (C, POSIX, latin1) is not.
            utf8_locale: locale.is_empty() || locale.contains("utf-8") || locale.contains("utf8"),
        }
    }
}

/// qtop's config, cache and state directories (XDG on Linux).
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "qtop")
}

/// Where sign-in tokens are cached unless `[auth] cache_dir` says otherwise
/// (`~/.cache/qtop` on Linux). The client crate takes the directory as an argument.
pub fn default_cache_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.cache_dir().to_path_buf())
}

/// Where the config file is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Read the file named by `--config` (must exist) or the default one (may be absent).
pub fn load_file(explicit: Option<&Path>) -> Result<(FileConfig, Option<PathBuf>), ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match default_path() {
            Some(p) if p.exists() => p,
            _ => return Ok((FileConfig::default(), None)),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ConfigError(format!("cannot read config file {}: {e}; check --config or QTOP_CONFIG", path.display()))
    })?;
    parse_file(&text, &path).map(|c| (c, Some(path)))
}

pub fn parse_file(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    toml::from_str::<FileConfig>(text).map_err(|e| {
        let at = e.span().map(|s| s.start.min(text.len()));
        let line = at.map(|a| text[..a].lines().count().max(1));
        let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        let hint = if msg.contains("unknown field") || msg.contains("invalid type") {
            "; see config.example.toml for the keys qtop reads and their types"
        } else {
            ""
        };
        // Name the key, not just the line: "[org] region: invalid type: …".
        let key = at.and_then(|a| key_at(text, a)).map(|k| format!("{k}: ")).unwrap_or_default();
        match line {
            Some(l) => ConfigError(format!("{}:{l}: {key}{msg}{hint}", path.display())),
            None => ConfigError(format!("{}: {key}{msg}{hint}", path.display())),
        }
    })
}

/// `[table] key` for the `key = value` line holding byte `at`, when it is one.
fn key_at(text: &str, at: usize) -> Option<String> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?.trim();
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text[..start].lines().rev().map(str::trim).find(|l| l.starts_with('[') && l.ends_with(']'));
    Some(match table {
        Some(t) => format!("{t} {key}"),
        None => key.to_string(),
    })
}

pub fn parse_refresh(text: &str, key: &str) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(text.trim()).map_err(|_| {
        ConfigError(format!("{key} = \"{text}\" is not a duration; write it like \"1s\", \"2s\" or \"1500ms\""))
    })?;
    if d < MIN_REFRESH {
        return err(format!(
            "{key} = \"{text}\" is below the 1s minimum: live numbers are observations, polling faster only spends the API rate budget; use \"1s\" or more"
        ));
    }
    Ok(d)
}

pub fn parse_totals_refresh(text: &str, key: &str) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|_| ConfigError(format!("{key} = \"{text}\" is not a duration; write it like \"30s\" or \"1m\"")))?;
    if d < MIN_TOTALS_REFRESH {
        return err(format!(
            "{key} = \"{text}\" is below the 10s minimum: today's totals move slowly and each fetch spends the API rate budget; use \"10s\" or more"
        ));
    }
    Ok(d)
}

impl Config {
    /// Layer file < environment < flags into a validated config.
    pub fn resolve(
        file: FileConfig,
        source: Option<PathBuf>,
        flags: &GlobalArgs,
        env: &Env,
    ) -> Result<Config, ConfigError> {
        // Which setting chose the hosts, so an error names the one to change.
        let hosts_from = match (&flags.base_url, &file.org.base_url, &flags.region) {
            (Some(_), _, _) => "--base-url",
            (None, Some(_), _) => "[org] base_url",
            (None, None, Some(_)) => "--region (or GENESYSCLOUD_REGION)",
            (None, None, None) => "[org] region",
        };
        let hosts = match (&flags.base_url, &file.org.base_url) {
            (Some(base), _) => regions::override_hosts(base, flags.login_url.as_deref()),
            (None, Some(base)) => regions::override_hosts(base, file.org.login_url.as_deref()),
            (None, None) => match flags.region.as_ref().or(file.org.region.as_ref()) {
                Some(r) => regions::find(r).map(genesys::regions::Region::hosts),
                None => {
                    return err(
                        "no region: set [org] region in the config, GENESYSCLOUD_REGION, or --region (e.g. us-east-1); or try `qtop --demo`",
                    );
                }
            },
        }
        .map_err(|e| ConfigError(format!("{hosts_from}: {e}")))?;

        let timezone = match &file.org.timezone {
            Some(tz) => jiff::tz::TimeZone::get(tz).map_err(|_| {
                ConfigError(format!("[org] timezone = \"{tz}\" is not an IANA time zone; use e.g. \"Europe/London\""))
            })?,
            None => jiff::tz::TimeZone::system(),
        };

        if file.auth.client_secret.is_some() {
            return err(format!(
                "[auth] client_secret is not read from the config file (it would sit in plain text): remove it and set {SECRET_ENV} or [auth] secret_file (a file with mode 0600)"
            ));
        }
        let auth = resolve_auth(&file.auth, flags, env, &hosts)?;

        let refresh = match (&flags.refresh, &file.monitor.refresh) {
            (Some(r), _) => parse_refresh(r, "--refresh")?,
            (None, Some(r)) => parse_refresh(r, "[monitor] refresh")?,
            (None, None) => Duration::from_secs(1),
        };
        let totals_refresh = match (&flags.totals_refresh, &file.monitor.totals_refresh) {
            (Some(r), _) => parse_totals_refresh(r, "--totals-refresh")?,
            (None, Some(r)) => parse_totals_refresh(r, "[monitor] totals_refresh")?,
            (None, None) => DEFAULT_TOTALS_REFRESH,
        };
        let live_source = match (&flags.source, &file.monitor.source) {
            (Some(s), _) => SourceMode::parse(s, "--source")?,
            (None, Some(s)) => SourceMode::parse(s, "[monitor] source")?,
            (None, None) => SourceMode::Auto,
        };
        let selector_texts = flags.queues.clone().unwrap_or_else(|| file.monitor.queues.clone());
        let queues = selector_texts
            .iter()
            .map(|s| Selector::parse(s).map_err(|e| ConfigError(format!("[monitor] queues: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;

        let color = match file.ui.color.as_deref().unwrap_or("auto") {
            "auto" => !env.no_color && !flags.no_color,
            "always" => !flags.no_color,
            "never" => false,
            other => return err(format!("[ui] color = \"{other}\" is not one of \"auto\", \"always\", \"never\"")),
        };
        let ascii = flags.ascii || file.ui.ascii.unwrap_or(false) || !env.utf8_locale;
        let ui = ui::resolve(&file, flags)?;

        Ok(Config { hosts, timezone, auth, refresh, totals_refresh, queues, live_source, ascii, color, source, ui })
    }
}

fn client_id(flags: &GlobalArgs, auth: &AuthSection, what: &str) -> Result<String, ConfigError> {
    flags.client_id.clone().or(auth.client_id.clone()).filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        ConfigError(format!(
            "[auth] client_id is missing ({what}): set it in the config, GENESYSCLOUD_OAUTHCLIENT_ID, or --client-id"
        ))
    })
}

/// `~/x` → `$HOME/x`, as people write paths in config files.
fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

fn resolve_auth(auth: &AuthSection, flags: &GlobalArgs, env: &Env, hosts: &Hosts) -> Result<AuthMethod, ConfigError> {
    let token_file = flags.token_file.clone().or(auth.token_file.clone());
    let implied = if token_file.is_some() || env.access_token.is_some() { "token" } else { "client_credentials" };
    let method = flags.auth.as_deref().or(auth.method.as_deref()).unwrap_or(implied);
    let key = if flags.auth.is_some() { "--auth" } else { "[auth] method" };
    match method {
        "client_credentials" => {
            let client_id = client_id(flags, auth, "the OAuth client with the Client Credentials grant")?;
            let secret = match (&env.client_secret, &auth.secret_file) {
                (Some(s), _) => Secret::new(s.clone()),
                (None, Some(path)) => read_secret_file(&expand_home(path))?,
                (None, None) => {
                    return err(format!(
                        "no client secret: set {SECRET_ENV} or [auth] secret_file for client '{client_id}'"
                    ));
                }
            };
            Ok(AuthMethod::ClientCredentials { client_id, secret })
        }
        "pkce" => {
            let client_id = client_id(flags, auth, "the OAuth client with the Code Authorization / PKCE grant")?;
            let mode_text = flags.auth_mode.as_deref().or(auth.mode.as_deref()).unwrap_or("auto");
            let mode_key = if flags.auth_mode.is_some() { "--auth-mode" } else { "[auth] mode =" };
            let mode = PkceMode::parse(mode_text).ok_or_else(|| {
                ConfigError(format!("{mode_key} \"{mode_text}\" is not one of \"auto\", \"loopback\", \"paste\""))
            })?;
            let redirect_port = flags.redirect_port.or(auth.redirect_port).unwrap_or(DEFAULT_REDIRECT_PORT);
            let cache = match auth.token_cache {
                Some(false) => None,
                _ => auth
                    .cache_dir
                    .as_deref()
                    .map(expand_home)
                    .or_else(default_cache_dir)
                    .map(|dir| TokenCache::new(&dir, &hosts.label, &client_id)),
            };
            // With a secret the client is confidential: the code exchange and the refresh
            // authenticate, and the session refreshes. Without one it lasts a token lifetime.
            let secret = match (&env.client_secret, &auth.secret_file) {
                (Some(s), _) => Some(Secret::new(s.clone())),
                (None, Some(path)) => Some(read_secret_file(&expand_home(path))?),
                (None, None) => None,
            };
            Ok(AuthMethod::Pkce(PkceSettings { client_id, redirect_port, mode, cache, secret }))
        }
        "token" => match (&token_file, &env.access_token) {
            (Some(path), _) => {
                let where_ = if flags.token_file.is_some() { "--token-file" } else { "[auth] token_file" };
                ProvidedToken::from_file(&expand_home(path))
                    .map(AuthMethod::Token)
                    .map_err(|e| ConfigError(format!("{where_} {e}")))
            }
            (None, Some(t)) => Ok(AuthMethod::Token(ProvidedToken::from_env(t))),
            (None, None) => err(format!(
                "{key} = \"token\" needs a token: set {TOKEN_ENV}, or pass --token-file FILE (or [auth] token_file)"
            )),
        },
        other => {
            err(format!("{key} = \"{other}\" is not supported; use \"client_credentials\", \"pkce\" or \"token\""))
        }
    }
}

fn read_secret_file(path: &Path) -> Result<Secret, ConfigError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return err(format!(
                    "[auth] secret_file {} is readable by other users (mode {mode:o}): run chmod 600 {}",
                    path.display(),
                    path.display()
                ));
            }
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("[auth] secret_file {} cannot be read: {e}", path.display())))?;
    let secret = text.trim();
    if secret.is_empty() {
        return err(format!("[auth] secret_file {} is empty: put the client secret on its first line", path.display()));
    }
    Ok(Secret::new(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str, flags: GlobalArgs, env: Env) -> Result<Config, ConfigError> {
        let f = parse_file(text, Path::new("qtop.toml"))?;
        Config::resolve(f, None, &flags, &env)
    }

    fn env() -> Env {
        Env { client_secret: Some("s3cret".into()), access_token: None, no_color: false, utf8_locale: true }
    }

    #[test]
    fn a_minimal_file_resolves_with_defaults() {
        let c = resolve("[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"abc\"\n", GlobalArgs::default(), env())
            .unwrap();
        assert_eq!(c.hosts.api.as_str(), "https://api.mypurecloud.ie/");
        assert_eq!(c.refresh, Duration::from_secs(1));
        assert_eq!(c.totals_refresh, DEFAULT_TOTALS_REFRESH);
        assert!(c.queues.is_empty() && c.color && !c.ascii);
    }

    #[test]
    fn flags_override_the_file() {
        let flags = GlobalArgs { region: Some("us-west-2".into()), refresh: Some("3s".into()), ..Default::default() };
        let c = resolve("[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"abc\"\n", flags, env()).unwrap();
        assert_eq!(c.hosts.label, "us-west-2");
        assert_eq!(c.refresh, Duration::from_secs(3));
        assert_eq!(c.live_source, SourceMode::Auto, "auto unless asked otherwise");
    }

    #[test]
    fn errors_are_one_line_and_name_the_key() {
        let cases = [
            ("[monitor]\nrefesh = \"1s\"\n", "refesh"),
            ("[org]\nregion = \"moon-1\"\n", "moon-1"),
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\nrefresh = \"fast\"\n",
                "[monitor] refresh",
            ),
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\nrefresh = \"200ms\"\n",
                "1s minimum",
            ),
            ("[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\nclient_secret = \"x\"\n", "client_secret"),
            ("[org]\nregion = \"eu-west-1\"\n", "client_id"),
            ("[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[ui]\ncolor = \"pink\"\n", "[ui] color"),
            ("[org\n", "qtop.toml:1"),
            ("[org]\nregion = 5\n", "qtop.toml:2: [org] region: invalid type"),
            ("[monitor]\nqueues = \"Sales\"\n", "[monitor] queues: invalid type"),
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\ntotals_refresh = \"5s\"\n",
                "10s minimum",
            ),
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\ntotals_refresh = \"often\"\n",
                "[monitor] totals_refresh",
            ),
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\nsource = \"push\"\n",
                "[monitor] source = \"push\" is not one of \"auto\", \"poll\", \"stream\"",
            ),
        ];
        for (text, needle) in cases {
            let e = resolve(text, GlobalArgs::default(), env()).unwrap_err().0;
            assert!(e.contains(needle), "{text:?} → {e}");
            assert!(!e.contains('\n'), "multi-line error: {e}");
        }
    }

    #[test]
    fn missing_secret_says_where_to_put_it() {
        let e = resolve(
            "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n",
            GlobalArgs::default(),
            Env::default(),
        )
        .unwrap_err()
        .0;
        assert!(e.contains(SECRET_ENV) && e.contains("secret_file"), "{e}");
    }

    #[test]
    fn no_color_and_non_utf8_locales_are_honoured() {
        let e = Env { no_color: true, utf8_locale: false, ..env() };
        let c =
            resolve("[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n", GlobalArgs::default(), e).unwrap();
        assert!(!c.color && c.ascii);
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secret");
        std::fs::write(&p, "abc\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_secret_file(&p).unwrap_err().0.contains("chmod 600"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&p).unwrap().expose(), "abc");
    }

    #[test]
    fn pkce_needs_a_client_id_and_takes_a_port_a_mode_and_a_cache() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[org]\nregion = \"us-west-2\"\n[auth]\nmethod = \"pkce\"\nclient_id = \"cid\"\nmode = \"paste\"\nredirect_port = 9000\ncache_dir = \"{}\"\n",
            dir.path().display()
        );
        let c = resolve(&text, GlobalArgs::default(), Env::default()).unwrap();
        let AuthMethod::Pkce(p) = c.auth else { panic!("{:?}", c.auth) };
        assert_eq!((p.client_id.as_str(), p.redirect_port, p.mode), ("cid", 9000, PkceMode::Paste));
        assert_eq!(p.cache.unwrap().path, dir.path().join("tokens/us-west-2-cid.json"));
        let flags = GlobalArgs { auth: Some("pkce".into()), client_id: Some("cid".into()), ..Default::default() };
        let c = resolve("[org]\nregion = \"us-west-2\"\n[auth]\ntoken_cache = false\n", flags, Env::default()).unwrap();
        assert!(c.auth.is_interactive());
        let AuthMethod::Pkce(p) = c.auth else { panic!() };
        assert_eq!((p.redirect_port, p.mode, p.cache), (DEFAULT_REDIRECT_PORT, PkceMode::Auto, None));
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_makes_the_code_grant_confidential() {
        use genesys::auth::SessionKind;
        use std::os::unix::fs::PermissionsExt;
        let pkce =
            "[org]\nregion = \"us-west-2\"\n[auth]\nmethod = \"pkce\"\nclient_id = \"cid\"\ntoken_cache = false\n";
        let public = resolve(pkce, GlobalArgs::default(), Env::default()).unwrap();
        assert_eq!(public.auth.kind(), SessionKind::PublicCode);
        let from_env = resolve(pkce, GlobalArgs::default(), env()).unwrap();
        assert_eq!(from_env.auth.kind(), SessionKind::ConfidentialCode);
        let AuthMethod::Pkce(p) = &from_env.auth else { panic!() };
        assert_eq!(p.secret.as_ref().unwrap().expose(), "s3cret");
        assert!(!format!("{:?}", from_env.auth).contains("s3cret"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let text = format!("{pkce}secret_file = \"{}\"\n", file.display());
        let from_file = resolve(&text, GlobalArgs::default(), Env::default()).unwrap();
        let AuthMethod::Pkce(p) = &from_file.auth else { panic!() };
        assert_eq!(p.secret.as_ref().unwrap().expose(), "from-file");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = resolve(&text, GlobalArgs::default(), Env::default()).unwrap_err().0;
        assert!(e.contains("[auth] secret_file") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn auth_errors_name_the_key() {
        let region = "[org]\nregion = \"us-west-2\"\n";
        let cases = [
            ("[auth]\nmethod = \"pkce\"\n", "client_id"),
            ("[auth]\nmethod = \"pkce\"\nclient_id = \"c\"\nmode = \"browser\"\n", "[auth] mode"),
            ("[auth]\nmethod = \"token\"\n", "GENESYSCLOUD_ACCESS_TOKEN"),
            ("[auth]\nmethod = \"password\"\n", "[auth] method = \"password\""),
            ("[auth]\nmethod = \"token\"\ntoken_file = \"/nonexistent/qtop-token\"\n", "[auth] token_file"),
        ];
        for (text, needle) in cases {
            let e = resolve(&format!("{region}{text}"), GlobalArgs::default(), Env::default()).unwrap_err().0;
            assert!(e.contains(needle), "{text:?} → {e}");
            assert!(!e.contains('\n'), "multi-line error: {e}");
        }
        let flags = GlobalArgs { auth_mode: Some("browser".into()), ..Default::default() };
        let e = resolve(&format!("{region}[auth]\nmethod = \"pkce\"\nclient_id = \"c\"\n"), flags, Env::default())
            .unwrap_err()
            .0;
        assert!(e.starts_with("--auth-mode \"browser\""), "the flag, not the file: {e}");
    }

    #[test]
    fn an_access_token_in_the_environment_implies_the_token_method() {
        let e = Env { access_token: Some("tok123".into()), ..Env::default() };
        let c = resolve("[org]\nregion = \"us-west-2\"\n", GlobalArgs::default(), e.clone()).unwrap();
        let AuthMethod::Token(t) = &c.auth else { panic!("{:?}", c.auth) };
        assert_eq!(t.token.expose(), "tok123");
        assert!(!format!("{:?}", c.auth).contains("tok123"));
        // An explicit method still wins.
        let e = Env { client_secret: Some("s".into()), ..e };
        let c = resolve(
            "[org]\nregion = \"us-west-2\"\n[auth]\nmethod = \"client_credentials\"\nclient_id = \"c\"\n",
            GlobalArgs::default(),
            e,
        )
        .unwrap();
        assert!(matches!(c.auth, AuthMethod::ClientCredentials { .. }));
    }

    #[test]
    fn the_example_config_resolves() {
        let text = include_str!("../../../config.example.toml");
        let file = parse_file(text, Path::new("config.example.toml")).unwrap();
        Config::resolve(file, None, &GlobalArgs::default(), &env()).unwrap();
    }

    #[test]
    fn the_commented_examples_are_valid_too() {
        // Uncomment every `# key = value` and `# [section]` line, as a user trying them would.
        let text: String = include_str!("../../../config.example.toml")
            .lines()
            .map(|l| {
                let body = l.strip_prefix("# ").unwrap_or(l);
                let looks_like_setting = body.starts_with('[')
                    || body
                        .split_once(" = ")
                        .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
                if l.starts_with("# ") && looks_like_setting { body.split("  #").next().unwrap_or(body) } else { l }
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let text = text.replace("base_url = ", "# base_url = ").replace("login_url = ", "# login_url = ");
        let text = text.replace("token_file = ", "# token_file = ").replace("secret_file = ", "# secret_file = ");
        let file =
            parse_file(&text, Path::new("config.example.toml (uncommented)")).unwrap_or_else(|e| panic!("{e}\n{text}"));
        Config::resolve(file, None, &GlobalArgs::default(), &env()).unwrap_or_else(|e| panic!("{e}"));
    }
}
