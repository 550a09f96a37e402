//! Secrets (tokens, client secrets) that can be used but never shown.

use std::fmt;

use sha2::{Digest, Sha256};

/// A credential. `Debug` and `Display` print only a fingerprint, so a secret cannot leak
/// through a log line, a panic message or a rendered frame by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The real value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `sha256:1a2b3c4d`: enough to tell two tokens apart, useless to an attacker.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }
}

pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.fingerprint())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("super-secret-value-123");
        for shown in [format!("{s:?}"), format!("{s}"), format!("{:?}", Some(&s))] {
            assert!(!shown.contains("super-secret"), "{shown}");
            assert!(shown.contains("sha256:"), "{shown}");
        }
        assert_eq!(s.expose(), "super-secret-value-123");
    }

    #[test]
    fn fingerprints_differ_for_different_values_and_are_stable() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("a").len(), "sha256:".len() + 8);
    }
}
