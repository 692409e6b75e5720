#!/usr/bin/env python3
"""Validate needful's Slack app manifests, offline.

Usage:
    python3 .ci/validate_manifests.py [MANIFEST ...]
    needful manifest --url https://needful.example.org | python3 .ci/validate_manifests.py -

With no arguments it checks manifests/slack-app.http.yaml and manifests/slack-app.socket.yaml.
`-` reads one manifest (YAML or JSON) from stdin.

Each manifest is checked in two ways:

1. Against Slack's app-manifest JSON Schema (draft-07). The schema directory defaults to
   ../shared/slack relative to the repository root and can be moved with the environment variable
   SLACK_MANIFEST_SCHEMA_DIR (the directory that holds manifest.schema.json and schemas/). The root
   schema $refs remote URLs; the local copies are registered under exactly those URLs, and any
   other remote reference is refused, so nothing touches the network.
2. Against what needful needs: exactly the six slash commands, each with should_escape true; exactly
   the five bot events; exactly the eight bot scopes. A Socket Mode manifest
   (settings.socket_mode_enabled: true) must hold no URLs at all; an HTTP-mode manifest needs an
   https:// URL for every command, for events and for interactivity.

Prints one line per manifest: `PATH: OK`, or one `PATH: ERROR ...` line per problem.
Exit status: 0 when every manifest passes, 1 when any fails, 2 when the schema cannot be loaded or
the arguments are wrong.

Needs: pip install jsonschema pyyaml   (jsonschema >= 4.18, which brings `referencing`)
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT7

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA_DIR = REPO_ROOT.parent / "shared" / "slack"
DEFAULT_MANIFESTS = [
    REPO_ROOT / "manifests" / "slack-app.http.yaml",
    REPO_ROOT / "manifests" / "slack-app.socket.yaml",
]

REMOTE_BASE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
VERSIONED_SCHEMAS = {
    1: "manifest.schema.1.0.0.json",
    2: "manifest.schema.2.0.0.json",
}

EXPECTED_COMMANDS = ["/kudos", "/trophy", "/checkin", "/understaffed", "/roles", "/needful"]
EXPECTED_BOT_EVENTS = [
    "reaction_added",
    "reaction_removed",
    "app_home_opened",
    "message.channels",
    "user_change",
]
EXPECTED_BOT_SCOPES = [
    "commands",
    "chat:write",
    "reactions:read",
    "reactions:write",
    "channels:history",
    "users:read",
    "im:write",
    "channels:read",
]
# Path suffix each HTTP-mode URL must end with (the bot's routes); any base path may precede it.
HTTP_ROUTES = {
    "command": "/slack/commands",
    "events": "/slack/events",
    "interactivity": "/slack/interactions",
}
# The v1 schema spells this pattern as "regex", which JSON Schema ignores, so check it here.
BACKGROUND_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


class SetupError(Exception):
    """The schema could not be loaded; not a problem with any manifest."""


# --------------------------------------------------------------------------- schema


def load_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise SetupError(
            f"schema file {path} not found; set SLACK_MANIFEST_SCHEMA_DIR to the directory "
            "holding manifest.schema.json and schemas/"
        ) from None
    except (OSError, json.JSONDecodeError) as e:
        raise SetupError(f"cannot read schema file {path}: {e}") from None


def refuse_remote(uri: str) -> Resource:
    raise NoSuchResource(ref=f"{uri} (not in the local schema directory; refusing to fetch it)")


def build_validators(schema_dir: Path) -> tuple[Draft7Validator, dict[int, Draft7Validator]]:
    """The root (version-dispatching) validator, plus one per major version for clearer errors."""
    root = load_json(schema_dir / "manifest.schema.json")
    resources = []
    for name in VERSIONED_SCHEMAS.values():
        contents = load_json(schema_dir / "schemas" / name)
        resources.append(
            (REMOTE_BASE + name, Resource.from_contents(contents, default_specification=DRAFT7))
        )
    registry = Registry(retrieve=refuse_remote).with_resources(resources)
    known = {uri for uri, _ in resources}
    for ref in remote_refs(root):
        if ref not in known:
            raise SetupError(
                f"{schema_dir / 'manifest.schema.json'} refers to {ref}, which is not one of the "
                f"local files registered offline ({', '.join(sorted(known))}); update "
                "REMOTE_BASE in this script to match the schema copy"
            )
    try:
        Draft7Validator.check_schema(root)
    except Exception as e:  # SchemaError
        raise SetupError(f"{schema_dir / 'manifest.schema.json'} is not a valid draft-07 schema: {e}")
    by_version = {
        major: Draft7Validator({"$ref": REMOTE_BASE + name}, registry=registry)
        for major, name in VERSIONED_SCHEMAS.items()
    }
    return Draft7Validator(root, registry=registry), by_version


def remote_refs(schema: Any) -> Iterator[str]:
    """Every absolute $ref in a schema, without its #fragment."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and "://" in value:
                yield value.split("#", 1)[0]
            else:
                yield from remote_refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from remote_refs(value)


def shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def where(path: Iterator[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def message(error: ValidationError) -> str:
    """The error's message, with a whole object or list abbreviated rather than dumped."""
    msg = error.message
    if isinstance(error.instance, (dict, list)) and error.instance:
        msg = msg.replace(repr(error.instance), "{...}" if isinstance(error.instance, dict) else "[...]")
    return shorten(msg)


def describe(error: ValidationError) -> str:
    msg = message(error)
    if error.context:  # oneOf / anyOf: say which branch came closest
        inner = best_match(error.context)
        msg += f" (closest: {where(inner.absolute_path)}: {message(inner)})"
    return f"{where(error.absolute_path)}: {msg}"


def schema_errors(
    manifest: Any, root: Draft7Validator, by_version: dict[int, Draft7Validator]
) -> list[str]:
    try:
        errors = list(root.iter_errors(manifest))
    except Unresolvable as e:  # a $ref the local registry cannot serve; never fetched
        raise SetupError(f"schema reference cannot be resolved offline: {e}") from None
    if not errors:
        return []
    # The root schema is a oneOf over versions, whose errors say little. Re-run against the
    # versioned schema this manifest selects to name the offending field.
    major = 1
    if isinstance(manifest, dict) and isinstance(manifest.get("_metadata"), dict):
        major = manifest["_metadata"].get("major_version", 1)
    if type(major) is int and major not in by_version:
        return [
            f"schema: _metadata.major_version: {major} is not a manifest version Slack knows "
            f"(known: {sorted(by_version)}; needful uses 1)"
        ]
    detailed = []
    if type(major) is int:
        detailed = sorted(by_version[major].iter_errors(manifest), key=lambda e: list(e.absolute_path))
    chosen = detailed or errors
    return [f"schema: {describe(e)}" for e in chosen]


# --------------------------------------------------------------------------- needful's own rules


def dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def exactly(label: str, found: Any, expected: list[str]) -> list[str]:
    if not isinstance(found, list):
        return [f"{label}: missing; expected exactly {expected}"]
    errs = []
    dupes = sorted({x for x in found if found.count(x) > 1}, key=str)
    if dupes:
        errs.append(f"{label}: listed more than once: {dupes}")
    missing = [x for x in expected if x not in found]
    extra = [x for x in found if x not in expected]
    if missing:
        errs.append(f"{label}: missing {missing}")
    if extra:
        errs.append(f"{label}: not expected {extra} (allowed: {expected})")
    return errs


def url_fields(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every key named like a URL, and every string value that looks like one."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            sub = f"{path}.{key}" if path else str(key)
            if key == "url" or str(key).endswith(("_url", "_urls")):
                yield sub, value
            else:
                yield from url_fields(value, sub)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from url_fields(value, f"{path}[{i}]")
    elif isinstance(obj, str) and re.match(r"^(https?|wss?)://", obj.strip()):
        yield path, obj


def check_http_url(label: str, value: Any, route: str) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{label}: missing; HTTP mode needs a URL ending in {route} (or use socket_mode_enabled: true)"]
    parts = urlsplit(value)
    local = parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        return [f"{label}: {value!r} must be an https:// URL (http:// only for localhost/127.0.0.1)"]
    if not parts.hostname:
        return [f"{label}: {value!r} has no host"]
    if not parts.path.endswith(route):
        return [f"{label}: {value!r} should end with {route}, the bot's route for it"]
    return []


def needful_errors(manifest: Any, expected_mode: str | None) -> list[str]:
    if not isinstance(manifest, dict):
        return ["needful: the manifest must be a mapping at the top level"]
    errs: list[str] = []

    major = dig(manifest, "_metadata", "major_version")
    if major is not None and major != 1:
        errs.append(f"_metadata.major_version: {major!r}; needful is a v1 (Bolt-style) app, use 1")

    color = dig(manifest, "display_information", "background_color")
    if color is not None and not (isinstance(color, str) and BACKGROUND_COLOR.match(color)):
        errs.append(f"display_information.background_color: {color!r} is not a #rgb or #rrggbb colour")

    commands = dig(manifest, "features", "slash_commands")
    if not isinstance(commands, list):
        commands = []
    names = [c.get("command") for c in commands if isinstance(c, dict)]
    errs += exactly("features.slash_commands", names, EXPECTED_COMMANDS)
    for i, c in enumerate(commands):
        if isinstance(c, dict) and c.get("should_escape") is not True:
            errs.append(
                f"features.slash_commands[{i}] ({c.get('command')}): should_escape must be true "
                "(the bot parses <@U…> mentions)"
            )

    errs += exactly(
        "settings.event_subscriptions.bot_events",
        dig(manifest, "settings", "event_subscriptions", "bot_events"),
        EXPECTED_BOT_EVENTS,
    )
    errs += exactly(
        "oauth_config.scopes.bot", dig(manifest, "oauth_config", "scopes", "bot"), EXPECTED_BOT_SCOPES
    )
    if dig(manifest, "settings", "interactivity", "is_enabled") is not True:
        errs.append("settings.interactivity.is_enabled: must be true (check-in modal, App Home buttons)")

    socket = dig(manifest, "settings", "socket_mode_enabled") is True
    mode = "socket" if socket else "http"
    if expected_mode and expected_mode != mode:
        errs.append(
            f"settings.socket_mode_enabled: the file name says {expected_mode} mode, "
            f"so this must be {'true' if expected_mode == 'socket' else 'false'}"
        )

    if socket:
        for field, value in url_fields(manifest):
            errs.append(f"{field}: Socket Mode manifests must not hold URLs (found {value!r})")
    else:
        for i, c in enumerate(commands):
            if isinstance(c, dict):
                errs += check_http_url(
                    f"features.slash_commands[{i}].url ({c.get('command')})",
                    c.get("url"),
                    HTTP_ROUTES["command"],
                )
        errs += check_http_url(
            "settings.event_subscriptions.request_url",
            dig(manifest, "settings", "event_subscriptions", "request_url"),
            HTTP_ROUTES["events"],
        )
        errs += check_http_url(
            "settings.interactivity.request_url",
            dig(manifest, "settings", "interactivity", "request_url"),
            HTTP_ROUTES["interactivity"],
        )
    return [f"needful: {e}" for e in errs]


# --------------------------------------------------------------------------- loading


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_manifest(arg: str) -> tuple[str, Any, str | None]:
    """(display name, parsed manifest, mode implied by the file name or None)."""
    if arg == "-":
        text, name, mode = sys.stdin.read(), "<stdin>", None
    else:
        path = Path(arg)
        text, name = path.read_text(encoding="utf-8"), arg
        mode = "socket" if ".socket." in path.name else "http" if ".http." in path.name else None
    if not text.strip():
        raise ValueError("empty input")
    return name, yaml.load(text, Loader=StrictLoader), mode  # JSON is YAML too


def display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    args = argv or [display(p) for p in DEFAULT_MANIFESTS]
    if args.count("-") > 1:
        print("error: stdin ('-') can be given only once", file=sys.stderr)
        return 2

    schema_dir = Path(os.environ.get("SLACK_MANIFEST_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR)
    try:
        root, by_version = build_validators(schema_dir)
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    failed = False
    for arg in args:
        try:
            name, manifest, mode = read_manifest(arg)
        except (OSError, ValueError, yaml.YAMLError) as e:
            detail = " ".join(str(e).split())
            print(f"{'<stdin>' if arg == '-' else arg}: ERROR cannot read manifest: {detail}")
            failed = True
            continue
        try:
            problems = schema_errors(manifest, root, by_version) + needful_errors(manifest, mode)
        except SetupError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if problems:
            failed = True
            for p in problems:
                print(f"{name}: ERROR {p}")
        else:
            print(f"{name}: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
