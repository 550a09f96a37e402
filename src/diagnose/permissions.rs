//! Reading permissions and divisions out of Genesys error messages, in every shape they
//! come in: `[a:b:c, d:e:f]` lists, permissions with a division id appended, older
//! "Permission is forbidden on domain…" messages, internal class names, and text wrapped
//! by other tools.

/// A permission named in a refusal, with the division it was needed in when the message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPermission {
    pub permission: String,
    pub division: Option<String>,
}

/// The message named an internal class instead of a permission.
pub fn names_internal_class(message: &str) -> bool {
    message.contains("com.inin.")
}

fn is_permission(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    (3..=4).contains(&parts.len())
        && parts.iter().take(3).all(|p| {
            *p == "*"
                || (p.starts_with(|c: char| c.is_ascii_alphabetic())
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '_'))
        })
}

/// `analytics:queueObservation:view` or `telephony:extensionPool:edit:<division-id>`.
fn named(s: &str) -> Option<NamedPermission> {
    let s = s.trim().trim_matches(|c| c == '\'' || c == '"' || c == '`' || c == '.' || c == ',');
    if !is_permission(s) {
        return None;
    }
    let mut parts = s.splitn(4, ':');
    let (d, e, a) = (parts.next()?, parts.next()?, parts.next()?);
    Some(NamedPermission { permission: format!("{d}:{e}:{a}"), division: parts.next().map(String::from) })
}

/// Every permission a message names, in order, without repeats.
pub fn permissions_in(message: &str) -> Vec<NamedPermission> {
    let mut out: Vec<NamedPermission> = vec![];
    let mut push = |p: NamedPermission| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    if let Some(p) = forbidden_on_domain(message) {
        push(p);
    }
    for token in message.split(|c: char| c.is_whitespace() || c == '[' || c == ']' || c == ',' || c == '(' || c == ')')
    {
        if let Some(p) = named(token) {
            push(p);
        }
    }
    out
}

/// "Permission is forbidden on domain, 'responses', entity 'response', with action set '[view]'"
fn forbidden_on_domain(message: &str) -> Option<NamedPermission> {
    let quoted: Vec<&str> = message.split('\'').skip(1).step_by(2).collect();
    if !message.contains("forbidden on domain") || quoted.len() < 3 {
        return None;
    }
    let action = quoted[2].trim_matches(|c| c == '[' || c == ']').split(',').next()?.trim();
    Some(NamedPermission { permission: format!("{}:{}:{}", quoted[0], quoted[1], action), division: None })
}

/// Division ids in "… in at least one of the following division(s): [id, id]".
pub fn divisions_in(message: &str) -> Vec<String> {
    let Some(at) = message.find("division(s):") else { return vec![] };
    let rest = &message[at + "division(s):".len()..];
    let list = rest.trim_start().trim_start_matches('[');
    let list = list.split(']').next().unwrap_or("");
    list.split(',').map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(m: &str) -> Vec<(String, Option<String>)> {
        permissions_in(m).into_iter().map(|p| (p.permission, p.division)).collect()
    }

    #[test]
    fn reads_every_documented_message_shape() {
        let m = "Unable to perform the requested action. You are missing the following permission(s): [analytics:queueObservation:view]";
        assert_eq!(perms(m), [("analytics:queueObservation:view".into(), None)]);
        let m = "You must have at least one of the following permissions assigned: [analytics:conversationAggregate:view, analytics:conversationDetail:view]";
        assert_eq!(perms(m).len(), 2);
        let m = "You are missing the following permission(s): [telephony:extensionPool:edit:7f3c1d52-0000-4000-8000-000000000001]";
        assert_eq!(
            perms(m),
            [("telephony:extensionPool:edit".into(), Some("7f3c1d52-0000-4000-8000-000000000001".into()))]
        );
        let m = "Permission is forbidden on domain, 'responses', entity 'response', with action set '[view]'";
        assert_eq!(perms(m), [("responses:response:view".into(), None)]);
        let m = "API Error: 403 - Unable to perform the requested action. You are missing the following permission(s): [routing:queue:view, routing:queue:add] (c0ffee00-1111-2222-3333-444455556666)";
        assert_eq!(perms(m).len(), 2);
        assert!(perms("Unable to perform … permission(s): com.inin.pubapi.iam.util.ResourcePermission").is_empty());
        assert!(names_internal_class("permission(s): com.inin.pubapi.iam.util.ResourcePermission"));
    }

    #[test]
    fn times_and_urls_are_not_permissions() {
        assert!(perms("at 10:00:01 see https://developer.genesys.cloud/x").is_empty());
        assert!(perms("tel:+15550100").is_empty());
    }

    #[test]
    fn reads_division_lists() {
        let m = "You must have at least one of the following permissions assigned: [] in at least one of the following division(s): [d-1, d-2]";
        assert_eq!(divisions_in(m), ["d-1", "d-2"]);
        assert!(divisions_in("no divisions here").is_empty());
    }
}
