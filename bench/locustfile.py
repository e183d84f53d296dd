"""The user mix of ``bench/web_load.py`` (locust): anonymous visitors and logged-in members.

Run by ``bench/web_load.py``, which writes the targets (posting, event and user ids, the members' e-mails and their
password) to a JSON file named by ``WEB_LOAD_TARGETS``. Each simulated user comes from its own address (an
``X-Forwarded-For`` the server believes with ``NUM_PROXIES=1``, as behind one reverse proxy), so that the API's
per-address throttle counts each user apart, as it would count real visitors.

Anonymous visitors: home, the lists (plain, and with a domain and a province), ranked search in Chinese and English,
achievement and need pages, event list and pages, the API's lists and details. Members read their
dashboard and match list besides the same pages; they arrive signed in (a session bench/web_load.py made) or, with
its ``--log-in``, sign in through the form first.
"""

from __future__ import annotations

import json
import os
import random
import re
from http.cookiejar import Cookie
from urllib.parse import urlencode, urlparse

from locust import FastHttpUser, between, constant_throughput, task

TARGETS = json.loads(open(os.environ["WEB_LOAD_TARGETS"], encoding="utf-8").read())  # noqa: SIM115
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("WEB_LOAD_WAIT", "0.1,0.4").split(","))
# With WEB_LOAD_PACE (requests/s for each user, bench/web_load.py's --rate), each user paces itself to that rate
# instead of pausing WAIT_MIN-WAIT_MAX after each answer: the load offered is fixed, not as high as the server allows.
PACE = float(os.environ.get("WEB_LOAD_PACE") or 0)
WAIT = constant_throughput(PACE) if PACE else between(WAIT_MIN, WAIT_MAX)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

SEARCH_ZH = ["固态电池", "钠离子电池 硬碳负极", "缺陷检测", "人工智能 医疗影像", "钙钛矿 光伏", "工业机器人"]
SEARCH_EN = ["sodium battery", "machine vision defect detection", "perovskite solar", "lidar", "vaccine adjuvant"]


class Visitor(FastHttpUser):
    """An anonymous visitor."""

    weight = 7
    wait_time = WAIT

    def on_start(self) -> None:
        octets = [random.randint(1, 254) for _ in range(3)]
        self.headers = {"X-Forwarded-For": "10.{}.{}.{}".format(*octets), "Accept-Language": "zh-hans"}
        if random.random() < 0.3:
            self.headers["Accept-Language"] = "en"

    def get(self, url: str, name: str, **query: object) -> None:
        if query:
            url = f"{url}?{urlencode(query)}"
        self.client.get(url, name=name, headers=self.headers)

    @task(2)
    def home(self) -> None:
        self.get("/", "home")

    @task(3)
    def achievements(self) -> None:
        self.get("/achievements/", "list achievements", page=random.choice([1, 1, 1, 2, 3]))

    @task(2)
    def needs(self) -> None:
        self.get("/needs/", "list needs")

    @task(2)
    def filtered(self) -> None:
        kind = random.choice(["achievements", "needs"])
        domain, province = random.choice(TARGETS["domains"]), random.choice(TARGETS["provinces"])
        self.get(f"/{kind}/", "list domain+province", domain=domain, province=province)

    @task(1)
    def search_zh(self) -> None:
        kind = random.choice(["achievements", "needs"])
        self.get(f"/{kind}/", "search zh", q=random.choice(SEARCH_ZH))

    @task(1)
    def search_en(self) -> None:
        kind = random.choice(["achievements", "needs"])
        self.get(f"/{kind}/", "search en", q=random.choice(SEARCH_EN))

    @task(3)
    def achievement(self) -> None:
        self.get(f"/achievements/{random.choice(TARGETS['achievements'])}/", "detail achievement")

    @task(2)
    def need(self) -> None:
        self.get(f"/needs/{random.choice(TARGETS['needs'])}/", "detail need")

    @task(1)
    def events(self) -> None:
        self.get("/events/", "events list")

    @task(1)
    def event(self) -> None:
        if TARGETS["events"]:
            self.get(f"/events/{random.choice(TARGETS['events'])}/", "event detail")

    @task(2)
    def api_list(self) -> None:
        kind = random.choice(["achievements", "needs"])
        self.get(f"/api/v1/{kind}/", "api list")

    @task(2)
    def api_detail(self) -> None:
        self.get(f"/api/v1/achievements/{random.choice(TARGETS['achievements'])}/", "api detail")


class Member(Visitor):
    """A member of an organisation, logged in: the same pages, and the dashboard and match list."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        email = random.choice(TARGETS["members"])
        sessions = TARGETS.get("sessions") or {}
        if email in sessions:  # signed in already (bench/web_load.py made the session)
            self.client.cookiejar.set_cookie(_cookie("sessionid", sessions[email], self.host))
            return
        with self.client.get("/accounts/login/", name="login page", headers=self.headers, catch_response=True) as r:
            found = CSRF.search(r.text or "")
            if not found:
                r.failure("no CSRF token on the login page")
                return
        data = {"csrfmiddlewaretoken": found.group(1), "username": email, "password": TARGETS["password"]}
        headers = {**self.headers, "Referer": f"{self.host}/accounts/login/"}
        with self.client.post("/accounts/login/", data=data, name="login", headers=headers, catch_response=True) as r:
            if "/accounts/login/" in (r.url or "") and "csrfmiddlewaretoken" in (r.text or ""):
                r.failure(f"login refused for {email}")

    @task(2)
    def dashboard(self) -> None:
        self.get("/home/", "member dashboard")

    @task(2)
    def matches(self) -> None:
        self.get("/matches/", "member matches")


def _cookie(name: str, value: str, host: str) -> Cookie:
    domain = urlparse(host).hostname or "127.0.0.1"
    return Cookie(
        version=0, name=name, value=value, port=None, port_specified=False, domain=domain, domain_specified=False,
        domain_initial_dot=False, path="/", path_specified=True, secure=False, expires=None, discard=True,
        comment=None, comment_url=None, rest={}, rfc2109=False,
    )
