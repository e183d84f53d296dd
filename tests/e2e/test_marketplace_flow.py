"""From sign-up to a published achievement that a stranger finds by searching, in a real browser."""

import re

import pytest
from django.core import mail

from accounts.models import User
from marketplace.models import Achievement, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_up_post_submit_and_find_without_the_contact(page, staff_user, live_server):
    page.goto("/accounts/signup/")
    page.fill("#id_email", "owner@hfut.edu.cn")
    page.fill("#id_full_name", "陈静")
    page.fill("#id_password1", "Hefei-2026-strong")
    page.fill("#id_password2", "Hefei-2026-strong")
    page.fill("#id_organization_name", "合肥工业大学")
    page.select_option("#id_organization_kind", "university")
    page.fill("#id_location", "安徽合肥")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/accounts/signup/sent/")
    assert "owner@hfut.edu.cn" in page.content()

    # Not active before the e-mailed link is opened: signing in says so and offers the link again.
    page.goto("/accounts/login/")
    page.fill("#id_username", "owner@hfut.edu.cn")
    page.fill("#id_password", "Hefei-2026-strong")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("a.resend")
    assert "/accounts/login/" in page.url

    [message] = [m for m in mail.outbox if m.to == ["owner@hfut.edu.cn"]]
    link = re.search(r"https?://[^/\s]+(/accounts/verify/\S+/)", message.body).group(1)
    page.goto(link)
    page.wait_for_url("**/accounts/welcome/?org=*")  # the first step: complete the organisation
    assert "合肥工业大学" in page.content()

    page.goto("/achievements/new/")
    page.fill("#id_title", "钙钛矿叠层太阳电池制备技术")
    page.fill("#id_summary", "钙钛矿/晶硅叠层电池，认证效率28%，可许可或合作开发。")
    page.fill("#id_keywords", "钙钛矿; 叠层电池")
    page.check("input[name=modes][value=license]")
    page.fill("#id_trl", "5")
    page.fill("#id_contact_email", "secret-contact@hfut.edu.cn")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/achievements/*/")
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector(".messages .success")
    assert "待审核" in page.inner_text("h1")
    posting = Achievement.objects.get(title="钙钛矿叠层太阳电池制备技术")
    assert posting.status == Status.SUBMITTED

    # Staff approve it (the admin action calls the same service).
    from marketplace import services

    services.posting_approve(posting=posting, by=staff_user)

    stranger = page.context.browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    stranger.goto("/")
    stranger.fill("input[name=q]", "钙钛矿")
    stranger.click("form.search button:not(.secondary)")
    stranger.wait_for_url("**/achievements/?q=*")
    stranger.click("text=钙钛矿叠层太阳电池制备技术")
    stranger.wait_for_url(f"**/achievements/{posting.pk}/")
    assert "合肥工业大学" in stranger.content()
    assert "secret-contact@hfut.edu.cn" not in stranger.content()
    assert User.objects.filter(email="owner@hfut.edu.cn").exists()
