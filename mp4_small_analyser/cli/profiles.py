"""`mp4-analyser profiles list | show NAME | validate PATH...`: the QC profiles at hand.

Profiles come from the built-ins and the folder named by PROFILES_DIR; `show` and
`validate` also take a path. An invalid profile exits 2 with every problem named
(the file, the rule by index and code, the key), as `analyse --profile` does.
"""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from mp4_small_analyser.analysis.judging import ProfileError, ProfileLibrary, ResolvedProfile
from mp4_small_analyser.settings import ProfileSettings

EXIT_INVALID = 2


def library() -> ProfileLibrary:
    return ProfileLibrary(ProfileSettings().profiles_dir)


def resolve(reference: str, command: str) -> ResolvedProfile | None:
    """The profile `reference` names, or None after printing why it cannot be used."""
    try:
        return library().get(reference)
    except ProfileError as exc:
        print(f"mp4-analyser {command}: {exc}", file=sys.stderr)
        return None


def add_profiles_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profiles = commands.add_parser(
        "profiles",
        help="list, show or validate QC profiles",
        description="QC profiles: the built-ins and those in PROFILES_DIR (docs/profiles.md).",
    )
    actions = profiles.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every profile by name, with where it comes from")
    listing.set_defaults(command=_list)
    show = actions.add_parser("show", help="a profile with its parents merged in")
    show.add_argument("profile", metavar="NAME|PATH")
    show.add_argument("--json", action="store_true", help="JSON instead of YAML")
    show.set_defaults(command=_show)
    validate = actions.add_parser("validate", help="check profile files; exit 2 when invalid")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(command=_validate)


def _list(args: argparse.Namespace) -> int:
    found = library()
    for issue in found.folder_issues:
        print(f"mp4-analyser profiles: {issue}", file=sys.stderr)
    width = max(len(name) for name in found.names())
    for name in found.names():
        try:
            profile = found.get(name)
        except ProfileError as exc:
            print(f"{name:<{width}}  INVALID ({len(exc.issues)} problem(s))  {found.origin(name)}")
            continue
        parents = f" (extends {', '.join(profile.chain[1:])})" if len(profile.chain) > 1 else ""
        print(f"{name:<{width}}  {profile.title or profile.description}{parents}")
    return EXIT_INVALID if found.problems() else 0


def _show(args: argparse.Namespace) -> int:
    profile = resolve(args.profile, "profiles show")
    if profile is None:
        return EXIT_INVALID
    document = profile.flattened()
    if args.json:
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=96))
    return 0


def _validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.paths:
        profile = resolve(path, "profiles validate")
        if profile is None:
            status = EXIT_INVALID
            continue
        print(f"{path}: valid ({profile.name}, {len(profile.rules)} rules)")
    return status
