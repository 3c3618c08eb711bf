"""Who may do what in the officers' app: the whole access policy, in one reviewable place.

Roles build on each other:

- **officer**: works the items of their own unit (queue, item page, attached files, messages
  with the reporter, statistics, dead letters) and sees nothing of any other unit;
- **supervisor**: as an officer, and may move an item of their own unit to another unit, with
  a reason that is recorded (their unit then loses access to it);
- **admin**: as a supervisor, and may change the directory: organizations and their referral
  links, units and their on-call contacts, which unit each officer belongs to, routing rules.

An administrator still sees only their own unit's items: configuring the directory is not a
licence to read other units' reports. (Moving an officer, themselves included, to another unit
is an audited change of membership, and takes effect for everything at once.)

How a refusal looks: anything that belongs to another unit answers 404, exactly as if it did
not exist, so that nobody learns which item ids another unit holds; a screen the officer's role
does not allow answers 403. Both are recorded as ``access-denied`` audit events
(``triage.access`` and ``triage.items`` do the recording; this module only decides).
"""

from __future__ import annotations

from triage.models import Officer, QueueItem

MOVERS = frozenset({"supervisor", "admin"})
ADMINISTRATORS = frozenset({"admin"})


def visible_unit_id(officer: Officer) -> int:
    """The only unit whose queue, statistics and dead letters the officer sees."""
    return officer.unit_id


def can_see_item(officer: Officer, item: QueueItem) -> bool:
    """An item (and its files and messages) is visible to the officers of its unit only."""
    return officer.active and item.unit_id == officer.unit_id


def can_move_item(officer: Officer, item: QueueItem) -> bool:
    """Supervisors and admins move items of their own unit to another unit."""
    return can_see_item(officer, item) and officer.role in MOVERS


def can_administer(officer: Officer) -> bool:
    """Only admins change organizations, referral links, units, memberships and routes."""
    return officer.active and officer.role in ADMINISTRATORS


DASHBOARD_ROLES = frozenset({"supervisor", "admin"})


def can_see_dashboard(officer: Officer) -> bool:
    """Supervisors and admins see their own unit's dashboard and export it; officers do not."""
    return officer.active and officer.role in DASHBOARD_ROLES


AUDIT_ROLES = frozenset({"supervisor", "admin"})


def can_see_audit_log(officer: Officer) -> bool:
    """Supervisors and admins read their unit's audit log and check the chain; officers do not."""
    return officer.active and officer.role in AUDIT_ROLES


# --- the workflow: claims, decisions, tiers (``triage.claims``, ``triage.dispositions``) ----
#
# Any officer of the item's unit claims, renews and releases their own claim, closes a decided
# item and reopens one (with a reason). Only the officer holding the claim records a
# disposition, or a supervisor/admin of the unit. Supervisors and admins also assign an item
# to an officer of the unit (taking it from whoever holds it), release anyone's claim and set
# an item's tier by hand.

WORKFLOW_LEADS = frozenset({"supervisor", "admin"})


def can_work_item(officer: Officer, item: QueueItem) -> bool:
    """Claim, renew and release one's own claim, close, reopen: any officer of the unit."""
    return can_see_item(officer, item)


def can_assign(officer: Officer, item: QueueItem) -> bool:
    """Assign or reassign an item of the unit to one of its officers, release any claim."""
    return can_see_item(officer, item) and officer.role in WORKFLOW_LEADS


def can_decide(officer: Officer, item: QueueItem) -> bool:
    """Record a disposition: the officer holding the claim, or a supervisor of the unit."""
    if not can_see_item(officer, item):
        return False
    return item.claimed_by_id == officer.id or officer.role in WORKFLOW_LEADS


def can_set_tier(officer: Officer, item: QueueItem) -> bool:
    """Set an item's tier by hand (the automatic score then leaves it alone)."""
    return can_see_item(officer, item) and officer.role in WORKFLOW_LEADS
