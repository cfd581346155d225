"""The catalog: products, and reading and writing them as a CSV file.

`parse_catalog` reads a file's byte lines into records, one row at a time, each problem
named by its line and column; `plan_import` says what importing them would change;
`export_rows` writes products back in the same format. No I/O happens here: the caller
opens the file and stores the plan.

>>> lines = [
...     b"sku,name,unit_price,currency,tax_category,stock,category\\n",
...     b"MUG-1,Mug,12.00,EUR,standard,40,kitchen\\n",
...     b"MUG-2,Mug,12,00,EUR,standard,40,kitchen\\n",
... ]
>>> plan = plan_import(parse_catalog(lines), current={})
>>> plan.counts
ImportCounts(created=1, updated=0, unchanged=0, failed=1)
>>> for error in plan.failures[0].errors:
...     print(error)
line 3: the row has 8 cells, the header 7: a cell holding a comma must be quoted
>>> exported = [line.encode() for line in export_rows(plan.products)]
>>> exported[1]
b'MUG-1,Mug,12.00,EUR,standard,40,kitchen,,true\\r\\n'
>>> header, *rows = parse_catalog(exported)
>>> tuple(row.product for row in rows) == plan.products
True
"""

from pulseshop.core.catalog.columns import (
    ACTIVE_WORDS,
    COLUMNS,
    KNOWN_COLUMNS,
    MAX_TIER_QUANTITY,
    OPTIONAL_FIELDS,
    REQUIRED_COLUMNS,
    TIER_PREFIX,
    Column,
    OptionalField,
    carried_fields,
    tier_column,
    tier_quantity,
)
from pulseshop.core.catalog.errors import RowError, RowErrorCode, Severity
from pulseshop.core.catalog.export import export_rows
from pulseshop.core.catalog.parse import parse_catalog
from pulseshop.core.catalog.plan import (
    COMPARED_FIELDS,
    Change,
    ChangeKind,
    FieldChange,
    FieldValue,
    ImportCounts,
    ImportPlan,
    field_changes,
    kept_tiers_error,
    plan_import,
)
from pulseshop.core.catalog.policy import IMPORT_POLICIES, ImportPolicy, rejects_all
from pulseshop.core.catalog.product import (
    IDENTIFIER_PATTERN,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STOCK,
    SKU_PATTERN,
    Product,
    is_identifier,
    is_sku,
)
from pulseshop.core.catalog.records import CatalogRecord, Header, ProductRow, RejectedRow

__all__ = [
    "ACTIVE_WORDS",
    "COLUMNS",
    "COMPARED_FIELDS",
    "IDENTIFIER_PATTERN",
    "IMPORT_POLICIES",
    "KNOWN_COLUMNS",
    "MAX_DESCRIPTION",
    "MAX_NAME",
    "MAX_STOCK",
    "MAX_TIER_QUANTITY",
    "OPTIONAL_FIELDS",
    "REQUIRED_COLUMNS",
    "SKU_PATTERN",
    "TIER_PREFIX",
    "CatalogRecord",
    "Change",
    "ChangeKind",
    "Column",
    "FieldChange",
    "FieldValue",
    "Header",
    "ImportCounts",
    "ImportPlan",
    "ImportPolicy",
    "OptionalField",
    "Product",
    "ProductRow",
    "RejectedRow",
    "RowError",
    "RowErrorCode",
    "Severity",
    "carried_fields",
    "export_rows",
    "field_changes",
    "is_identifier",
    "is_sku",
    "kept_tiers_error",
    "parse_catalog",
    "plan_import",
    "rejects_all",
    "tier_column",
    "tier_quantity",
]
