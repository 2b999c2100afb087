"""`extends:` in experiment YAMLs: a config names the base it builds on, and `--config X` loads the base first.

jsonargparse merges several ``--config`` files key by key, but a ``config:`` key inside a file replaces whole
sections, so ``experiments/multilingual.yaml`` says ``extends: base.yaml`` and we expand it to
``--config base.yaml --config <multilingual without extends>`` before LightningCLI parses.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from meta_lightning.errors import ConfigError


def read_yaml(path: Path):
    """A config file's content, or a one-line error naming the file."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except OSError as e:
        raise ConfigError("--config", f"cannot read {path} ({e.strerror})", "Check the path") from e
    except yaml.YAMLError as e:
        raise ConfigError("--config", f"{path} is not valid YAML ({str(e).splitlines()[0]})", "Fix the YAML syntax") from e


def read_yaml_mapping(config: str) -> dict:
    """A ``--config`` value (a file, or YAML text as ``expand_extends`` writes it) as a mapping ({} if none)."""
    if "\n" not in config and Path(config).is_file():
        data = read_yaml(Path(config))
    else:
        try:
            data = yaml.safe_load(config)
        except yaml.YAMLError:
            data = None  # not ours to judge here: the CLI's parser names the error
    return data if isinstance(data, dict) else {}


SECTIONS = ("trainer", "model", "data", "checkpoint", "sweep")
"""Top-level keys whose value is a mapping of options."""


def check_sections(data, path: Path) -> dict:
    """A config file's content as a mapping, or one line naming the file (empty, a list, a section as a list)."""
    if data is None:
        raise ConfigError("--config", f"{path} is empty", "Write the run's sections (trainer:, model:, data:), or "
                          "drop the file")
    if not isinstance(data, dict):
        raise ConfigError("--config", f"{path} holds a {type(data).__name__} at its top level, not a mapping of "
                          "sections", "Write it as keys: trainer:, model:, data:")
    for section in SECTIONS:
        if section in data and data[section] is not None and not isinstance(data[section], dict):
            raise ConfigError(section, f"in {path} it is a {type(data[section]).__name__}, not a mapping of options",
                              f"Write its options as keys indented under {section}:, not as a list")
    return data


def _chain(path: Path, seen: tuple[Path, ...] = ()) -> list[str]:
    path = path.resolve()
    if path in seen:
        raise ConfigError("extends", f"{path} extends itself through {' -> '.join(str(p) for p in seen)}", "Remove the cycle")
    data = check_sections(read_yaml(path), path)
    if "extends" not in data:
        return [str(path)]
    bases = data.pop("extends")
    out: list[str] = []
    for base in [bases] if isinstance(bases, str) else list(bases or []):
        out += _chain(path.parent / base, seen + (path,))
    return out + [yaml.safe_dump(data, sort_keys=False)]


def expand_extends(argv: list[str]) -> list[str]:
    """Replace each ``--config FILE`` whose YAML has ``extends:`` by its bases, then the file's own content."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config" and i + 1 < len(argv) and Path(argv[i + 1]).is_file():
            for item in _chain(Path(argv[i + 1])):
                out += ["--config", item]
            i += 2
            continue
        if arg.startswith("--config=") and Path(arg.split("=", 1)[1]).is_file():
            for item in _chain(Path(arg.split("=", 1)[1])):
                out += ["--config", item]
        else:
            out.append(arg)
        i += 1
    return out


def parser_error(error: Exception, default_field: str) -> tuple[str, str]:
    """(field, reason) of a jsonargparse error, whose first line is ``Parser key "a.b":`` and the rest the reason."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    match = re.match(r'Parser key "([^"]+)":?\s*(.*)', lines[0]) if lines else None
    if match is None:
        return default_field, " ".join(lines)[:300] or type(error).__name__
    reason = " ".join([match.group(2)] + lines[1:]).strip()
    return match.group(1), reason[:300] or "invalid value"
