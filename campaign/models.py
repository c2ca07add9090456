"""Every model, in one import, for Alembic and for `create_all` in tests."""

from campaign.audit.models import AuditEvent
from campaign.branding.models import OrganisationIdentity
from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.mail.models import EmailMessage
from campaign.organisers.models import CampaignMembership, LoginThrottle, Organiser
from campaign.outbox.models import OutboxMessage
from campaign.privacy.models import AnonymisationPostponement, ErasureCount
from campaign.signing.models import Signature
from campaign.tallies.models import TallyShard

__all__ = [
    "AnonymisationPostponement",
    "AuditEvent",
    "Campaign",
    "CampaignMembership",
    "CampaignTranslation",
    "EmailMessage",
    "ErasureCount",
    "LoginThrottle",
    "OrganisationIdentity",
    "Organiser",
    "OutboxMessage",
    "Signature",
    "TallyShard",
]
