"""The overview's accounts, kept in the summary store: a provincial viewer (role ``province``) sees every school,
a school's office account (role ``school``) only its own.

The school dashboard's account functions serve them (monitor/auth.py ``Accounts``; docs/security.md): argon2id
password hashes, random session tokens of which only the SHA-256 is stored, a CSRF token per session, and
log-in throttling per (user name, client address) and per address with the same capped back-off. What differs
is named in ``OVERVIEW``: the roles, the ``school`` column, the meta key of the cookie key.
"""
from __future__ import annotations

from dataclasses import dataclass

from monitor.auth import SESSION_TTL, Accounts, Session
from monitor.core.vocab import OVERVIEW_ROLE

__all__ = ["OVERVIEW", "OVERVIEW_ROLE", "SESSION_TTL", "OverviewSession", "OverviewUser"]


@dataclass(frozen=True)
class OverviewUser:
    id: int
    username: str
    role: str
    school: str | None

    @property
    def is_province(self) -> bool:
        return self.role == "province"

    def may_see(self, school: str) -> bool:
        return self.is_province or school == self.school


OverviewSession = Session[OverviewUser]

OVERVIEW: Accounts[OverviewUser] = Accounts(
    roles=OVERVIEW_ROLE, scoped_role="school", scope_column="school", make_user=OverviewUser,
    secret_meta_key="overview_secret_key",
    scope_option="--school", scope_wanted="学校代号", scope_noun="学校", scope_source="集群文件")

validate_role = OVERVIEW.validate_role
add_user = OVERVIEW.add_user
get_user = OVERVIEW.get_user
list_users = OVERVIEW.list_users
count_users = OVERVIEW.count_users
set_password = OVERVIEW.set_password
remove_user = OVERVIEW.remove_user
create_session = OVERVIEW.create_session
get_session = OVERVIEW.get_session
end_session = OVERVIEW.end_session
secret_key = OVERVIEW.secret_key
authenticate = OVERVIEW.authenticate
