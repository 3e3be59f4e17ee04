"""Reading a config: YAML through the bounded reader, ``base:`` chains merged, validated, cross-checked.

Files are read by the bounded reader of :mod:`economy.yaml_input` (regular UTF-8 files,
size, depth and alias limits, duplicate keys refused). A config may start with
``base: other.yaml``: it is then an override of that file. Mappings merge key by key;
lists of companies or contracts merge by ``id`` (an entry with ``remove: true`` drops that
id); any other list, and an empty list, replaces the base's list (``contracts: []`` leaves
no contracts). Validation errors are worded for the user (:mod:`.errors`); then
:func:`~.checks.cross_check` checks what spans fields.
"""

from __future__ import annotations

import copy
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from economy import yaml_input
from economy.config.checks import cross_check
from economy.config.errors import ConfigError, describe_error, root_causes
from economy.config.schema import Config
from economy.config.schema_contracts import CONTRACT_KINDS, ContractSpec


def load_config(path: str | Path) -> Config:
    """Read, merge (``base:``), validate and cross-check a config file.

    Raises:
        ConfigError: With every problem found, each with its field path.
    """
    path = Path(path)
    raw = _read_merged(path, ())
    return config_from_dict(raw, str(path))


def config_from_dict(raw: Any, source: str = "<config>") -> Config:
    """Validate a config given as plain data (as parsed from YAML)."""
    if not isinstance(raw, dict):
        raise ConfigError(source, [("", f"the top level must be a mapping of sections, got {type(raw).__name__}")])
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(source, [_describe(e, raw) for e in root_causes(err.errors())]) from None
    problems = cross_check(cfg)
    if problems:
        raise ConfigError(source, problems)
    return cfg


def read_yaml(path: Path, error: type[ConfigError] = ConfigError) -> tuple[Any, str]:
    """Read and parse a YAML file within the limits of :mod:`economy.yaml_input`.

    Returns:
        The data and the text.

    Raises:
        error: Naming the file, for a missing or unreadable file, a file that is not UTF-8
            text, too large, too deeply nested, with duplicate keys or a YAML syntax error (with its line).
    """
    try:
        text = yaml_input.read_text(path)
        return yaml_input.parse(text), text
    except FileNotFoundError:
        raise error(str(path), [("", "file not found")]) from None
    except yaml_input.YamlInputError as err:
        raise error(str(path), [("", str(err))]) from None
    except OSError as err:
        raise error(str(path), [("", f"cannot read the file: {err.strerror or err}")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise error(str(path), [("", f"YAML syntax error at {where}{problem}")]) from None


MAX_BASE_CHAIN = 20
"""Most files in a chain of ``base:`` overrides (the shipped scenarios use at most 3)."""


def _read_merged(path: Path, chain: tuple[Path, ...] = ()) -> Any:
    """A config file merged onto its chain of ``base:`` files, read without recursion.

    Args:
        path: The file named by the user.
        chain: Files already on the chain above it (resolved), for loop detection.

    Raises:
        ConfigError: Naming the file whose ``base:`` is wrong, for a missing base, a
            loop, a chain longer than :data:`MAX_BASE_CHAIN` or a bad merge.
    """
    layers: list[tuple[Path, Any]] = []  # the named file first, its base next, ...
    seen = list(chain)
    while True:
        resolved = path.resolve()
        if resolved in seen:
            raise ConfigError(str(path), [("base", "configs include each other in a loop")])
        seen.append(resolved)
        raw, _text = read_yaml(path)
        if not isinstance(raw, dict) or "base" not in raw:
            layers.append((path, raw))
            break
        base_name = raw.pop("base")
        layers.append((path, raw))
        if not isinstance(base_name, str):
            raise ConfigError(str(path), [("base", "must be the path of another config file (relative to this one)")])
        base_path = path.parent / base_name
        if not base_path.exists():  # read_yaml explains a folder or a pipe
            raise ConfigError(str(path), [("base", f"{base_name!r} not found (looked for {base_path}); "
                                                   "give the path of another config file, relative to this one")])
        if len(seen) >= MAX_BASE_CHAIN:
            raise ConfigError(str(layers[0][0]), [("base", f"the chain of base: files is longer than {MAX_BASE_CHAIN} files, "
                                                           f"the most allowed (it goes on at {path}); merge some of them")])
        path = base_path
    merged = layers[-1][1]
    for file, raw in reversed(layers[:-1]):
        try:
            merged = merge(merged, raw)
        except _MergeError as err:
            raise ConfigError(str(file), [(err.path, err.message)]) from None
    return merged


class _MergeError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


def merge(base: Any, override: Any, where: str = "") -> Any:
    """Merge an override into a base config (see the module docstring)."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for key, value in override.items():
            path = f"{where}.{key}" if where else str(key)
            out[key] = merge(out[key], value, path) if key in out else copy.deepcopy(value)
        return out
    if isinstance(override, list) and not override:
        return []  # an empty list replaces the base's list, even an id list: `contracts: []` leaves none
    if _is_id_list(base) and _is_id_list(override):
        out = [copy.deepcopy(item) for item in base]
        index = {item["id"]: i for i, item in enumerate(out)}
        for i, item in enumerate(override):
            if item.get("remove") is True:
                if item["id"] not in index:
                    raise _MergeError(f"{where}[{i}](id={item['id']})",
                                      f"remove: true but the base has no entry with id {item['id']!r}; "
                                      f"ids there: {', '.join(sorted(map(str, index)))}")
                out = [o for o in out if o["id"] != item["id"]]
                index = {o["id"]: i for i, o in enumerate(out)}
            elif item["id"] in index:
                out[index[item["id"]]] = merge(out[index[item["id"]]], item, f"{where}[{i}](id={item['id']})")
            else:
                index[item["id"]] = len(out)
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(override)


def _is_id_list(value: Any) -> bool:
    """A list whose items all have an ``id`` (companies, contracts); an empty base list counts as one."""
    return isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value)


# ---------------------------------------------------------------------------- wording of validation errors
def _describe(error: dict[str, Any], raw: Any) -> tuple[str, str]:
    """Turn one pydantic error into ``(path, message)`` with a readable path."""
    return describe_error(error, raw, is_tag=_is_contract_tag, allowed_fields=_allowed_fields,
                          kinds=_contract_kinds, kind_noun="contract kind")


def _is_contract_tag(loc: tuple, i: int) -> bool:
    """Whether step ``i`` of a location is pydantic's union tag of a contract (the kind is already in the data)."""
    return bool(i) and isinstance(loc[i - 1], int) and loc[i] in CONTRACT_KINDS


def _contract_kinds(loc: tuple) -> tuple[str, ...]:
    """The kinds a contract may have, wherever it is."""
    return CONTRACT_KINDS


def _allowed_fields(loc: tuple) -> list[str]:
    """The field names a model accepts at a location of the config (empty if unknown)."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        if part in CONTRACT_KINDS and model is None:
            model = next(m for m in typing.get_args(typing.get_args(ContractSpec)[0])
                         if typing.get_args(m.model_fields["kind"].annotation) == (part,))
            continue
        field = model.model_fields.get(part) if model is not None and hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = _inner_model(field.annotation)
    if model is None or not hasattr(model, "model_fields"):
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside Optional[...] / tuple[...] / dict[..., ...]; None for a contract union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis]
    if typing.get_origin(annotation) is typing.Annotated:
        return None if annotation is ContractSpec else _inner_model(args[0])
    for a in args:
        if a is ContractSpec:
            return None
        inner = _inner_model(a)
        if inner is not None:
            return inner
    return None
