//! Configuration: TOML file, then environment, then flags. Every error is one line that
//! names the key and says how to fix it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

use crate::cli::GlobalArgs;
use crate::genesys::auth::AuthMethod;
use crate::genesys::queries::Selector;
use crate::genesys::regions::{self, Hosts};
use crate::genesys::secret::Secret;

pub const SECRET_ENV: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSection {
    pub refresh: Option<String>,
    /// How often today's totals (offered, abandoned, SL%) are fetched.
    pub totals_refresh: Option<String>,
    #[serde(default)]
    pub queues: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSection {
    pub ascii: Option<bool>,
    /// "auto" (default: colour unless NO_COLOR), "always", "never".
    pub color: Option<String>,
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
    pub ascii: bool,
    pub color: bool,
    pub source: Option<PathBuf>,
}

/// The environment qtop reads, gathered once so tests can supply their own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub client_secret: Option<String>,
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
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            // No locale at all (a bare SSH session, cron) is treated as UTF-8-capable; an
            // explicit non-UTF-8 locale (C, POSIX, latin1) is not.
            utf8_locale: locale.is_empty() || locale.contains("utf-8") || locale.contains("utf8"),
        }
    }
}

/// Where the config file is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "qtop").map(|d| d.config_dir().join("config.toml"))
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
        let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        let hint = if msg.contains("unknown field") { "; see config.example.toml for the keys qtop reads" } else { "" };
        match line {
            Some(l) => ConfigError(format!("{}:{l}: {msg}{hint}", path.display())),
            None => ConfigError(format!("{}: {msg}{hint}", path.display())),
        }
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
        let hosts = match (&flags.base_url, &file.org.base_url) {
            (Some(base), _) => regions::override_hosts(base, flags.login_url.as_deref()),
            (None, Some(base)) => regions::override_hosts(base, file.org.login_url.as_deref()),
            (None, None) => match flags.region.as_ref().or(file.org.region.as_ref()) {
                Some(r) => regions::find(r).map(|r| r.hosts()),
                None => {
                    return err(
                        "no region: set [org] region in the config, GENESYSCLOUD_REGION, or --region (e.g. us-east-1); or try `qtop --demo`",
                    );
                }
            },
        }
        .map_err(|e| ConfigError(format!("[org] {e}")))?;

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
        let method = flags.auth.as_deref().or(file.auth.method.as_deref()).unwrap_or("client_credentials");
        let auth = match method {
            "client_credentials" => {
                let client_id = flags.client_id.clone().or(file.auth.client_id.clone()).filter(|s| !s.is_empty()).ok_or_else(|| {
                    ConfigError(
                        "[auth] client_id is missing: set it in the config, GENESYSCLOUD_OAUTHCLIENT_ID, or --client-id".into(),
                    )
                })?;
                let secret = match (&env.client_secret, &file.auth.secret_file) {
                    (Some(s), _) => Secret::new(s.clone()),
                    (None, Some(path)) => read_secret_file(path)?,
                    (None, None) => {
                        return err(format!(
                            "no client secret: set {SECRET_ENV} or [auth] secret_file for client '{client_id}'"
                        ));
                    }
                };
                AuthMethod::ClientCredentials { client_id, secret }
            }
            other => {
                return err(format!("[auth] method = \"{other}\" is not supported; use \"client_credentials\""));
            }
        };

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

        Ok(Config { hosts, timezone, auth, refresh, totals_refresh, queues, ascii, color, source })
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
        Env { client_secret: Some("s3cret".into()), no_color: false, utf8_locale: true }
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
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\ntotals_refresh = \"5s\"\n",
                "10s minimum",
            ),
            (
                "[org]\nregion = \"eu-west-1\"\n[auth]\nclient_id = \"a\"\n[monitor]\ntotals_refresh = \"often\"\n",
                "[monitor] totals_refresh",
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
    fn the_example_config_parses() {
        let text = include_str!("../config.example.toml");
        parse_file(text, Path::new("config.example.toml")).unwrap();
    }
}
