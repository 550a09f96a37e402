//! Genesys Cloud regions and the hosts behind them.
//!
//! The table is the official Python SDK's `PureCloudRegionHosts` (SDK 269.0.0): API host
//! `api.<domain>`, login host `login.<domain>`. A base-URL override points both at any
//! server that speaks the same API (the embedded simulator, a proxy).

use reqwest::Url;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub domain: &'static str,
}

pub const REGIONS: &[Region] = &[
    Region { name: "us-east-1", domain: "mypurecloud.com" },
    Region { name: "us-east-2", domain: "use2.us-gov-pure.cloud" },
    Region { name: "us-west-2", domain: "usw2.pure.cloud" },
    Region { name: "ca-central-1", domain: "cac1.pure.cloud" },
    Region { name: "mx-central-1", domain: "mxc1.pure.cloud" },
    Region { name: "sa-east-1", domain: "sae1.pure.cloud" },
    Region { name: "eu-west-1", domain: "mypurecloud.ie" },
    Region { name: "eu-west-2", domain: "euw2.pure.cloud" },
    Region { name: "eu-central-1", domain: "mypurecloud.de" },
    Region { name: "eu-central-2", domain: "euc2.pure.cloud" },
    Region { name: "eusc-de-east-1", domain: "edee1.eusc-pure.cloud" },
    Region { name: "me-central-1", domain: "mec1.pure.cloud" },
    Region { name: "ap-south-1", domain: "aps1.pure.cloud" },
    Region { name: "ap-southeast-1", domain: "apse1.pure.cloud" },
    Region { name: "ap-southeast-2", domain: "mypurecloud.com.au" },
    Region { name: "ap-northeast-1", domain: "mypurecloud.jp" },
    Region { name: "ap-northeast-2", domain: "apne2.pure.cloud" },
    Region { name: "ap-northeast-3", domain: "apne3.pure.cloud" },
];

/// Where qtop sends API calls and where it signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// Short label for the header: the region name, or `host:port` for an override.
    pub label: String,
    pub api: Url,
    pub login: Url,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RegionError {
    #[error(
        "unknown region '{0}': use a region name (e.g. us-east-1, eu-west-1, us-west-2) or a domain (e.g. mypurecloud.com); `qtop regions` lists them all"
    )]
    Unknown(String),
    #[error("base URL '{0}' is not a valid http(s) URL: {1}")]
    BadUrl(String, String),
}

impl Region {
    pub fn hosts(&self) -> Hosts {
        Hosts {
            label: self.name.to_string(),
            api: Url::parse(&format!("https://api.{}/", self.domain)).expect("static domain"),
            login: Url::parse(&format!("https://login.{}/", self.domain)).expect("static domain"),
        }
    }
}

/// Resolve what a user typed: a region name (`us-west-2`), a domain (`usw2.pure.cloud`),
/// a host (`api.usw2.pure.cloud`, `login.mypurecloud.ie`) or a URL with one of those.
pub fn find(input: &str) -> Result<&'static Region, RegionError> {
    let needle = input.trim().to_ascii_lowercase();
    let host = needle.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    let host = host.split('/').next().unwrap_or(host);
    let domain = host
        .strip_prefix("api.")
        .or_else(|| host.strip_prefix("login."))
        .or_else(|| host.strip_prefix("apps."))
        .unwrap_or(host);
    REGIONS
        .iter()
        .find(|r| r.name == domain || r.domain == domain)
        .ok_or_else(|| RegionError::Unknown(input.to_string()))
}

/// Hosts for a base-URL override. The login host defaults to the same origin, which is how
/// the embedded simulator serves both `/oauth/*` and `/api/v2/*`.
pub fn override_hosts(base: &str, login: Option<&str>) -> Result<Hosts, RegionError> {
    let parse = |s: &str| -> Result<Url, RegionError> {
        let mut url = Url::parse(s).map_err(|e| RegionError::BadUrl(s.to_string(), e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(RegionError::BadUrl(s.to_string(), "scheme must be http or https".into()));
        }
        if !url.path().ends_with('/') {
            let p = format!("{}/", url.path());
            url.set_path(&p);
        }
        Ok(url)
    };
    let api = parse(base)?;
    let login = match login {
        Some(l) => parse(l)?,
        None => api.clone(),
    };
    Ok(Hosts { label: host_port(&api), api, login })
}

/// `host` or `host:port` when the port is not the scheme's own.
pub fn host_port(u: &Url) -> String {
    let host = u.host_str().unwrap_or("?");
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_domains_and_hosts_resolve_to_the_same_region() {
        for input in
            ["us-west-2", "usw2.pure.cloud", "api.usw2.pure.cloud", "https://login.usw2.pure.cloud/", "US-WEST-2"]
        {
            assert_eq!(find(input).unwrap().name, "us-west-2", "{input}");
        }
        let h = find("eu-west-1").unwrap().hosts();
        assert_eq!(h.api.as_str(), "https://api.mypurecloud.ie/");
        assert_eq!(h.login.as_str(), "https://login.mypurecloud.ie/");
    }

    #[test]
    fn every_region_is_unique_and_resolvable() {
        for r in REGIONS {
            assert_eq!(find(r.name).unwrap(), r);
            assert_eq!(find(r.domain).unwrap(), r);
        }
        assert_eq!(REGIONS.len(), 18);
    }

    #[test]
    fn unknown_region_names_the_input_and_the_fix() {
        let e = find("us-west-9").unwrap_err().to_string();
        assert!(e.contains("us-west-9") && e.contains("qtop regions"), "{e}");
    }

    #[test]
    fn override_puts_login_on_the_same_origin() {
        let h = override_hosts("http://127.0.0.1:8080", None).unwrap();
        assert_eq!(h.api.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(h.login, h.api);
        assert_eq!(h.label, "127.0.0.1:8080");
        assert!(override_hosts("ftp://x", None).is_err());
        assert!(override_hosts("not a url", None).is_err());
    }
}
