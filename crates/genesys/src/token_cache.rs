//! The user-token cache: one file per org (host) and OAuth client, mode 0600, replaced
//! atomically, holding the access and refresh tokens so a restart needs no browser. Never a
//! client secret (user sign-in has none to store, and nothing here would write one).

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::secret::Secret;

const VERSION: u32 = 1;

/// What is cached for one org + client.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedToken {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub obtained_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("access", &self.access)
            .field("refresh", &self.refresh)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct FileV1 {
    version: u32,
    host: String,
    client_id: String,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    obtained_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCache {
    pub path: PathBuf,
    host: String,
    client_id: String,
}

/// Keep file names to characters every file system accepts.
fn file_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect()
}

impl TokenCache {
    /// `<dir>/tokens/<host>-<client_id>.json`
    pub fn new(dir: &Path, host: &str, client_id: &str) -> TokenCache {
        let name = format!("{}-{}.json", file_part(host), file_part(client_id));
        TokenCache { path: dir.join("tokens").join(name), host: host.to_string(), client_id: client_id.to_string() }
    }

    /// The cached token, if there is a readable one for this org and client. A file other users
    /// could read is not trusted (and is replaced by the next save).
    pub fn load(&self) -> Option<CachedToken> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path).ok()?.permissions().mode();
            if mode & 0o077 != 0 {
                return None;
            }
        }
        let text = std::fs::read_to_string(&self.path).ok()?;
        let f: FileV1 = serde_json::from_str(&text).ok()?;
        if f.version != VERSION || f.host != self.host || f.client_id != self.client_id || f.access_token.is_empty() {
            return None;
        }
        Some(CachedToken {
            access: Secret::new(f.access_token),
            refresh: f.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            obtained_at: f.obtained_at,
            expires_at: f.expires_at,
        })
    }

    /// Write atomically: a private temporary file in the same directory, then a rename, so a
    /// reader never sees half a file and the tokens are never readable by others, even briefly.
    pub fn save(&self, token: &CachedToken) -> std::io::Result<()> {
        let dir = self.path.parent().expect("cache paths have a directory");
        create_private_dir(dir)?;
        let body = FileV1 {
            version: VERSION,
            host: self.host.clone(),
            client_id: self.client_id.clone(),
            access_token: token.access.expose().to_string(),
            refresh_token: token.refresh.as_ref().map(|r| r.expose().to_string()),
            obtained_at: token.obtained_at,
            expires_at: token.expires_at,
        };
        let json = serde_json::to_vec_pretty(&body).expect("cache entries serialise");
        let mut tmp = tempfile::Builder::new().prefix(".qtop-token-").tempfile_in(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        tmp.write_all(&json)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Remove the file; `Ok(false)` when there was none.
    pub fn delete(&self) -> std::io::Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> CachedToken {
        CachedToken {
            access: Secret::new("access-abc"),
            refresh: Some(Secret::new("refresh-def")),
            obtained_at: "2026-11-25T10:00:00Z".parse().unwrap(),
            expires_at: Some("2026-11-25T10:01:30Z".parse().unwrap()),
        }
    }

    #[test]
    fn a_saved_token_loads_back_for_the_same_org_and_client_only() {
        let dir = tempfile::tempdir().unwrap();
        let c = TokenCache::new(dir.path(), "127.0.0.1:8089", "cid");
        assert_eq!(c.load(), None);
        c.save(&token()).unwrap();
        assert_eq!(c.load(), Some(token()));
        assert!(c.path.ends_with("tokens/127.0.0.1_8089-cid.json"), "{}", c.path.display());
        assert_eq!(TokenCache::new(dir.path(), "127.0.0.1:8089", "other").load(), None);
        assert!(c.delete().unwrap());
        assert!(!c.delete().unwrap());
        assert_eq!(c.load(), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_and_its_directory_are_private_and_others_copies_are_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let c = TokenCache::new(&dir.path().join("deep"), "h", "cid");
        c.save(&token()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&c.path), 0o600);
        assert_eq!(mode(c.path.parent().unwrap()), 0o700);
        std::fs::set_permissions(&c.path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(c.load(), None, "a world-readable cache is not trusted");
        c.save(&token()).unwrap();
        assert_eq!(mode(&c.path), 0o600, "saving replaces it with a private file");
        let leftovers: Vec<_> = std::fs::read_dir(c.path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn debug_never_shows_the_tokens() {
        let shown = format!("{:?}", token());
        assert!(!shown.contains("access-abc") && !shown.contains("refresh-def"), "{shown}");
    }
}
