"""Backroom's data layer, as the rest of Backroom sees it.

Screens, the command line and the tests import this module; the parts live
in the package ``datalayer`` beside it, one concern a module, each depending
only on those before it:

    errors, connection → tables → textsearch → transactions, migrations, defaults, lookup, session,
    audit → admins, parsing → sshaccess, selection → access → taxes, grouppolicy → changes → groups →
    groupdelete, customers, passwords,
    orders, erasure, reviews → reviewrules, explain, rules, outbox → demo, imports/, exports, auditlog, massactions
    → undo

Everything that changes data goes through an operation re-exported here.  An
operation validates its input, runs in one transaction and writes an audit
entry; the TUI, the command line and the tests all call the same functions.

The database is chosen by a URL (``sqlite:///path.db``, ``postgresql://…``,
``mysql://…``) and bound to the tables through :data:`db`, a proxy.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name Backroom uses from the data layer, by the module of the package
# ``datalayer`` it comes from ("name as alias": re-exported under the alias).
# A module is imported when one of its names is first used (PEP 562): the
# command line and the TUI's first screen import only the parts they use
# (the tables, the connection, the groups), not the imports, exports, demo
# data or reviews; ``from backroom.models import X`` works as before.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "access": ("ProductChoice", "categories", "category_discounts", "group_category_access", "product_choices",
        "set_category_access", "set_category_discount", "set_category_restricted"),
    "admins": ("PERMISSIONS", "ROLES", "AdminRow", "add_admin", "authorized_keys_line", "key_fingerprint",
        "check_permission", "check_name", "list_admins", "may", "parse_ssh_key", "refusal", "remove_admin",
        "requires", "session_admin", "set_admin_role", "use_admin"),
    "audit": ("audit", "current_actor", "set_actor"),
    "auditlog": ("AUDIT_PAGE_MAX", "AuditCursor", "AuditFilter", "AuditRow", "audit_count", "audit_entry",
        "audit_filter", "audit_page", "audit_window", "describe_change"),
    "massactions": ("BULK_STATUSES", "move_customers", "set_customers_status"),
    "undo": ("MembershipOperation", "last_membership_change", "membership_change", "undo_membership_change"),
    "connection": ("DATABASE_ERRORS", "SQLITE_PRAGMAS", "db", "default_data_dir", "default_url",
        "describe_database_error", "first_line", "is_database_error", "is_mysql", "is_postgres", "is_sqlite",
        "make_database", "pool_connections", "redact_url", "release_connection"),
    "catalogue": ("create_category", "create_product"),
    "customers": ("ADDRESS_LIMITS", "CUSTOMER_FIELDS", "CUSTOMER_SORTS", "EMAIL_RE", "CustomerRow",
        "CustomerWrite", "assignable_groups", "count_customers", "create_customer", "customer_groups",
        "customer_keys", "customer_page", "customer_query", "disable_account", "disable_customer", "find_customer",
        "get_addresses", "has_customers", "join_group", "leave_group", "normalize_email", "reset_account_password",
        "save_addresses", "set_default_group", "update_customer"),
    "defaults": ("DEFAULT_GROUPS", "ensure_defaults"),
    "demo": ("CATEGORIES", "CITIES", "DOMAINS", "FIRST_NAMES", "LAST_NAMES", "PRODUCT_WORDS", "REVIEW_BODIES",
        "REVIEW_TITLES", "STREETS", "seed", "seed_reviews"),
    "erasure": ("PERSONAL_FIELDS", "erase_customer"),
    "errors": ("BackroomError", "ConflictError", "DateParseError", "LockedError", "NotFoundError",
        "PermissionDenied", "SchemaError", "ValidationError"),
    "exports": ("EXPORT_FORMATS", "REVIEW_COLUMNS", "export_customers", "export_reviews"),
    "explain": ("Explanation", "customer_facing_groups", "explain"),
    "sshaccess": ("SSH_COMMANDS", "install_authorized_key", "ssh_command"),
    "grouppolicy": ("GroupPermissions", "group_permissions"),
    "groups": ("CODE_RE", "GROUP_FIELDS", "GroupRow", "assign_customers", "create_group", "delete_group",
        "group_member_count", "group_row", "list_groups", "tax_classes", "unassign_customers", "update_group"),
    "groupdelete": ("DELETE_MANY_MAX", "DeletedGroup", "delete_groups"),
    "imports.addresses": ("ADDRESS_FORMAT_NAMES", "import_addresses"),
    "imports.common": ("ImportCancelled", "ImportPreview", "ImportReport", "RowProblem", "Seen",
        "describe as describe_import", "rejects_path_for", "report_lines as import_report_lines"),
    "imports.customers": ("import_customers", "preview_customer_file"),
    "imports.formats": ("CUSTOMER_IMPORT_FIELDS", "FORMAT_NAMES as IMPORT_FORMATS",
        "parse_map as parse_import_map"),
    "imports.orders": ("NOT_COUNTED", "ORDER_STATUSES", "import_orders"),
    "imports.reviews": ("REVIEW_IMPORT_FIELDS", "import_reviews"),
    "imports.savedmaps": ("MAP_KINDS as IMPORT_MAP_KINDS", "SavedMap", "delete_saved_map", "list_saved_maps",
        "save_map as save_import_map", "saved_map"),
    "imports.sniff": ("FileProblem",),
    "lookup": ("ID_MAX", "general_group", "get_customer", "get_group", "get_group_by_code", "guest_group"),
    "migrations": ("MIGRATIONS", "SCHEMA_VERSION", "migrate_schema", "schema_version"),
    "orders": ("POINTS_MAX", "OrderRow", "adjust_reward_points", "customer_orders", "place_order",
        "reward_balance", "reward_ledger"),
    "outbox": ("OutboxRow", "export_outbox", "outbox", "outbox_count", "outbox_page", "outbox_watermark"),
    "parsing": ("DATE_MAX", "DATE_MIN", "MONEY_MAX", "clean_line", "has_control_chars", "money", "parse_date",
        "parse_money"),
    "shopmoney": ("DEFAULT_FORMAT", "MoneyFormat", "format_money", "load_money_format", "money_format",
        "parse_amount", "parse_sample", "plain_amount", "set_money_format"),
    "taxes": ("TAX_NAME_MAX", "TaxClassRow", "add_tax_class", "default_tax_class_id", "delete_tax_class",
        "find_tax_class", "get_tax_class", "list_tax_classes", "rename_tax_class", "set_default_tax_class",
        "tax_class_delete_refused"),
    "text": ("inert_block", "inert_json", "inert_line", "is_inert"),
    "passwords": ("PASSWORD_MAX", "PASSWORD_MIN", "generate_password", "hash_password", "reset_password",
        "verify_password"),
    "reviews": ("ReviewFilter", "ReviewRow", "build_review_filter", "count_reviews", "get_review",
        "moderate_reviews", "rating_distribution", "review_history", "review_page", "review_position",
        "review_search_text", "review_status_counts"),
    "reviewrules": ("REASON_MAX", "REPLY_MAX", "LastDecision", "ReasonRow", "ReviewRule", "add_review_reason",
        "apply_review_rule", "delete_review_reason", "last_decision", "list_review_reasons", "preview_review_rule",
        "rename_review_reason", "review_rule", "set_review_reply", "set_review_rule", "undo_last_moderation"),
    "rules": ("ORDER_COUNT_MAX", "RULE_FIELDS", "Rule", "RulePreview", "apply_rules", "get_rules", "preview_rules",
        "set_rules"),
    "selection": ("SELECTABLE_ROWS", "CustomerFilter", "Selection", "build_filter", "count_selection",
        "selected_among", "which_selected"),
    "session": ("NoDatabaseError", "connect", "database_exists", "share_with_group"),
    "tables": ("ACCOUNT_TYPES", "ADDRESS_KINDS", "ADMIN_ROLES", "ALL_MODELS", "CUSTOMER_STATUSES", "LANGUAGES",
        "MEMBERSHIP_SOURCES", "REVIEW_STATUSES", "Address", "Admin", "AuditEntry", "BaseModel", "Category",
        "CategoryAccess", "CategoryDiscount", "Customer", "CustomerGroup", "GroupRuleSet", "Membership",
        "MembershipChange", "MembershipEnd", "Notification", "Order", "OrderLine", "Product", "Review",
        "ReviewEvent", "ReviewReason", "RewardPointEntry", "SchemaMeta", "TaxClass", "utcnow"),
    "transactions": ("read_snapshot",),
}

_WHERE: dict[str, tuple[str, str]] = {}
for _module, _names in _EXPORTS.items():
    for _entry in _names:
        _name, _, _alias = _entry.partition(" as ")
        _WHERE[_alias or _name] = (_module, _name)
del _module, _names, _entry, _name, _alias

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """``models.X``: imported from its module on first use, then kept here."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__package__}.datalayer.{where[0]}"), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
