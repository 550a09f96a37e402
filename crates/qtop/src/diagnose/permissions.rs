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
    let s = s.trim().trim_matches(|c: char| QUOTES.contains(&c) || matches!(c, '.' | ',' | '?' | '!' | ';'));
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
    for p in forbidden_on_domain(message) {
        push(p);
    }
    for token in message.split(|c: char| c.is_whitespace() || c == '[' || c == ']' || c == ',' || c == '(' || c == ')')
    {
        if let Some(p) = named(token)
            && !super::myths::is_invented_permission(&p.permission)
        {
            push(p);
        }
    }
    out
}

/// Quote marks the legacy message has been seen with, matched or not (a backtick has stood
/// where a closing quote belongs).
const QUOTES: &[char] = &['\'', '`', '"', '‘', '’', '“', '”', '´'];

/// A domain, entity or action: letters, digits, `_`, or the `*` wildcard.
fn is_part(s: &str) -> bool {
    s == "*"
        || (s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// A word with its quotes and list brackets taken off.
fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| QUOTES.contains(&c) || c == '[' || c == ']' || c == '.' || c == ';')
}

/// "Permission is forbidden on domain, 'responses', entity 'response', with action set
/// '[view]'": one permission per action in the set, whatever the quotes (any kind, mismatched,
/// or none). Read by position — the word after "domain", the word after "entity", the list
/// after "action set" — so nothing between them can become a name; anything that is not a
/// clean name gives no permission rather than a fragment.
fn forbidden_on_domain(message: &str) -> Vec<NamedPermission> {
    let lower = message.to_ascii_lowercase();
    let Some(at) = lower.find("forbidden on domain") else { return vec![] };
    let at = at + "forbidden on domain".len();
    // ASCII lower-casing keeps every byte offset, so `lower` indexes `message`.
    let (rest, lower_rest) = (&message[at..], &lower[at..]);
    let words: Vec<&str> =
        rest.split(|c: char| c.is_whitespace() || c == ',').map(bare).filter(|w| !w.is_empty()).collect();
    let [domain, kw, entity, ..] = words[..] else { return vec![] };
    if !kw.eq_ignore_ascii_case("entity") || !is_part(domain) || !is_part(entity) {
        return vec![];
    }
    let Some(set) = lower_rest.find("action set") else { return vec![] };
    let list = rest[set + "action set".len()..].trim_start_matches(|c: char| c.is_whitespace() || QUOTES.contains(&c));
    // Bracketed, the set runs to its closing bracket; bare, it is one word.
    let list = match list.strip_prefix('[') {
        Some(inner) => inner.split(']').next().unwrap_or(inner),
        None => list.split(|c: char| c.is_whitespace() || c == ',').next().unwrap_or(""),
    };
    let actions: Vec<&str> =
        list.split(|c: char| c.is_whitespace() || c == ',').map(bare).filter(|a| !a.is_empty()).collect();
    if actions.is_empty() || !actions.iter().all(|a| is_part(a)) {
        return vec![];
    }
    actions
        .into_iter()
        .map(|a| NamedPermission { permission: format!("{domain}:{entity}:{a}"), division: None })
        .collect()
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
    fn the_legacy_forbidden_message_with_mismatched_quotes_names_only_real_permissions() {
        // As the real service printed it: a backtick where the closing quote belongs.
        let m = "Permission is forbidden on domain, 'responses`, entity 'response', with action set '[view]'";
        assert_eq!(perms(m), [("responses:response:view".into(), None)]);
        let m = "Permission is forbidden on domain, ‘responses’, entity “response”, with action set [view, edit]";
        assert_eq!(perms(m), [("responses:response:view".into(), None), ("responses:response:edit".into(), None)]);
        let m = "Permission is forbidden on domain, responses, entity response, with action set view.";
        assert_eq!(perms(m), [("responses:response:view".into(), None)]);
        let m = r#"{"message":"Permission is forbidden on domain, 'routing`, entity 'queue', with action set '[view,edit]'","code":"forbidden","status":403}"#;
        assert_eq!(perms(m), [("routing:queue:view".into(), None), ("routing:queue:edit".into(), None)]);
        // Something that is not a name gives nothing rather than a fragment.
        assert!(perms("Permission is forbidden on domain, 'a b', entity 'c', with action set '[view]'").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_mix_of_quotes_yields_exactly_the_named_permissions(
            domain in "[a-z][a-zA-Z0-9]{0,11}",
            entity in "[a-z][a-zA-Z0-9]{0,11}",
            actions in proptest::collection::vec("[a-z][a-zA-Z]{0,7}", 1..4),
            quotes in proptest::collection::vec(0usize..9, 6),
            brackets in proptest::bool::ANY,
            spaced in proptest::bool::ANY,
        ) {
            let q = |i: usize| ["'", "`", "\"", "‘", "’", "“", "”", "´", ""][quotes[i]];
            let sep = if spaced { ", " } else { "," };
            let list = actions.join(sep);
            let set = if brackets || actions.len() > 1 { format!("[{list}]") } else { list };
            let m = format!(
                "Permission is forbidden on domain, {}{domain}{}, entity {}{entity}{}, with action set {}{set}{}",
                q(0), q(1), q(2), q(3), q(4), q(5)
            );
            let mut want: Vec<(String, Option<String>)> = vec![];
            for a in &actions {
                let p = (format!("{domain}:{entity}:{a}"), None);
                if !want.contains(&p) {
                    want.push(p);
                }
            }
            proptest::prop_assert_eq!(perms(&m), want, "{}", m);
        }
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
