"""Flask extensions, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from campaign.database import Base
from campaign.identity import client_address

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
talisman = Talisman()
limiter = Limiter(key_func=client_address)
login_manager = LoginManager()
