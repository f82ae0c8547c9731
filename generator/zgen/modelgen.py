"""Stage 4b: one in-process datamodel-code-generator call turns all shapes into pydantic models."""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from datamodel_code_generator import generate
from datamodel_code_generator.enums import DataModelType, InputFileType
from datamodel_code_generator.format import PythonVersion

from .infer import Inferred, TypeRef
from .naming import Names


@functools.cache
def code_version() -> str:
    """The generator's version and a digest of this module: what shapes its output beyond the schema."""
    module = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return f"{version('datamodel-code-generator')} {module}"


def type_schema(ref: TypeRef, names: Names) -> dict[str, Any]:
    kind = ref[0]
    if kind in ("model", "recursive"):  # recursive: a model that contains itself
        return {"$ref": f"#/$defs/{names.models[ref[1]]}"}
    if kind == "list":
        return {"type": "array", "items": type_schema(ref[1], names)}
    if kind == "union":
        return {"anyOf": [type_schema(member, names) for member in ref[1]]}
    simple: dict[str, dict[str, Any]] = {
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
    return dict(simple[kind])


def schema_document(
    inferred: Inferred, names: Names, docs: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON Schema of every shape, under its class name, and the field names as scoped aliases."""
    defs: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for shape in sorted(inferred.shapes, key=lambda s: names.models[s.id]):
        name = names.models[shape.id]
        by_key = {field.key: field for field in shape.fields}
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, field_name in names.fields[shape.id]:
            field = by_key[key]
            properties[key] = type_schema(field.type, names)
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

    def key(self) -> str:
        """A digest of everything the models source depends on: the schema, the field names, the
        generator's version and options, and this module's own code (which post-processes the
        output). When it is unchanged since the last build, models.py on disk is still right and
        datamodel-code-generator need not run."""
        options = {key: str(value) for key, value in generator_options(self.package).items()}
        text = json.dumps([code_version(), options, self.document, self.aliases], sort_keys=True)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]

    def generate(self) -> str:
        """Python source of the pydantic models (without a file header); empty when there are none."""
        if not self.document["$defs"]:
            return ""
        output = generate(self.document, aliases=self.aliases, **generator_options(self.package))
        assert isinstance(output, str)
        return sorted_imports(output, self.package)


def models_input(
    inferred: Inferred, names: Names, docs: Mapping[str, str] | None = None
) -> ModelsInput:
    """The models' input; `docs` are the class docstrings (render.model_docs), already escaped."""
    document, aliases = schema_document(inferred, names, docs)
    return ModelsInput(document, aliases, names.package)


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
