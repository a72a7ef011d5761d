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

from .datalayer.access import (  # noqa: F401
    ProductChoice,
    categories,
    category_discounts,
    group_category_access,
    product_choices,
    set_category_access,
    set_category_discount,
    set_category_restricted,
)
from .datalayer.admins import (  # noqa: F401
    PERMISSIONS,
    ROLES,
    AdminRow,
    add_admin,
    authorized_keys_line,
    key_fingerprint,
    check_permission,
    check_name,
    list_admins,
    may,
    parse_ssh_key,
    refusal,
    remove_admin,
    requires,
    session_admin,
    set_admin_role,
    use_admin,
)
from .datalayer.audit import (  # noqa: F401
    audit,
    current_actor,
    set_actor,
)
from .datalayer.auditlog import (  # noqa: F401
    AUDIT_PAGE_MAX,
    AuditCursor,
    AuditFilter,
    AuditRow,
    audit_count,
    audit_entry,
    audit_filter,
    audit_page,
    audit_window,
    describe_change,
)
from .datalayer.massactions import (  # noqa: F401
    BULK_STATUSES,
    move_customers,
    set_customers_status,
)
from .datalayer.undo import (  # noqa: F401
    MembershipOperation,
    last_membership_change,
    membership_change,
    undo_membership_change,
)
from .datalayer.connection import (  # noqa: F401
    DATABASE_ERRORS,
    SQLITE_PRAGMAS,
    db,
    default_data_dir,
    default_url,
    describe_database_error,
    first_line,
    is_database_error,
    is_mysql,
    is_postgres,
    is_sqlite,
    make_database,
    pool_connections,
    redact_url,
    release_connection,
)
from .datalayer.catalogue import (  # noqa: F401
    create_category,
    create_product,
)
from .datalayer.customers import (  # noqa: F401
    ADDRESS_LIMITS,
    CUSTOMER_FIELDS,
    CUSTOMER_SORTS,
    EMAIL_RE,
    CustomerRow,
    CustomerWrite,
    assignable_groups,
    count_customers,
    create_customer,
    customer_groups,
    customer_keys,
    customer_page,
    customer_query,
    disable_account,
    disable_customer,
    find_customer,
    get_addresses,
    has_customers,
    join_group,
    leave_group,
    normalize_email,
    reset_account_password,
    save_addresses,
    set_default_group,
    update_customer,
)
from .datalayer.defaults import (  # noqa: F401
    DEFAULT_GROUPS,
    ensure_defaults,
)
from .datalayer.demo import (  # noqa: F401
    CATEGORIES,
    CITIES,
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    PRODUCT_WORDS,
    REVIEW_BODIES,
    REVIEW_TITLES,
    STREETS,
    seed,
    seed_reviews,
)
from .datalayer.erasure import (  # noqa: F401
    PERSONAL_FIELDS,
    erase_customer,
)
from .datalayer.errors import (  # noqa: F401
    BackroomError,
    ConflictError,
    DateParseError,
    LockedError,
    NotFoundError,
    PermissionDenied,
    SchemaError,
    ValidationError,
)
from .datalayer.exports import (  # noqa: F401
    EXPORT_FORMATS,
    REVIEW_COLUMNS,
    export_customers,
    export_reviews,
)
from .datalayer.explain import (  # noqa: F401
    Explanation,
    customer_facing_groups,
    explain,
)
from .datalayer.sshaccess import SSH_COMMANDS, install_authorized_key, ssh_command  # noqa: F401
from .datalayer.grouppolicy import GroupPermissions, group_permissions  # noqa: F401
from .datalayer.groups import (  # noqa: F401
    CODE_RE,
    GROUP_FIELDS,
    GroupRow,
    assign_customers,
    create_group,
    delete_group,
    group_member_count,
    group_row,
    list_groups,
    tax_classes,
    unassign_customers,
    update_group,
)
from .datalayer.groupdelete import (  # noqa: F401
    DELETE_MANY_MAX,
    DeletedGroup,
    delete_groups,
)
from .datalayer.imports.addresses import (  # noqa: F401
    ADDRESS_FORMAT_NAMES,
    import_addresses,
)
from .datalayer.imports.common import (  # noqa: F401
    ImportCancelled,
    ImportPreview,
    ImportReport,
    RowProblem,
    Seen,
    describe as describe_import,
    rejects_path_for,
    report_lines as import_report_lines,
)
from .datalayer.imports.customers import (  # noqa: F401
    import_customers,
    preview_customer_file,
)
from .datalayer.imports.formats import (  # noqa: F401
    CUSTOMER_IMPORT_FIELDS,
    FORMAT_NAMES as IMPORT_FORMATS,
    parse_map as parse_import_map,
)
from .datalayer.imports.orders import (  # noqa: F401
    NOT_COUNTED,
    ORDER_STATUSES,
    import_orders,
)
from .datalayer.imports.reviews import (  # noqa: F401
    REVIEW_IMPORT_FIELDS,
    import_reviews,
)
from .datalayer.imports.savedmaps import (  # noqa: F401
    MAP_KINDS as IMPORT_MAP_KINDS,
    SavedMap,
    delete_saved_map,
    list_saved_maps,
    save_map as save_import_map,
    saved_map,
)
from .datalayer.imports.sniff import (  # noqa: F401
    FileProblem,
)
from .datalayer.lookup import (  # noqa: F401
    ID_MAX,
    general_group,
    get_customer,
    get_group,
    get_group_by_code,
    guest_group,
)
from .datalayer.migrations import (  # noqa: F401
    MIGRATIONS,
    SCHEMA_VERSION,
    migrate_schema,
    schema_version,
)
from .datalayer.orders import (  # noqa: F401
    POINTS_MAX,
    OrderRow,
    adjust_reward_points,
    customer_orders,
    place_order,
    reward_balance,
    reward_ledger,
)
from .datalayer.outbox import (  # noqa: F401
    OutboxRow,
    export_outbox,
    outbox,
    outbox_count,
    outbox_page,
    outbox_watermark,
)
from .datalayer.parsing import (  # noqa: F401
    DATE_MAX,
    DATE_MIN,
    MONEY_MAX,
    clean_line,
    has_control_chars,
    money,
    parse_date,
    parse_money,
)
from .datalayer.shopmoney import (  # noqa: F401
    DEFAULT_FORMAT,
    MoneyFormat,
    format_money,
    load_money_format,
    money_format,
    parse_amount,
    parse_sample,
    plain_amount,
    set_money_format,
)
from .datalayer.taxes import (  # noqa: F401
    TAX_NAME_MAX,
    TaxClassRow,
    add_tax_class,
    default_tax_class_id,
    delete_tax_class,
    find_tax_class,
    get_tax_class,
    list_tax_classes,
    rename_tax_class,
    set_default_tax_class,
    tax_class_delete_refused,
)
from .datalayer.text import (  # noqa: F401
    inert_block,
    inert_json,
    inert_line,
    is_inert,
)
from .datalayer.passwords import (  # noqa: F401
    PASSWORD_MAX,
    PASSWORD_MIN,
    generate_password,
    hash_password,
    reset_password,
    verify_password,
)
from .datalayer.reviews import (  # noqa: F401
    ReviewFilter,
    ReviewRow,
    build_review_filter,
    count_reviews,
    get_review,
    moderate_reviews,
    rating_distribution,
    review_history,
    review_page,
    review_position,
    review_search_text,
    review_status_counts,
)
from .datalayer.reviewrules import (  # noqa: F401
    REASON_MAX,
    REPLY_MAX,
    LastDecision,
    ReasonRow,
    ReviewRule,
    add_review_reason,
    apply_review_rule,
    delete_review_reason,
    last_decision,
    list_review_reasons,
    preview_review_rule,
    rename_review_reason,
    review_rule,
    set_review_reply,
    set_review_rule,
    undo_last_moderation,
)
from .datalayer.rules import (  # noqa: F401
    ORDER_COUNT_MAX,
    RULE_FIELDS,
    Rule,
    RulePreview,
    apply_rules,
    get_rules,
    preview_rules,
    set_rules,
)
from .datalayer.selection import (  # noqa: F401
    SELECTABLE_ROWS,
    CustomerFilter,
    Selection,
    build_filter,
    count_selection,
    selected_among,
    which_selected,
)
from .datalayer.session import (  # noqa: F401
    NoDatabaseError,
    connect,
    database_exists,
    share_with_group,
)
from .datalayer.tables import (  # noqa: F401
    ACCOUNT_TYPES,
    ADDRESS_KINDS,
    ADMIN_ROLES,
    ALL_MODELS,
    CUSTOMER_STATUSES,
    LANGUAGES,
    MEMBERSHIP_SOURCES,
    REVIEW_STATUSES,
    Address,
    Admin,
    AuditEntry,
    BaseModel,
    Category,
    CategoryAccess,
    CategoryDiscount,
    Customer,
    CustomerGroup,
    GroupRuleSet,
    Membership,
    MembershipChange,
    MembershipEnd,
    Notification,
    Order,
    OrderLine,
    Product,
    Review,
    ReviewEvent,
    ReviewReason,
    RewardPointEntry,
    SchemaMeta,
    TaxClass,
    utcnow,
)
from .datalayer.transactions import (  # noqa: F401
    read_snapshot,
)
