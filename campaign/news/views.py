"""Writing to supporters, in the organiser area: the news list with each one's progress,
the form (per language, with a preview), a test to yourself, and Send, once."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import login_required
from werkzeug.wrappers.response import Response as BaseResponse

from campaign.audit.services import record_event
from campaign.campaigns.content import render_body
from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.i18n import language_name, reader_language_name
from campaign.news.forms import NewsForm, SendForm, TestSendForm, news_form
from campaign.news.models import NewsMessage, NewsState
from campaign.news.services import (
    AlreadySent,
    NewsError,
    campaign_news,
    clean_texts,
    count_recipients,
    find_news,
    news_progress,
    news_texts,
    save_draft,
    send_test,
    start_sending,
)
from campaign.organisers.auth import campaign_for_organiser, current_organiser

# A child of the organiser area (organisers/area.py): /organiser, no-store, noindex.
bp = Blueprint("news", __name__)


def _news_or_404(campaign: Campaign, news_id: int) -> NewsMessage:
    news = find_news(db.session, campaign, news_id)
    if news is None:
        abort(404)
    return news


def _form(campaign: Campaign) -> NewsForm:
    return news_form(current_app.config["LANGUAGES"], campaign.locale)


@bp.get("/campaigns/<slug>/news")
@login_required
def index(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    items = []
    for news in campaign_news(db.session, campaign):
        texts = news_texts(db.session, news.id)
        main = texts.get(campaign.locale)
        progress = news_progress(db.session, news) if news.state != NewsState.DRAFT else None
        items.append((news, main.subject if main else "", progress))
    return make_response(
        render_template(
            "news/index.html",
            campaign=campaign,
            items=items,
            recipients=count_recipients(db.session, campaign.id),
        )
    )


def _edit_page(
    campaign: Campaign, form: NewsForm, news: NewsMessage | None, status: int = 200, **extra: object
) -> Response:
    previews = []
    if news is not None:
        for locale, text in news_texts(db.session, news.id).items():
            previews.append((locale, language_name(locale), text.subject, render_body(text.body)))
        previews.sort(key=lambda preview: (preview[0] != campaign.locale, preview[0]))
    test_form = TestSendForm(prefix="test")
    test_form.locale.choices = [(code, name) for code, name, *_rest in form.pairs()]
    test_form.locale.data = (
        str(get_locale()) if str(get_locale()) in form.languages else campaign.locale
    )
    page = render_template(
        "news/edit.html",
        campaign=campaign,
        form=form,
        news=news,
        previews=previews,
        test_form=test_form,
        **extra,
    )
    return make_response(page, status)


def _save(campaign: Campaign, news: NewsMessage | None) -> BaseResponse:
    form = _form(campaign)
    if not form.validate_on_submit():
        return _edit_page(campaign, form, news, 400 if "csrf_token" in form.errors else 422)
    try:
        texts = clean_texts(form.texts(), form.languages, campaign.locale)
        saved = save_draft(
            db.session, campaign, texts, now=utcnow(), news_id=news.id if news else None
        )
    except AlreadySent:
        db.session.rollback()
        return redirect(
            url_for("organiser.news.edit", slug=campaign.slug, news_id=news.id if news else 0),
            code=303,
        )
    except NewsError as error:
        db.session.rollback()
        return _edit_page(campaign, form, news, 422, incomplete=reader_language_name(str(error)))
    db.session.commit()
    return redirect(
        url_for("organiser.news.edit", slug=campaign.slug, news_id=saved.id, saved=1) + "#preview",
        code=303,
    )


@bp.get("/campaigns/<slug>/news/new")
@login_required
def new(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    return _edit_page(campaign, _form(campaign), None)


@bp.post("/campaigns/<slug>/news/new")
@login_required
def create(slug: str) -> BaseResponse:
    return _save(campaign_for_organiser(slug), None)


@bp.get("/campaigns/<slug>/news/<int:news_id>")
@login_required
def edit(slug: str, news_id: int) -> Response:
    campaign = campaign_for_organiser(slug)
    news = _news_or_404(campaign, news_id)
    if news.state != NewsState.DRAFT:
        return _progress_page(campaign, news)
    form = _form(campaign)
    form.fill(news_texts(db.session, news.id))
    tested = request.args.get("tested", "")
    return _edit_page(
        campaign,
        form,
        news,
        saved=request.args.get("saved") == "1",
        tested=tested in form.languages,
        tested_name=reader_language_name(tested) if tested in form.languages else "",
    )


@bp.post("/campaigns/<slug>/news/<int:news_id>")
@login_required
def update(slug: str, news_id: int) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    return _save(campaign, _news_or_404(campaign, news_id))


@bp.post("/campaigns/<slug>/news/<int:news_id>/test")
@login_required
def test(slug: str, news_id: int) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    news = _news_or_404(campaign, news_id)
    form = TestSendForm(prefix="test")
    form.locale.choices = [(code, code) for code in current_app.config["LANGUAGES"]]
    if not form.validate_on_submit():
        abort(400)
    organiser = current_organiser()
    used = send_test(
        db.session, campaign, news, locale=form.locale.data, recipient=organiser.email, now=utcnow()
    )
    db.session.commit()
    return redirect(
        url_for("organiser.news.edit", slug=slug, news_id=news.id, tested=used) + "#test",
        code=303,
    )


@bp.get("/campaigns/<slug>/news/<int:news_id>/send")
@login_required
def confirm(slug: str, news_id: int) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    news = _news_or_404(campaign, news_id)
    if news.state != NewsState.DRAFT:
        return redirect(url_for("organiser.news.edit", slug=slug, news_id=news.id), code=303)
    texts = news_texts(db.session, news.id)
    return make_response(
        render_template(
            "news/confirm.html",
            campaign=campaign,
            news=news,
            subject=texts[campaign.locale].subject if campaign.locale in texts else "",
            languages=[language_name(code) for code in sorted(texts)],
            recipients=count_recipients(db.session, campaign.id),
            form=SendForm(),
        )
    )


@bp.post("/campaigns/<slug>/news/<int:news_id>/send")
@login_required
def send(slug: str, news_id: int) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    news = _news_or_404(campaign, news_id)
    if not SendForm().validate_on_submit():
        abort(400)
    now = utcnow()
    if start_sending(db.session, news, now=now):
        texts = news_texts(db.session, news.id)
        record_event(
            db.session,
            actor=current_organiser(),
            action="news.send",
            campaign_id=campaign.id,
            details={"news": news.id, "subject": texts[campaign.locale].subject},
            now=now,
            completed=False,
        )
        db.session.commit()
    return redirect(url_for("organiser.news.edit", slug=slug, news_id=news.id), code=303)


def _progress_page(campaign: Campaign, news: NewsMessage) -> Response:
    texts = news_texts(db.session, news.id)
    return make_response(
        render_template(
            "news/progress.html",
            campaign=campaign,
            news=news,
            previews=sorted(
                (
                    (locale, language_name(locale), text.subject, render_body(text.body))
                    for locale, text in texts.items()
                ),
                key=lambda preview: (preview[0] != campaign.locale, preview[0]),
            ),
            progress=news_progress(db.session, news),
            form=SendForm(),
        )
    )
