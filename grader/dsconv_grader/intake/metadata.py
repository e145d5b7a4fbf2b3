"""nbgrader's check of the cells' nbgrader metadata, with its JSON schema checked once per process.

nbgrader's `CheckCellMetadata` validates each cell's metadata with
`jsonschema.validate`, which first checks the schema itself against JSON
Schema's meta-schema, for every cell: 37 ms a notebook, twice for each graded
notebook (autograde runs the check before and after executing), nearly all of
it spent checking the same schema again. `CheckCellMetadata` here applies the
same rules (nbgrader's `MetadataValidator`: the schema version, the schema, then
its own checks of grade ids, points and cell types) and raises the same errors;
only the schema's own check is done once.

nbgrader_config.py lists it in place of nbgrader's, in both of Autograde's lists.
"""

from __future__ import annotations

from typing import Any

import jsonschema
from nbformat import NotebookNode
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheckCellMetadata


class _SchemaCheckedOnce(BaseMetadataValidator):
    """BaseMetadataValidator.validate_cell with a validator built once for the schema."""

    def validate_cell(self, cell: NotebookNode) -> None:
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        if version > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        error = jsonschema.exceptions.best_match(_validator(self.schema_version, self.schema)
                                                 .iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class _Validator(MetadataValidator, _SchemaCheckedOnce):
    """nbgrader's MetadataValidator, whose call of its base's validate_cell reaches `_SchemaCheckedOnce`'s."""


_VALIDATORS: dict[int, Any] = {}


def _validator(version: int, schema: dict) -> Any:
    """The jsonschema validator of nbgrader's metadata schema `version`, the schema checked as it is built."""
    if version not in _VALIDATORS:
        kind = jsonschema.validators.validator_for(schema)
        kind.check_schema(schema)
        _VALIDATORS[version] = kind(schema)
    return _VALIDATORS[version]


class CheckCellMetadata(NbgraderCheckCellMetadata):
    """nbgrader's CheckCellMetadata (the same checks, errors and log), the schema checked once per process."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        try:
            _Validator().validate_nb(nb)
        except ValidationError:
            return super().preprocess(nb, resources)  # nbgrader's own run: its log lines and its error
        return nb, resources
