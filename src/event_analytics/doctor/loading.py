"""Loading a code location the way Dagster does, where failing to load is a finding.

`-m module` imports the module, `-f file` imports the file (its folder's siblings importable
through the working directory, as `dagster dev -f` does); then Dagster's own search finds the
`Definitions` object, the `@dg.definitions` function, a `@repository`, a job or the assets at
module scope (`-a` names one). Whatever goes wrong on the way (an import error, a definition
Dagster refuses, no definitions at all) becomes ONE finding of rule `loads`: the exception,
the line of the user's code it came from, and the fix when the case is known.
"""

from __future__ import annotations

import contextlib
import re
import sys
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg

from event_analytics.doctor import dagster_internals as internals
from event_analytics.doctor.catalog import RULES
from event_analytics.doctor.findings import Finding
from event_analytics.doctor.location_ref import CodeLocationRef
from event_analytics.doctor.sources import Where, defined_at, display_path, is_user_code

# How the target was found, for the legacy-api rule (`repository` is `@repository`).
DEFINITIONS, REPOSITORY, OTHER = "definitions", "repository", "other"

_MESSAGE_LIMIT = 1500


@dataclass
class LoadedLocation:
    """A code location Dagster could load."""

    repository: dg.RepositoryDefinition
    definitions: dg.Definitions | None
    module: ModuleType
    attribute: str
    kind: str

    @property
    def resources(self) -> dict[str, Any]:
        """Each resource key and the object the user bound to it."""
        if self.definitions is not None:
            return dict(self.definitions.resources or {})
        return {
            key: internals.resource_object(definition)
            for key, definition in self.repository.get_top_level_resources().items()
        }

    @property
    def defined_at(self) -> Where | None:
        """Where the Definitions (or repository) object is defined: where a fix adds things."""
        target = getattr(self.module, self.attribute, None)
        return defined_at(target, [self.module]) if target is not None else None


@dataclass
class LoadFailure:
    """A code location that did not load: the finding, and the source to read statically."""

    finding: Finding
    source_file: Path | None


def load(ref: CodeLocationRef) -> LoadedLocation | LoadFailure:
    """Load the code location `ref` names; never raises for a problem of the user's code."""
    with _quietly():
        try:
            module = _import(ref)
            return _resolve(module, ref)
        except (Exception, SystemExit) as error:
            _forget_failed_import(ref)
            return LoadFailure(_load_finding(ref, error), _source_file(ref))


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """Keep the user's import-time prints off stdout (it may be doctor's JSON) and Dagster's
    deprecation warnings out of the way: doctor reports what matters as findings."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        yield


def _import(ref: CodeLocationRef) -> ModuleType:
    working_directory = str(ref.working_directory or Path.cwd())
    if ref.module:
        return internals.load_python_module(ref.module, working_directory)
    return internals.load_python_file(str(ref.file), working_directory)


def _resolve(module: ModuleType, ref: CodeLocationRef) -> LoadedLocation:
    if ref.attribute:
        if not hasattr(module, ref.attribute):
            raise dg.DagsterInvariantViolationError(
                f"{module.__name__} has no attribute {ref.attribute!r}"
            )
        attribute, target = ref.attribute, getattr(module, ref.attribute)
    else:
        [found, *others] = internals.loadable_targets_from_loaded_module(module)
        if others:
            names = ", ".join(t.attribute for t in [found, *others])
            raise dg.DagsterInvariantViolationError(
                f"{module.__name__} holds several repositories ({names}): name one with -a"
            )
        attribute, target = found.attribute, found.target_definition
    if isinstance(target, internals.LazyDefinitions):
        target = target()
    if isinstance(target, dg.Definitions):
        repository = target.get_repository_def()
        # Resolves jobs and schedules now: their errors are load errors, not a rule's crash.
        repository.load_all_definitions()
        return LoadedLocation(repository, target, module, attribute, DEFINITIONS)
    converted = internals.repository_def_from_target_def(target)
    if converted is None:
        raise dg.DagsterInvariantViolationError(
            f"{module.__name__}.{attribute} is a {type(target).__name__}, not definitions"
        )
    converted.load_all_definitions()
    kind = REPOSITORY if isinstance(target, dg.RepositoryDefinition) else OTHER
    return LoadedLocation(converted, None, module, attribute, kind)


def _forget_failed_import(ref: CodeLocationRef) -> None:
    """Dagster's file import leaves a half-initialized module in `sys.modules`; the next load
    in this process would find it instead of failing the same way."""
    if ref.file is None:
        return
    name = Path(str(ref.file)).stem
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if file and Path(file).resolve() == Path(str(ref.file)).resolve():
        del sys.modules[name]


def _source_file(ref: CodeLocationRef) -> Path | None:
    """The file to analyse statically: the `-f` file, or the `-m` module's own file."""
    if ref.file is not None:
        return Path(ref.file) if Path(ref.file).is_file() else None
    import importlib.util

    try:
        spec = importlib.util.find_spec(str(ref.module))
    except (ImportError, ValueError):
        return None
    origin = spec.origin if spec else None
    return Path(origin) if origin and origin.endswith(".py") else None


# --- the finding -----------------------------------------------------------------------------

_KNOWN_FIXES = [
    (
        re.compile(r"FreshnessPolicy\(\) takes no arguments"),
        "FreshnessPolicy.time_window(fail_window=timedelta(minutes=60)) (or "
        "FreshnessPolicy.cron(deadline_cron=..., lower_bound_delta=...)): the keyword form "
        "is the pre-1.11 policy, kept only as the deprecated LegacyFreshnessPolicy",
    ),
    (
        re.compile(r"^ModuleNotFoundError"),
        "install the missing package where doctor runs (the project's virtualenv), or pass "
        "-d with the folder the module's imports are relative to",
    ),
    (
        re.compile(r"No Definitions, RepositoryDefinition"),
        "define one dg.Definitions(...) at module scope, or a @dg.definitions function "
        "that returns one",
    ),
    (
        re.compile(r"more than one Definitions"),
        "keep one Definitions at module scope: combine the others with dg.Definitions.merge(...)",
    ),
]


def _load_finding(ref: CodeLocationRef, error: BaseException) -> Finding:
    cause = _user_facing(error)
    message = f"{type(cause).__name__}: {cause}".strip()
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + "..."
    where = _where(ref, cause)
    fix = next((fix for pattern, fix in _KNOWN_FIXES if pattern.search(message)), None)
    if fix is None:
        at = (where[0] + (f":{where[1]}" if where[1] else "")) if where else "the traceback"
        fix = (
            f"fix the error at {at}; `dg check defs` (or `dagster definitions validate`) "
            "shows the whole traceback"
        )
    return Finding(
        rule="loads",
        severity=RULES["loads"].severity,
        target=ref.target,
        file=where[0] if where else None,
        line=where[1] if where else None,
        message=message,
        fix=fix,
    )


def _user_facing(error: BaseException) -> BaseException:
    """Dagster wraps import errors in its own; the user's is the cause."""
    if type(error).__name__ == "DagsterImportError" and error.__cause__ is not None:
        return error.__cause__
    return error


def _where(ref: CodeLocationRef, error: BaseException) -> Where | None:
    """The frame of the user's code the error came from: in the `-f` file if it is on the
    stack, else the innermost frame of user code; for a syntax error, its own position."""
    if isinstance(error, SyntaxError) and error.filename and is_user_code(error.filename):
        return display_path(error.filename), error.lineno
    frames = [f for f in traceback.extract_tb(error.__traceback__) if is_user_code(f.filename)]
    if ref.file is not None:
        own = Path(str(ref.file)).resolve()
        in_file = [f for f in frames if Path(f.filename).resolve() == own]
        frames = in_file or frames
    if frames:
        return display_path(frames[-1].filename), frames[-1].lineno
    if ref.file is not None and Path(str(ref.file)).is_file():
        return display_path(ref.file), None
    return None
