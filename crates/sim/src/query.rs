//! The analytics query grammar shared by the observations and aggregates endpoints: filters
//! (`type` and/or, `predicates`, nested `clauses`), metric lists and their validation, with
//! the API's `invalid.value` errors naming the offending field.

use std::collections::HashSet;

use serde_json::Value;

use super::errors::ApiFault;

/// Dimensions the observations filter accepts.
pub const OBSERVATION_DIMENSIONS: &[&str] = &["queueId", "mediaType"];

/// What the simulator can evaluate in a conversation filter; other valid dimensions of the
/// API are refused with a message saying the simulator does not model them.
pub const MODELLED_CONVERSATION_DIMENSIONS: &[&str] = &["queueId", "mediaType", "divisionId"];

/// `ConversationAggregateQueryPredicate.dimension` values (official SDK enum).
pub const CONVERSATION_DIMENSIONS: &[&str] = &[
    "activeRouting",
    "activeSkillId",
    "addressFrom",
    "addressTo",
    "agentAssistantId",
    "agentBullseyeRing",
    "agentOwned",
    "agentRank",
    "agentScore",
    "ani",
    "assignerId",
    "authenticated",
    "canonicalExternalContactId",
    "conversationId",
    "conversationInitiator",
    "convertedFrom",
    "convertedTo",
    "customerParticipation",
    "deliveryStatus",
    "destinationAddress",
    "direction",
    "disconnectType",
    "divisionId",
    "dnis",
    "edgeId",
    "eligibleAgentCount",
    "errorCode",
    "extendedDeliveryStatus",
    "externalContactId",
    "externalMediaCount",
    "externalOrganizationId",
    "externalTag",
    "firstQueue",
    "flaggedReason",
    "flowInType",
    "flowOutType",
    "groupId",
    "interactionType",
    "journeyActionId",
    "journeyActionMapId",
    "journeyActionMapVersion",
    "journeyCustomerId",
    "journeyCustomerIdType",
    "journeyCustomerSessionId",
    "journeyCustomerSessionIdType",
    "knowledgeBaseId",
    "mediaCount",
    "mediaType",
    "messageType",
    "originatingDirection",
    "originatingSocialMediaPublic",
    "outboundCampaignId",
    "outboundContactId",
    "outboundContactListId",
    "participantName",
    "peerId",
    "proposedAgentId",
    "provider",
    "purpose",
    "queueId",
    "remote",
    "removedSkillId",
    "requestedLanguageId",
    "requestedRouting",
    "requestedRoutingSkillId",
    "roomId",
    "routingPriority",
    "routingRing",
    "routingRule",
    "routingRuleType",
    "scoredAgentId",
    "selectedAgentId",
    "selectedAgentRank",
    "selfServed",
    "sessionDnis",
    "sessionId",
    "stationId",
    "teamId",
    "usedRouting",
    "userId",
    "videoPresent",
    "waitingInteractionCount",
    "wrapUpCode",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Matches(String),
    Exists,
    NotExists,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pred {
    pub dimension: String,
    pub op: Op,
}

/// A parsed filter, evaluable against one (queue, media type) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub logic: Logic,
    pub predicates: Vec<Pred>,
    pub clauses: Vec<Filter>,
}

/// What a conversation in the simulator looks like to a filter.
pub struct Subject<'a> {
    pub queue_id: &'a str,
    pub media: &'a str,
    pub division_id: &'a str,
}

impl Pred {
    fn holds(&self, s: &Subject) -> bool {
        let value = match self.dimension.as_str() {
            "queueId" => s.queue_id,
            "mediaType" => s.media,
            "divisionId" => s.division_id,
            _ => return false,
        };
        match &self.op {
            Op::Matches(v) => v == value,
            // Every simulated conversation has a queue, a media type and a division.
            Op::Exists => true,
            Op::NotExists => false,
        }
    }
}

impl Filter {
    pub fn holds(&self, s: &Subject) -> bool {
        let preds = self.predicates.iter().map(|p| p.holds(s));
        let clauses = self.clauses.iter().map(|c| c.holds(s));
        match self.logic {
            Logic::And => preds.chain(clauses).all(|b| b),
            Logic::Or => preds.chain(clauses).any(|b| b),
        }
    }

    /// Queue ids in `matches` predicates, in request order (observations answer per queue).
    pub fn queue_ids(&self) -> Vec<String> {
        let mut out = vec![];
        self.collect("queueId", &mut out);
        out
    }

    pub fn media_types(&self) -> Vec<String> {
        let mut out = vec![];
        self.collect("mediaType", &mut out);
        out
    }

    fn collect(&self, dim: &str, out: &mut Vec<String>) {
        for p in &self.predicates {
            if let (true, Op::Matches(v)) = (p.dimension == dim, &p.op) {
                out.push(v.clone());
            }
        }
        for c in &self.clauses {
            c.collect(dim, out);
        }
    }

    /// The only queues that can match, when the filter pins them down (so a 1 000-queue org
    /// is not scanned for a 100-queue query); `None` when any queue might match.
    pub fn queue_bound(&self) -> Option<HashSet<String>> {
        let pred_bound = |p: &Pred| match (&p.op, p.dimension.as_str()) {
            (Op::Matches(v), "queueId") => Some(HashSet::from([v.clone()])),
            (Op::NotExists, "queueId" | "mediaType" | "divisionId") => Some(HashSet::new()),
            _ => None,
        };
        let parts: Vec<Option<HashSet<String>>> =
            self.predicates.iter().map(pred_bound).chain(self.clauses.iter().map(Filter::queue_bound)).collect();
        match self.logic {
            // Any bounded part bounds an AND.
            Logic::And => parts.into_iter().flatten().reduce(|a, b| a.intersection(&b).cloned().collect()),
            // An OR is bounded only when every part is.
            Logic::Or => parts.into_iter().try_fold(HashSet::new(), |mut acc, p| {
                acc.extend(p?);
                Some(acc)
            }),
        }
    }
}

/// Parse and validate a filter object at `path` (e.g. `filter`, `filter.clauses[0]`).
/// `dimensions` are the API's valid names; `modelled` the ones the simulator evaluates.
pub fn parse_filter(v: &Value, path: &str, dimensions: &[&str], modelled: &[&str]) -> Result<Filter, ApiFault> {
    let obj = v.as_object().ok_or_else(|| ApiFault::invalid_value(path, format!("{path} must be an object")))?;
    let logic = match obj.get("type").and_then(Value::as_str) {
        Some("and") => Logic::And,
        Some("or") => Logic::Or,
        Some(other) => {
            return Err(ApiFault::invalid_value(
                &format!("{path}.type"),
                format!("Invalid filter type [{other}]. Allowable values are: and, or"),
            ));
        }
        None => return Err(ApiFault::invalid_value(&format!("{path}.type"), format!("{path}.type is required"))),
    };
    let list = |key: &str| -> Result<&[Value], ApiFault> {
        match obj.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a.as_slice()),
            Some(_) => Err(ApiFault::invalid_value(&format!("{path}.{key}"), format!("{path}.{key} must be an array"))),
        }
    };
    let (preds, clauses) = (list("predicates")?, list("clauses")?);
    if preds.is_empty() && clauses.is_empty() {
        return Err(ApiFault::invalid_value(path, format!("{path} needs predicates or clauses")));
    }
    let mut predicates = vec![];
    for (i, p) in preds.iter().enumerate() {
        predicates.push(parse_predicate(p, &format!("{path}.predicates[{i}]"), dimensions, modelled)?);
    }
    let clauses = clauses
        .iter()
        .enumerate()
        .map(|(i, c)| parse_filter(c, &format!("{path}.clauses[{i}]"), dimensions, modelled))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter { logic, predicates, clauses })
}

fn parse_predicate(p: &Value, at: &str, dimensions: &[&str], modelled: &[&str]) -> Result<Pred, ApiFault> {
    let kind = p.get("type").and_then(Value::as_str).unwrap_or("dimension");
    if !["dimension", "property", "metric"].contains(&kind) {
        return Err(ApiFault::invalid_value(
            &format!("{at}.type"),
            format!("Invalid predicate type [{kind}]. Allowable values are: dimension, property, metric"),
        ));
    }
    if kind != "dimension" {
        return Err(ApiFault::invalid_value(
            &format!("{at}.type"),
            format!("Predicate type [{kind}] is not supported here; use a dimension predicate"),
        ));
    }
    let dim = p.get("dimension").and_then(Value::as_str).unwrap_or("");
    if !dimensions.contains(&dim) {
        return Err(ApiFault::invalid_value(
            &format!("{at}.dimension"),
            format!("Invalid dimension [{dim}]. Allowable values are: {}", dimensions.join(", ")),
        ));
    }
    if !modelled.contains(&dim) {
        return Err(ApiFault::invalid_value(
            &format!("{at}.dimension"),
            format!("The simulated org does not model dimension [{dim}]; it filters on {}", modelled.join(", ")),
        ));
    }
    let op = match p.get("operator").and_then(Value::as_str).unwrap_or("matches") {
        "matches" => match p.get("value").and_then(Value::as_str) {
            Some(v) => Op::Matches(v.to_string()),
            None => {
                return Err(ApiFault::invalid_value(
                    &format!("{at}.value"),
                    "A value is required for the matches operator",
                ));
            }
        },
        "exists" => Op::Exists,
        "notExists" => Op::NotExists,
        op => {
            return Err(ApiFault::invalid_value(
                &format!("{at}.operator"),
                format!("Invalid operator [{op}]. Allowable values are: matches, exists, notExists"),
            ));
        }
    };
    Ok(Pred { dimension: dim.to_string(), op })
}

/// A metric list at `key`, each name checked against `allowed`.
pub fn metric_list(body: &Value, key: &str, allowed: &[&str], required: bool) -> Result<Vec<String>, ApiFault> {
    let Some(v) = body.get(key) else {
        return if required { Err(ApiFault::invalid_value(key, format!("{key} is required"))) } else { Ok(vec![]) };
    };
    let arr = v.as_array().ok_or_else(|| ApiFault::invalid_value(key, format!("{key} must be an array")))?;
    if required && arr.is_empty() {
        return Err(ApiFault::invalid_value(key, format!("{key} must list at least one metric")));
    }
    arr.iter()
        .map(|m| {
            let m = m.as_str().unwrap_or("");
            if allowed.contains(&m) {
                Ok(m.to_string())
            } else {
                Err(ApiFault::invalid_value(
                    key,
                    format!("Invalid metric [{m}] in {key}. Allowable values are: {}", allowed.join(", ")),
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obs(f: &Value) -> Result<Filter, ApiFault> {
        parse_filter(f, "filter", OBSERVATION_DIMENSIONS, OBSERVATION_DIMENSIONS)
    }

    fn conv(f: &Value) -> Result<Filter, ApiFault> {
        parse_filter(f, "filter", CONVERSATION_DIMENSIONS, MODELLED_CONVERSATION_DIMENSIONS)
    }

    #[test]
    fn filters_are_validated_like_the_api() {
        let f = obs(&json!({"type":"or","predicates":[{"type":"dimension","dimension":"queueId","operator":"matches","value":"q1"},
                                                      {"dimension":"mediaType","value":"voice"}]}))
        .unwrap();
        assert_eq!(f.queue_ids(), ["q1"]);
        assert_eq!(f.media_types(), ["voice"]);
        for bad in [
            json!({"type":"xor","predicates":[{"dimension":"queueId","value":"q"}]}),
            json!({"type":"or","predicates":[{"dimension":"userId","value":"q"}]}),
            json!({"type":"or","predicates":[]}),
            json!({"type":"or","predicates":[{"dimension":"queueId","operator":"like","value":"q"}]}),
            json!({"type":"or","predicates":[{"dimension":"queueId"}]}),
            json!({"predicates":[{"dimension":"queueId","value":"q"}]}),
        ] {
            let e = obs(&bad).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{bad}");
            assert_eq!(e.code, "invalid.value");
        }
        // A real dimension the simulator does not model says so; a made-up one is invalid.
        let e = conv(&json!({"type":"or","predicates":[{"dimension":"userId","value":"u"}]})).unwrap_err();
        assert!(e.message.contains("does not model"), "{}", e.message);
        let e = conv(&json!({"type":"or","predicates":[{"dimension":"colour","value":"u"}]})).unwrap_err();
        assert!(e.message.starts_with("Invalid dimension [colour]"), "{}", e.message);
    }

    #[test]
    fn and_or_and_clauses_evaluate_as_boolean_logic() {
        let f = conv(&json!({"type":"and","clauses":[
            {"type":"or","predicates":[{"dimension":"queueId","value":"a"},{"dimension":"queueId","value":"b"}]},
            {"type":"or","predicates":[{"dimension":"mediaType","value":"voice"}]}]}))
        .unwrap();
        let s = |q, m| Subject { queue_id: q, media: m, division_id: "d" };
        assert!(f.holds(&s("a", "voice")));
        assert!(!f.holds(&s("a", "chat")));
        assert!(!f.holds(&s("c", "voice")));
        assert_eq!(f.queue_bound(), Some(HashSet::from(["a".to_string(), "b".to_string()])));
        let open = conv(&json!({"type":"or","predicates":[{"dimension":"queueId","value":"a"},{"dimension":"mediaType","value":"chat"}]}))
            .unwrap();
        assert_eq!(open.queue_bound(), None, "any chat queue may match");
        assert!(open.holds(&s("z", "chat")));
    }

    #[test]
    fn metric_names_are_checked() {
        let body = json!({"metrics": ["oWaiting", "nOffered"]});
        let e = metric_list(&body, "metrics", &["oWaiting"], true).unwrap_err();
        assert!(e.message.contains("nOffered"));
        assert!(metric_list(&json!({}), "detailMetrics", &["oWaiting"], false).unwrap().is_empty());
        assert!(metric_list(&json!({"metrics": []}), "metrics", &["oWaiting"], true).is_err());
    }
}
