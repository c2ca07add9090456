"""Every model, in one import, for Alembic and for `create_all` in tests."""

from campaign.api.models import ApiKey, SignatureDeletion
from campaign.audit.models import AuditEvent
from campaign.branding.models import OrganisationIdentity
from campaign.campaigns.image_models import CampaignPicture, CampaignPictureAlt
from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.mail.models import EmailMessage
from campaign.news.models import NewsDelivery, NewsMessage, NewsText
from campaign.organisers.account_models import (
    AccountLink,
    AccountPolicy,
    Invitation,
    OrganiserSession,
    RecoveryCode,
)
from campaign.organisers.models import CampaignMembership, LoginThrottle, Organiser
from campaign.outbox.models import OutboxMessage
from campaign.privacy.models import AnonymisationPostponement, ErasureCount
from campaign.signing.models import Signature
from campaign.tallies.models import TallyShard
from campaign.webhooks.models import WebhookEndpoint, WebhookMessage

__all__ = [
    "AccountLink",
    "AccountPolicy",
    "AnonymisationPostponement",
    "ApiKey",
    "AuditEvent",
    "Campaign",
    "CampaignMembership",
    "CampaignPicture",
    "CampaignPictureAlt",
    "CampaignTranslation",
    "EmailMessage",
    "ErasureCount",
    "Invitation",
    "LoginThrottle",
    "NewsDelivery",
    "NewsMessage",
    "NewsText",
    "OrganisationIdentity",
    "Organiser",
    "OrganiserSession",
    "OutboxMessage",
    "RecoveryCode",
    "Signature",
    "SignatureDeletion",
    "TallyShard",
    "WebhookEndpoint",
    "WebhookMessage",
]
