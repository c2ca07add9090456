from tests.organisers.fixtures import (  # noqa: F401 (fixtures, found by name)
    admin,
    admin_client,
    campaign_id,
    organiser,
    organiser_client,
    quick_login_throttle,
)
