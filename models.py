"""Backroom's data layer, as the rest of Backroom sees it.

Screens, the command line and the tests import this module; the parts live
in the package ``datalayer`` beside it, one concern a module, each depending
only on those before it:

    errors, connection → tables → migrations, defaults, lookup, session,
    audit, parsing → selection → access → groups → customers, passwords,
    orders, erasure, reviews → explain, rules, outbox → demo

Everything that changes data goes through an operation re-exported here.  An
operation validates its input, runs in one transaction and writes an audit
entry; the TUI, the command line and the tests all call the same functions.

The database is chosen by a URL (``sqlite:///path.db``, ``postgresql://…``,
``mysql://…``) and bound to the tables through :data:`db`, a proxy.
"""

from __future__ import annotations

from .datalayer.errors import (  # noqa: F401
    BackroomError,
    ValidationError,
    NotFoundError,
    LockedError,
    ConflictError,
    SchemaError,
    DateParseError,
)
from .datalayer.connection import (  # noqa: F401
    db,
    SQLITE_PRAGMAS,
    default_data_dir,
    default_url,
    redact_url,
    make_database,
    first_line,
    is_sqlite,
    is_mysql,
    is_postgres,
    DATABASE_ERRORS,
    is_database_error,
    release_connection,
)
from .datalayer.tables import (  # noqa: F401
    utcnow,
    BaseModel,
    SchemaMeta,
    TaxClass,
    CustomerGroup,
    CUSTOMER_STATUSES,
    ACCOUNT_TYPES,
    LANGUAGES,
    Customer,
    ADDRESS_KINDS,
    Address,
    MEMBERSHIP_SOURCES,
    Membership,
    Category,
    CategoryAccess,
    CategoryDiscount,
    GroupRuleSet,
    Product,
    Order,
    OrderLine,
    RewardPointEntry,
    REVIEW_STATUSES,
    Review,
    ReviewEvent,
    Notification,
    AuditEntry,
    ALL_MODELS,
)
from .datalayer.migrations import (  # noqa: F401
    SCHEMA_VERSION,
    schema_version,
    MIGRATIONS,
    migrate_schema,
)
from .datalayer.defaults import (  # noqa: F401
    DEFAULT_GROUPS,
    ensure_defaults,
)
from .datalayer.lookup import (  # noqa: F401
    general_group,
    guest_group,
    get_group,
    get_group_by_code,
    get_customer,
)
from .datalayer.session import (  # noqa: F401
    connect,
)
from .datalayer.audit import (  # noqa: F401
    current_actor,
    set_actor,
    audit,
)
from .datalayer.parsing import (  # noqa: F401
    has_control_chars,
    clean_line,
    parse_date,
    money,
    format_percent,
    parse_money,
)
from .datalayer.selection import (  # noqa: F401
    CustomerFilter,
    build_filter,
    Selection,
    selected_among,
    SELECTABLE_ROWS,
    count_selection,
    which_selected,
)
from .datalayer.access import (  # noqa: F401
    categories,
    group_category_access,
    set_category_access,
    set_category_restricted,
    category_discounts,
    set_category_discount,
    ProductChoice,
    product_choices,
)
from .datalayer.groups import (  # noqa: F401
    CODE_RE,
    GROUP_FIELDS,
    GroupRow,
    create_group,
    update_group,
    delete_group,
    assign_customers,
    unassign_customers,
    list_groups,
    group_member_count,
    tax_classes,
    group_row,
    GroupPermissions,
    group_permissions,
)
from .datalayer.customers import (  # noqa: F401
    EMAIL_RE,
    CUSTOMER_SORTS,
    normalize_email,
    create_customer,
    update_customer,
    disable_customer,
    CustomerRow,
    customer_query,
    count_customers,
    customer_page,
    customer_groups,
    ADDRESS_LIMITS,
    get_addresses,
    save_addresses,
    set_default_group,
    has_customers,
    find_customer,
    CustomerWrite,
    assignable_groups,
    join_group,
    leave_group,
    disable_account,
    reset_account_password,
)
from .datalayer.passwords import (  # noqa: F401
    hash_password,
    verify_password,
    PASSWORD_MIN,
    PASSWORD_MAX,
    generate_password,
    reset_password,
)
from .datalayer.orders import (  # noqa: F401
    place_order,
    OrderRow,
    customer_orders,
    reward_balance,
    reward_ledger,
    adjust_reward_points,
)
from .datalayer.erasure import (  # noqa: F401
    PERSONAL_FIELDS,
    erase_customer,
)
from .datalayer.reviews import (  # noqa: F401
    ReviewFilter,
    build_review_filter,
    ReviewRow,
    review_page,
    get_review,
    count_reviews,
    review_position,
    review_status_counts,
    rating_distribution,
    review_history,
    moderate_reviews,
)
from .datalayer.explain import (  # noqa: F401
    Explanation,
    explain,
    customer_facing_groups,
)
from .datalayer.rules import (  # noqa: F401
    RULE_FIELDS,
    Rule,
    get_rules,
    set_rules,
    RulePreview,
    preview_rules,
    apply_rules,
)
from .datalayer.outbox import (  # noqa: F401
    OutboxRow,
    outbox_watermark,
    outbox,
    outbox_count,
    export_outbox,
)
from .datalayer.demo import (  # noqa: F401
    FIRST_NAMES,
    LAST_NAMES,
    CITIES,
    STREETS,
    DOMAINS,
    CATEGORIES,
    PRODUCT_WORDS,
    REVIEW_TITLES,
    REVIEW_BODIES,
    seed_reviews,
    seed,
)
