#!/usr/bin/env python3
"""Generate crates/sim/tests/it/sdk_models.json: the field tables of the official Genesys Cloud
models that the simulator serves, read from the Python SDK (PureCloudPlatformClientV2), so the
conformance test (crates/sim/tests/it/sdk_conformance.rs) checks every body against the real
model and CI needs no Python.

For each model: every JSON key (`attribute_map`) with its SDK type (`swagger_types`:
str, int, float, bool, datetime, date, object, list[T], dict(str, T) or a model name), and
the enum values a setter allows (`allowed_values`). Models are those reachable from ROOTS,
except below the models listed in LEAVES (whose nested models the simulator never fills in:
following them would pull in hundreds of tables); a body that uses one of those anyway fails
the test with "model X is not in the tables", and adding it here fixes that.

Regenerate (the version used is written into the output):

    python3 -m venv /tmp/sdk-venv
    /tmp/sdk-venv/bin/pip install PureCloudPlatformClientV2==269.0.0
    /tmp/sdk-venv/bin/python scripts/sdk-models.py > crates/sim/tests/it/sdk_models.json
"""

import importlib
import importlib.metadata
import inspect
import json
import re
import sys

PACKAGE = "PureCloudPlatformClientV2"

# Every body the simulator serves on the API host, by the model the SDK reads it into.
ROOTS = [
    "QueueEntityListing",  # GET /api/v2/routing/queues
    "QueueMemberEntityListing",  # GET /api/v2/routing/queues/{id}/members
    "QueueObservationQueryResponse",  # POST /api/v2/analytics/queues/observations/query
    "ConversationAggregateQueryResponse",  # POST /api/v2/analytics/conversations/aggregates/query
    "AuthzSubject",  # GET /api/v2/authorization/subjects/me
    "UserMe",  # GET /api/v2/users/me
    "DivsPermittedEntityListing",  # GET /api/v2/authorization/divisionspermitted/paged/me
    "AuthzDivisionEntityListing",  # GET /api/v2/authorization/divisions
    "OAuthClient",  # GET /api/v2/oauth/clients/{id}
    "TokenInfo",  # GET /api/v2/tokens/me
    "Channel",  # POST /api/v2/notifications/channels
    "ChannelTopicEntityListing",  # GET/PUT/POST /api/v2/notifications/channels/{id}/subscriptions
    "StatEventQueueTopicStatsNotification",  # eventBody of v2.analytics.queues.{id}.observations
    "SystemMessageSystemMessage",  # eventBody of v2.system.socket_closing (UNCONFIRMED which)
    "ErrorBody",  # every 4xx/5xx on the API host
]

# Followed no further: the simulator fills in none of their nested models.
LEAVES = {
    "User": {"division", "routingStatus", "presence", "authorization"},
    "UserMe": {"division", "routingStatus", "presence", "authorization"},
    "Queue": {"division", "mediaSettings", "acwSettings"},
}

PRIMITIVES = {"str", "int", "float", "bool", "datetime", "date", "object"}


def model_class(models, name):
    cls = getattr(models, name, None)
    if cls is None:
        sys.exit(f"{name}: no such model in {PACKAGE}")
    return cls


def allowed_values(cls, attr):
    """The enum values the attribute's setter accepts, if it checks any."""
    prop = getattr(cls, attr, None)
    if not isinstance(prop, property) or prop.fset is None:
        return None
    src = inspect.getsource(prop.fset)
    m = re.search(r"allowed_values\s*=\s*(\[.*?\])", src, re.S)
    return json.loads(m.group(1).replace("'", '"')) if m else None


def nested(t):
    """Model names inside a type string."""
    m = re.fullmatch(r"list\[(.*)\]", t)
    if m:
        return nested(m.group(1))
    m = re.fullmatch(r"dict\(str, (.*)\)", t)
    if m:
        return nested(m.group(1))
    return [] if t in PRIMITIVES else [t]


def main():
    models = importlib.import_module(f"{PACKAGE}.models")
    out = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        cls = model_class(models, name)
        obj = cls.__new__(cls)
        cls.__init__(obj)
        fields, enums = {}, {}
        for attr, t in obj.swagger_types.items():
            key = obj.attribute_map[attr]
            fields[key] = t
            values = allowed_values(cls, attr)
            if values is not None:
                enums[key] = values
            if key not in LEAVES.get(name, {key}):
                continue
            todo.extend(nested(t))
        out[name] = {"fields": fields, "enums": enums} if enums else {"fields": fields}
    version = importlib.metadata.version(PACKAGE)
    doc = {
        "_generated": f"by scripts/sdk-models.py from {PACKAGE} {version} (PyPI); do not edit",
        "_regenerate": f"python3 -m venv /tmp/sdk-venv && /tmp/sdk-venv/bin/pip install {PACKAGE}=={version} "
        "&& /tmp/sdk-venv/bin/python scripts/sdk-models.py > crates/sim/tests/it/sdk_models.json",
        "roots": ROOTS,
        "models": dict(sorted(out.items())),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
