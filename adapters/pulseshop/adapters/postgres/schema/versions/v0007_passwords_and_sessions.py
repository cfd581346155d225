"""Give users an optional password, and store the sessions that signing in starts.

``users.password_hash`` is an argon2id hash in the PHC string format (``$argon2id$v=19$
m=...,t=...,p=...$salt$hash``), written by `pulseshop.adapters.passwords`; NULL means the
user has no password and uses API tokens only. The CHECK holds the algorithm's prefix only,
so that the hasher's parameters can change without a migration.

A session is stored, as an API token is, only as the SHA-256 of its random token, with a
random CSRF secret of 32 bytes. It ends at the first of three times: ``idle_expires_at``,
which each use slides forward; ``absolute_expires_at``, which nothing moves; and
``revoked_at``, when the user signs out or their sessions are ended.

As revision 0004 explains, CHECKs compare only times that one statement writes from one
clock, or that the statements keep in order by construction: an insert writes the four
times from the same ``now``; a touch writes ``last_seen_at = greatest(last_seen_at, now)``
and an idle expiry capped by the absolute one, and only while the session is live; a
revocation writes ``greatest(now, created_at)``. So a node whose clock is a little behind
another's never has its write refused.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ARGON2ID_PREFIX_PATTERN = r"^\$argon2id\$"


def upgrade() -> None:
    op.execute(
        f"""
        ALTER TABLE users
            ADD COLUMN password_hash text
                CONSTRAINT users_password_hash_argon2id
                CHECK (password_hash ~ '{ARGON2ID_PREFIX_PATTERN}')
        """
    )
    op.execute(
        """
        CREATE TABLE sessions (
            id                   bigint GENERATED ALWAYS AS IDENTITY
                                 CONSTRAINT sessions_pkey PRIMARY KEY,
            token_sha256         bytea NOT NULL
                                 CONSTRAINT sessions_token_sha256_key UNIQUE
                                 CONSTRAINT sessions_token_sha256_length
                                 CHECK (octet_length(token_sha256) = 32),
            user_id              bigint NOT NULL
                                 CONSTRAINT sessions_user_id_fkey
                                 REFERENCES users (id) ON DELETE CASCADE,
            csrf_secret          bytea NOT NULL
                                 CONSTRAINT sessions_csrf_secret_length
                                 CHECK (octet_length(csrf_secret) = 32),
            created_at           timestamptz NOT NULL,
            last_seen_at         timestamptz NOT NULL,
            idle_expires_at      timestamptz NOT NULL,
            absolute_expires_at  timestamptz NOT NULL,
            revoked_at           timestamptz,
            CONSTRAINT sessions_seen_after_created CHECK (last_seen_at >= created_at),
            CONSTRAINT sessions_idle_expires_after_seen CHECK (idle_expires_at > last_seen_at),
            CONSTRAINT sessions_idle_expires_by_absolute
                CHECK (idle_expires_at <= absolute_expires_at),
            CONSTRAINT sessions_revoked_after_created CHECK (revoked_at >= created_at)
        )
        """
    )
    # The sweep: the idle expiry never passes the absolute one, so a session is over for
    # good once its idle expiry has passed (revoked sessions too: none is slid any more).
    op.execute("CREATE INDEX sessions_idle_expires_at ON sessions (idle_expires_at)")
    # Ending a user's sessions, and deleting a user, find them by user.
    op.execute("CREATE INDEX sessions_user_id ON sessions (user_id)")


def downgrade() -> None:
    op.execute("DROP TABLE sessions")
    op.execute("ALTER TABLE users DROP COLUMN password_hash")
