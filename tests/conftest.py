"""Every fixture lives in tests/fixtures/, one of each, registered here for the whole suite.

| module | fixtures |
| --- | --- |
| database | `database_url`, `app`, `make_app`, `client`, `runner`, `empty_app` (migrations) |
| mail | `smtp_server`, `smtp_app` |
| data | `campaign`, `campaign_id`, `seeded` |
| organisers | `organiser`, `admin`, `organiser_client`, `admin_client`, `creator_client`; |
| | `quick_login_throttle` |
| servers | `live_server` (gunicorn), `dev_server` (the development server) |
| browser | `browser`, `visit`, `deliver_mail` |
| mutation | no fixture: the order of tests under a mutant (`make mutate`) |

`quick_login_throttle` is automatic for every test with an app: cheap password hashing and
no login slowdown. Factories that build data are in tests/factories.py; helpers that read
back what the app stored and sent are in tests/helpers.py.
"""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.mail",
    "tests.fixtures.data",
    "tests.fixtures.organisers",
    "tests.fixtures.servers",
    "tests.fixtures.browser",
    "tests.fixtures.mutation",
]
