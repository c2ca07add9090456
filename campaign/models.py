"""Every model, in one import, for Alembic and for `create_all` in tests."""

from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign
from campaign.mail.models import OutboxMessage
from campaign.organisers.models import CampaignMembership, LoginThrottle, Organiser
from campaign.signing.models import Signature
from campaign.tallies.models import TallyShard

__all__ = [
    "AuditEvent",
    "Campaign",
    "CampaignMembership",
    "LoginThrottle",
    "Organiser",
    "OutboxMessage",
    "Signature",
    "TallyShard",
]
