"""Stage 4b: one in-process datamodel-code-generator call turns all shapes into pydantic models."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import sys
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from datamodel_code_generator import generate
from datamodel_code_generator.enums import DataModelType, InputFileType
from datamodel_code_generator.format import PythonVersion

from .infer import Inferred, TypeRef
from .memo import Memo, named, value_digest
from .naming import Names

# From this many models on, a first build generates them in two halves (see ModelsInput.start).
HALVES_MIN_MODELS = 200


@functools.cache
def code_version() -> str:
    """The generator's version and a digest of this module: what shapes its output beyond the schema."""
    module = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return f"{version('datamodel-code-generator')} {module}"


def type_schema(ref: TypeRef, names: Names, refers: set[str] | None = None) -> dict[str, Any]:
    """The JSON Schema of a type; the names of the models it refers to are added to `refers`."""
    kind = ref[0]
    if kind in ("model", "recursive"):  # recursive: a model that contains itself
        target = names.models[ref[1]]
        if refers is not None:
            refers.add(target)
        return {"$ref": f"#/$defs/{target}"}
    if kind == "list":
        return {"type": "array", "items": type_schema(ref[1], names, refers)}
    if kind == "union":
        return {"anyOf": [type_schema(member, names, refers) for member in ref[1]]}
    return dict(_SIMPLE_SCHEMAS[kind])  # (a copy: a default may be added to it)


_SIMPLE_SCHEMAS: dict[str, dict[str, Any]] = {
    "any": {},
    "null": {"type": "null"},
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "dict": {"type": "object"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "uuid": {"type": "string", "format": "uuid"},
}


def schema_document(
    inferred: Inferred,
    names: Names,
    docs: Mapping[str, str] | None = None,
    references: dict[str, set[str]] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON Schema of every shape, under its class name, and the field names as scoped
    aliases; with `references`, the names of the models each one refers to are put there (what
    `_references` finds in its schema)."""
    defs: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for shape in sorted(inferred.shapes, key=lambda s: names.models[s.id]):
        name = names.models[shape.id]
        by_key = {field.key: field for field in shape.fields}
        properties: dict[str, Any] = {}
        required: list[str] = []
        refers: set[str] | None = None
        if references is not None:
            refers = references[name] = set()
        for key, field_name in names.fields[shape.id]:
            field = by_key[key]
            properties[key] = type_schema(field.type, names, refers)
            if field.default:
                properties[key]["default"] = field.default[0]
            if field.required:
                required.append(key)
            if field_name != key:
                aliases[f"{name}.{key}"] = field_name
        definition: dict[str, Any] = {"type": "object", "title": name, "properties": properties}
        if docs and docs.get(name):
            definition["description"] = docs[name]
        if required:
            definition["required"] = required
        defs[name] = definition
    return {"$defs": defs}, aliases


def generator_options(package: str) -> dict[str, Any]:
    """The options of the datamodel-code-generator call (besides the schema and field names)."""
    return {
        "input_file_type": InputFileType.JsonSchema,
        "output_model_type": DataModelType.PydanticV2BaseModel,
        "target_python_version": PythonVersion.PY_311,
        "use_standard_collections": True,
        "use_union_operator": True,
        "use_annotated": False,
        "field_constraints": False,
        "base_class": f"{package}._base.ApiModel",
        "disable_timestamp": True,
        "skip_root_model": True,
        "use_schema_description": True,
        "keep_model_order": True,
        "formatters": [],
    }


@dataclass(frozen=True)
class ModelsInput:
    """What the models source is made from: the schema of every shape, the field names (scoped
    aliases) and the package. Built once per collection, it gives both the cache key and the source.
    """

    document: dict[str, Any]
    aliases: dict[str, str]
    package: str
    # the models each model refers to, when the document was made with them (schema_document);
    # otherwise they are looked for in its schema (`_references`, 15 ms at N=500)
    references: Mapping[str, set[str]] | None = field(default=None, compare=False, repr=False)

    def key(self) -> str:
        """A digest of everything the models source depends on: the schema, the field names, the
        generator's version and options, and this module's own code (which post-processes the
        output). When it is unchanged since the last build, models.py on disk is still right and
        datamodel-code-generator need not run."""
        # Each group's key covers its model's schema and field names (and the generator's version
        # and options, and this code): the keys in order, with what no group holds, cover the
        # document (and are a fiftieth of its JSON text at 500 requests).
        defs = self.document["$defs"]
        groups = [[g.name, g.key] for g in self._groups]
        unowned = {k: v for k, v in self.aliases.items() if k.partition(".")[0] not in defs}
        rest = {k: v for k, v in self.document.items() if k != "$defs"}
        options = {key: str(value) for key, value in generator_options(self.package).items()}
        return _json_digest([code_version(), options, groups, unowned, rest])

    def raw(self) -> str:
        """The one in-process datamodel-code-generator call, its output as it comes."""
        output = generate(self.document, aliases=self.aliases, **generator_options(self.package))
        assert isinstance(output, str)
        return output

    def generate(self) -> str:
        """Python source of the pydantic models (without a file header); empty when there are none."""
        if not self.document["$defs"]:
            return ""
        return sorted_imports(self.raw(), self.package)

    def groups(self) -> list[ModelGroup]:
        """One group per model, in name order: the model and a stand-in for each model it refers
        to (the generator needs them to resolve its references, and writes no more of them into
        the model's class than their names), keyed by the model's own schema and field names and
        the kind of each model it refers to. A model's generated class depends on nothing else, so
        it is generated again only when that key changes: editing one model leaves the classes of
        the models that refer to it alone."""
        return list(self._groups)

    @functools.cached_property
    def _groups(self) -> tuple[ModelGroup, ...]:
        defs: dict[str, Any] = self.document["$defs"]
        own_aliases: dict[str, dict[str, str]] = {name: {} for name in defs}
        for alias, field_name in self.aliases.items():
            owner = alias.partition(".")[0]
            if owner in own_aliases:
                own_aliases[owner][alias] = field_name
        options = {key: str(value) for key, value in generator_options(self.package).items()}
        context = json.dumps([code_version(), options], sort_keys=True)
        result = []
        for name, definition in defs.items():
            found = self.references.get(name) if self.references is not None else None
            if found is None:
                found = _references(definition)
            refers = sorted(t for t in found if t in defs and t != name)
            stand_ins = {target: stand_in(target, defs[target]) for target in refers}
            key = _json_key([context, name, definition, own_aliases[name], stand_ins])
            result.append(ModelGroup(key, name, {name: definition, **stand_ins}, own_aliases[name]))
        return tuple(result)

    def start(
        self, cache: ModelsCache | None, pool: Executor | None = None, *, keep_last: bool = False
    ) -> Generation:
        """Begin generating the models whose class `cache` does not hold (with the models they
        refer to, as stand-ins), in one datamodel-code-generator call, or in two halves for a
        first build of many models. With a `pool`, the calls run there while the caller goes on
        (with `keep_last`, the last call is left to `finish`, in this process); `finish` gives
        the result. The result is the same bytes as `generate()` however the work was split:
        when the generator's output cannot be cut into self-contained classes, or imports clash,
        the whole source is generated in one call (and nothing is recorded when it cannot be cut).
        """
        if not self.document["$defs"]:
            return Generation(self, [], cache, None, [], [])
        groups = self.groups()
        missing = [g for g in groups if cache is None or not _recorded(cache, g)]
        parts: list[list[ModelGroup]] | None
        if cache is None or len(missing) == len(groups):
            cache = None
            if len(groups) < HALVES_MIN_MODELS:
                parts = None  # the whole document, as one call
            else:
                half = len(missing) // 2
                parts = [missing[:half], missing[half:]]
        else:
            parts = [missing] if missing else []
        inputs = [self] if parts is None else [self._part_input(part) for part in parts]
        sent = inputs[:-1] if keep_last else inputs
        whole = parts is None
        futures = [pool.submit(_generate, item, whole) for item in sent] if pool else []
        return Generation(self, groups, cache, parts, inputs, futures)

    def _part_input(self, part: list[ModelGroup]) -> ModelsInput:
        """The generator's input for some models: theirs, and stand-ins for those they refer to
        that are not among them."""
        defs = {name: schema for g in part for name, schema in g.document.items()}
        defs.update({g.name: g.document[g.name] for g in part})
        aliases = {k: v for g in part for k, v in g.aliases.items()}
        return ModelsInput({"$defs": dict(sorted(defs.items()))}, aliases, self.package)

    def _whole(
        self, groups: list[ModelGroup], done: Output | None = None
    ) -> tuple[str, ModelsCache]:
        """All models in one call (or that call's output, `done`)."""
        raw, pieces = done if done is not None else _generate(self, whole=True)
        source = sorted_imports(raw, self.package)
        if pieces is None:
            return source, ModelsCache(uncut=self.key())
        imports, classes = pieces
        cache = ModelsCache(imports, {g.key: {g.name: classes[g.name]} for g in groups})
        assembled, cache = self._assembled(groups, cache)
        if assembled != source:
            return source, ModelsCache(uncut=self.key())
        return source, cache

    def holds(self, cache: ModelsCache | None) -> bool:
        """Whether `cache` is what generating these models would record (so it can be kept)."""
        if not self.document["$defs"]:
            return cache is None or cache.to_json() is None
        if cache is None:
            return False
        if cache.uncut:
            return cache.uncut == self.key() and not cache.groups
        groups = self.groups()
        return set(cache.groups) == {g.key for g in groups} and all(
            _recorded(cache, g) for g in groups
        )

    def _assembled(self, groups: list[ModelGroup], cache: ModelsCache) -> tuple[str, ModelsCache]:
        """The source from the recorded classes of `groups`, and the record pruned to them."""
        classes = {g.name: cache.groups[g.key][g.name] for g in groups}
        used = {binding for _, bindings in classes.values() for binding in bindings}
        imports = {b: e for b, e in cache.imports.items() if b in used or e[0] == "__future__"}
        modules: dict[str, list[str]] = {}
        header: list[str] = []
        for module, item in imports.values():
            if module:
                modules.setdefault(module, []).append(item)
            else:
                header.append(f"import {item}")
        for module, items in modules.items():
            items.sort(key=lambda text: text.split(" as ")[0])
            header.append(f"from {module} import {', '.join(items)}")
        body = "\n\n\n".join(classes[name][0] for name in sorted(classes))
        source = sorted_imports("\n".join(header) + "\n\n\n" + body, self.package)
        return source, ModelsCache(
            dict(sorted(imports.items())), {g.key: cache.groups[g.key] for g in groups}
        )


@dataclass
class Generation:
    """A generation of models begun by `ModelsInput.start`."""

    models: ModelsInput
    groups: list[ModelGroup]
    cache: ModelsCache | None  # the last build's record (None on a first build)
    parts: list[list[ModelGroup]] | None  # the models of each call; None: the whole, in one call
    inputs: list[ModelsInput]  # the input of each call
    futures: list[Future[Output]]  # the calls sent to a pool, in order

    def finish(self) -> tuple[str, ModelsCache, int]:
        """The models source, what to record for the next build, and how many models were
        generated: the calls not sent to a pool are made here."""
        models, groups = self.models, self.groups
        if not groups:
            return "", ModelsCache(), 0
        whole = self.parts is None
        results = [future.result() for future in self.futures]
        results += [_generate(item, whole) for item in self.inputs[len(results) :]]
        if self.parts is None:
            return *models._whole(groups, results[0]), len(groups)
        cache = self.cache or ModelsCache()
        merged = ModelsCache(dict(cache.imports), {})
        for part, given, (_, pieces) in zip(self.parts, self.inputs, results, strict=True):
            if pieces is None or set(pieces[1]) != set(given.document["$defs"]):
                return *models._whole(groups), len(groups)
            imports, classes = pieces
            for binding, entry in imports.items():
                if merged.imports.setdefault(binding, entry) != entry:
                    return *models._whole(groups), len(groups)
            for g in part:
                merged.groups[g.key] = {g.name: classes[g.name]}
        for g in groups:
            if g.key not in merged.groups:
                merged.groups[g.key] = cache.groups[g.key]
        if set(merged.imports) & set(models.document["$defs"]):
            # a class named like an import: only the generator, over all models, knows the outcome
            return *models._whole(groups), len(groups)
        generated = sum(len(part) for part in self.parts)
        return *models._assembled(groups, merged), generated


@dataclass(frozen=True)
class ModelGroup:
    """A model, with the part of the schema and field names its generation needs."""

    key: str
    name: str
    document: dict[
        str, Any
    ]  # class name -> JSON Schema: the model, stand-ins of those it refers to
    aliases: dict[str, str]


ClassRecord = tuple[str, tuple[str, ...]]  # (the generated class, the imported names it uses)
# The generator's output cut up: its imports (bound name -> (module, item)), and each class
Cut = tuple[dict[str, tuple[str, str]], dict[str, ClassRecord]]
Output = tuple[str, Cut | None]  # a generator call's output ("" unless needed) and its cut


@dataclass
class ModelsCache:
    """What a build records of its generated models, for the next one: per group key, the source
    of each class as datamodel-code-generator gave it; and every imported name, with its module."""

    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (module, item)
    groups: dict[str, dict[str, ClassRecord]] = field(default_factory=dict)
    uncut: str = ""  # the models key, when the generator's output for it could not be cut

    def to_json(self) -> dict[str, Any] | None:
        if not self.groups and not self.uncut:
            return None
        data: dict[str, Any] = {
            "imports": {name: list(entry) for name, entry in sorted(self.imports.items())},
            "groups": {
                key: {name: [text, list(used)] for name, (text, used) in sorted(group.items())}
                for key, group in sorted(self.groups.items())
            },
        }
        if self.uncut:
            data["uncut"] = self.uncut
        return data

    @classmethod
    def from_json(cls, data: object) -> ModelsCache | None:
        """The record read back; None when it is not one (written by hand, or by another version)."""
        try:
            assert isinstance(data, dict)
            imports = {
                str(name): (str(module), str(item))
                for name, (module, item) in data["imports"].items()
            }
            groups = {
                str(key): {
                    str(name): (str(text), tuple(str(u) for u in used))
                    for name, (text, used) in group.items()
                }
                for key, group in data["groups"].items()
            }
            uncut = data.get("uncut", "")
            assert isinstance(uncut, str)
        except (AssertionError, AttributeError, KeyError, TypeError, ValueError):
            return None
        return cls(imports, groups, uncut)


def _generate(item: ModelsInput, whole: bool) -> Output:
    """One generator call (in a worker process, or here): its output cut into classes, and the
    output itself when it is of the `whole` document (it is not needed otherwise)."""
    raw = item.raw()
    return (raw if whole else ""), _cut(raw)


def warm_up() -> None:
    """Load what datamodel-code-generator loads on its first call (about half a second), so that
    a worker process started early is ready when the models are."""
    ModelsInput({"$defs": {"Warm": {"type": "object", "title": "Warm"}}}, {}, "warm").raw()


def stand_in(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """What a model's schema is to the models that refer to it: an object of that name (with one
    field when it has fields: the generator may write a model without fields another way)."""
    fields: dict[str, Any] = {"field": {}} if definition.get("properties") else {}
    return {"type": "object", "title": name, "properties": fields}


# The keys of the last build's model groups, by a digest of their parts (the JSON text a key is
# the digest of is slower to make than the key's own memo key).
JSON_KEYS: Memo[bytes, str] = named("model_keys")


def _json_digest(parts: list[Any]) -> str:
    """The digest of `parts` as sorted JSON (what the manifest records models by)."""
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _json_key(parts: list[Any]) -> str:
    """`_json_digest(parts)`, from the memo when the last build asked for the same parts."""
    try:
        found = value_digest(parts)
    except ValueError:  # (nested too deep for marshal)
        return _json_digest(parts)
    return JSON_KEYS.get(found, functools.partial(_json_digest, parts))


def _recorded(cache: ModelsCache, group: ModelGroup) -> bool:
    """Whether `cache` holds the class of `group` (and, as far as a glance tells, only that)."""
    record = cache.groups.get(group.key, {})
    return list(record) == [group.name] and record[group.name][0].startswith(f"class {group.name}(")


def _references(schema: Any) -> set[str]:
    """The names of the models a schema refers to (`$ref` anywhere in it)."""
    found: set[str] = set()
    pending = [schema]
    while pending:  # (a walk of the containers only: a model's schema has ~10x more leaves)
        node = pending.pop()
        if type(node) is dict:
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref.rsplit("/", 1)[-1])
            pending.extend(value for value in node.values() if type(value) in (dict, list))
        elif type(node) is list:
            pending.extend(value for value in node if type(value) in (dict, list))
    return found


def _cut(raw: str) -> Cut | None:
    """datamodel-code-generator's output in parts: its imports (bound name -> (module, item)) and
    each class's source with the imported names it uses; None unless every statement after the
    imports is a class."""
    lines = raw.splitlines()
    start = 0
    imports: dict[str, tuple[str, str]] = {}
    while start < len(lines) and (
        not lines[start].strip() or lines[start].startswith(("#", "from ", "import "))
    ):
        line = lines[start]
        start += 1
        if line.startswith("from "):
            module, _, items = line[5:].partition(" import ")
            for item in items.split(", "):
                imports[item.split(" as ")[-1]] = (module, item)
        elif line.startswith("import "):
            item = line[7:]
            imports[item.split(" as ")[-1]] = ("", item)
    body = lines[start:]
    try:
        tree = ast.parse("\n".join(body))
    except SyntaxError:
        return None
    if not all(isinstance(node, ast.ClassDef) and not node.decorator_list for node in tree.body):
        return None
    classes: dict[str, ClassRecord] = {}
    nodes: list[ast.stmt] = tree.body
    for node, after in zip(nodes, [*nodes[1:], None], strict=True):
        assert isinstance(node, ast.ClassDef)
        stop = after.lineno - 1 if after is not None else len(body)
        text = "\n".join(body[node.lineno - 1 : stop]).rstrip()
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        classes[node.name] = (text, tuple(sorted(names & set(imports))))
    return imports, classes


def models_input(
    inferred: Inferred, names: Names, docs: Mapping[str, str] | None = None
) -> ModelsInput:
    """The models' input; `docs` are the class docstrings (render.model_docs), already escaped."""
    references: dict[str, set[str]] = {}
    document, aliases = schema_document(inferred, names, docs, references)
    return ModelsInput(document, aliases, names.package, references)


def generate_models(inferred: Inferred, names: Names) -> str:
    """Python source of the pydantic models (without a file header); empty when there are none."""
    return models_input(inferred, names).generate()


def sorted_imports(source: str, package: str) -> str:
    """The generated models with datamodel-code-generator's header dropped and its imports in
    isort order: __future__, the standard library, third-party packages, then the package's own
    (made relative, so that the package can be moved or renamed)."""
    lines = source.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    imports: list[str] = []
    while lines and (lines[0].startswith(("from ", "import ")) or not lines[0].strip()):
        line = lines.pop(0)
        if line.strip():
            imports.append(line)
    groups: list[list[str]] = [[], [], [], []]
    for line in imports:
        module = line.split()[1]
        if module == package or module.startswith(package + "."):
            groups[3].append(
                "from ." + line.split()[1][len(package) + 1 :] + " " + line.split(" ", 2)[2]
            )
            continue
        top = module.split(".")[0]
        group = 0 if top == "__future__" else 1 if top in sys.stdlib_module_names else 2
        groups[group].append(line)
    blocks = [
        "\n".join(sorted(group, key=lambda text: text.split()[1])) for group in groups if group
    ]
    return "\n\n".join(blocks) + "\n\n\n" + "\n".join(lines) + "\n"
