"""Referral links: checking the token a referral carried against the organizations' live links.

Only SHA-256 hashes of tokens are stored. A referral is *verified* when its token hashes to a
link that is not revoked, of an organization that is active; it is then attributed to that
organization whatever the filer typed. Anything else (no token, a wrong, revoked or
deactivated one) still gets the referral queued, marked unverified.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipline.directory import token_hash
from triage.models import Organization, ReferralToken

MAX_TOKEN_LENGTH = 100


def verify_token(session: Session, token: object) -> Organization | None:
    """The organization whose live referral link carries ``token``, or None."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    link = session.scalars(
        select(ReferralToken).where(
            ReferralToken.token_hash == token_hash(token), ReferralToken.revoked_at.is_(None)
        )
    ).one_or_none()
    if link is None or not link.organization.active:
        return None
    return link.organization
