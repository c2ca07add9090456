"""Every model, in one import, for Alembic and for `create_all` in tests."""

from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.mail.models import OutboxMessage
from campaign.privacy.models import AnonymisationPostponement, ErasureCount
from campaign.signing.models import Signature
from campaign.tallies.models import TallyShard

__all__ = [
    "AnonymisationPostponement",
    "Campaign",
    "CampaignTranslation",
    "ErasureCount",
    "OutboxMessage",
    "Signature",
    "TallyShard",
]
