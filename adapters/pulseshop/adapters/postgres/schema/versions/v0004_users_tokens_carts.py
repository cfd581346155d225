"""Create users, their API tokens, and the snapshot of each user's cart.

A token is stored only as the SHA-256 of its text, with the scopes it was issued with; the
text itself is shown once, when it is issued. A cart is one row per user holding the cart
actor's latest snapshot as a JSON object and the version it was saved at: writers compare
versions (optimistic concurrency), so a stale writer never overwrites a newer snapshot.
``owner_node`` and ``epoch`` say which node of a cluster owns the cart, and how many times
that ownership has moved.

As in revision 0002, the roles, the scope format and the longest email come from the
core's constants (`pulseshop.core.access`), and `tests/adapters/
test_users_tokens_carts_schema.py` pins the values this revision was written with.

Times that the application's clock writes (a token's ``created_at`` and ``expires_at``, a
cart's ``updated_at`` and ``expires_at``) are compared by CHECKs only with times written by
the same clock in the same statement: nodes' clocks may disagree by a little, so a CHECK
across two writes could refuse a correct row. ``created_at`` of users and carts is the
server's clock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op

from pulseshop.core.access import MAX_EMAIL, ROLES, SCOPE_PATTERN

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The email column's collation is "C", so `lower(email)` changes ASCII letters only and
# the lower-case CHECK means the same on every server, whatever its locale; the core
# lower-cases every letter before a row is written.
#
# One '@' with text on both sides, and no spaces or control characters anywhere: the shape
# `pulseshop.core.access.parse_email` accepts (it is stricter about non-ASCII spaces).
EMAIL_PATTERN = "^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$"

# A CHECK cannot look at array elements one by one without a subquery, so the scopes are
# joined with spaces and matched as a whole: the scope pattern allows no space, so each
# piece between spaces is one element. NULL elements, which array_to_string skips, are
# refused on their own; an empty list is left to the not-empty CHECK.
_SCOPE = SCOPE_PATTERN.removeprefix("^").removesuffix("$")
SCOPES_PATTERN = f"^{_SCOPE}( {_SCOPE})*$"


def _literal(text: str) -> str:
    """``text`` as an SQL string literal (the patterns hold no quotes, but be exact)."""
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    roles = ", ".join(_literal(role) for role in ROLES)
    op.execute(
        f"""
        CREATE TABLE users (
            id          bigint GENERATED ALWAYS AS IDENTITY
                        CONSTRAINT users_pkey PRIMARY KEY,
            email       text COLLATE "C" NOT NULL
                        CONSTRAINT users_email_key UNIQUE
                        CONSTRAINT users_email_lower_case CHECK (email = lower(email))
                        CONSTRAINT users_email_format CHECK (email ~ {_literal(EMAIL_PATTERN)})
                        CONSTRAINT users_email_length CHECK (char_length(email) <= {MAX_EMAIL}),
            role        text NOT NULL
                        CONSTRAINT users_role_known CHECK (role IN ({roles})),
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE api_tokens (
            id            bigint GENERATED ALWAYS AS IDENTITY
                          CONSTRAINT api_tokens_pkey PRIMARY KEY,
            user_id       bigint NOT NULL
                          CONSTRAINT api_tokens_user_id_fkey
                          REFERENCES users (id) ON DELETE CASCADE,
            token_sha256  bytea NOT NULL
                          CONSTRAINT api_tokens_token_sha256_key UNIQUE
                          CONSTRAINT api_tokens_token_sha256_length
                          CHECK (octet_length(token_sha256) = 32),
            scopes        text[] NOT NULL
                          CONSTRAINT api_tokens_scopes_not_empty CHECK (cardinality(scopes) >= 1)
                          CONSTRAINT api_tokens_scopes_format
                          CHECK (cardinality(scopes) = 0
                                 OR (array_ndims(scopes) = 1
                                     AND array_position(scopes, NULL) IS NULL
                                     AND array_to_string(scopes, ' ')
                                         ~ {_literal(SCOPES_PATTERN)})),
            created_at    timestamptz NOT NULL DEFAULT now(),
            expires_at    timestamptz NOT NULL,
            revoked_at    timestamptz,
            CONSTRAINT api_tokens_expires_after_created CHECK (expires_at > created_at)
        )
        """
    )
    # Deleting a user deletes their tokens: without this index each deletion reads them all.
    op.execute("CREATE INDEX api_tokens_user_id ON api_tokens (user_id)")
    op.execute(
        """
        CREATE TABLE carts (
            user_id     bigint
                        CONSTRAINT carts_pkey PRIMARY KEY
                        CONSTRAINT carts_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
            version     bigint NOT NULL
                        CONSTRAINT carts_version_range CHECK (version >= 0),
            snapshot    jsonb NOT NULL
                        CONSTRAINT carts_snapshot_object CHECK (jsonb_typeof(snapshot) = 'object'),
            owner_node  text
                        CONSTRAINT carts_owner_node_not_empty CHECK (owner_node <> ''),
            epoch       bigint NOT NULL DEFAULT 0
                        CONSTRAINT carts_epoch_range CHECK (epoch >= 0),
            created_at  timestamptz NOT NULL DEFAULT now(),
            updated_at  timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL,
            CONSTRAINT carts_expires_after_updated CHECK (expires_at > updated_at)
        )
        """
    )
    # The sweep: the carts expired by a time, oldest first, a batch at a time.
    op.execute("CREATE INDEX carts_expires_at_user_id ON carts (expires_at, user_id)")


def downgrade() -> None:
    op.execute("DROP TABLE carts")
    op.execute("DROP TABLE api_tokens")
    op.execute("DROP TABLE users")
