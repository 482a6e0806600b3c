# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
"""Presence by app user with a real Django (issue 19 item 4,
docs/presence.md): the adapters name ``request.user`` in their connect
answers (its pk, SOCKETIOD_USER_FIELD), and django_socketio / realtime's
``connected_users()``, ``is_online(user)`` and ``send_to_user(user, ...)``
see and reach every socket of a user. Two headless Chromium tabs of one
logged-in user (ann) and one of another (bob), on the django_socketio
endpoint; the realtime endpoint with socket.io-client 4.x sending the
session cookie. The daemon-side checks (hostile ids, the fleet) are in
tests/e2e/test_presence.py."""
import json

import pytest

from e2e_lib import wait_until
from test_porting_browser import browser  # noqa: F401 (fixture)

# The page of one tab: logged in by the view that serves it, it connects
# to the daemon over WebSocket (the session cookie goes with the
# handshake: same host, another port), joins "chat:lobby" and logs the
# presence events and messages it gets.
PAGE = """<html><head><script src="%(daemon)s/socket.io/socket.io.js"></script>
<script>
window.LOG = [];
socket = io("%(daemon)s", {transports: ["websocket"]});
socket.on("connect", function () {
    socket.emit("subscribe", "chat:lobby", function () { LOG.push("joined"); });
});
socket.on("presence:join", function (p) { LOG.push(["join", p.user, p.sockets]); });
socket.on("presence:leave", function (p) { LOG.push(["leave", p.user, p.sockets]); });
socket.on("message", function (m) { LOG.push(["message", m]); });
</script></head><body></body></html>"""

DAEMON_URL = [None]


def presence_page(request):
    from django.contrib.auth import get_user_model, login
    from django.http import HttpResponse
    user = get_user_model().objects.get(username=request.GET["user"])
    login(request, user)
    return HttpResponse(PAGE % {"daemon": DAEMON_URL[0]})


def _urlpatterns():
    from django.urls import include, path
    return [path("", include("djproject.urls")),
            path("presence-page/", presence_page)]


@pytest.fixture
def presence_urls(django_server):
    """This module's page next to the test project's URLs."""
    from django.conf import settings
    from django.urls import clear_url_caches
    import sys
    mod = sys.modules[__name__]
    mod.urlpatterns = _urlpatterns()
    before = settings.ROOT_URLCONF
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    yield
    settings.ROOT_URLCONF = before
    clear_url_caches()


@pytest.fixture
def users(django_server):
    from django.contrib.auth import get_user_model
    User = get_user_model()
    made = {}
    for name in ("ann", "bob"):  # names of their own: the database is shared
        made[name], _ = User.objects.get_or_create(username="presence-" + name)
    return made


def cookie_of(django_server, user):
    """A session cookie of ``user``, as a browser that logged in has."""
    from django.test import Client
    c = Client()
    c.force_login(user)
    return "sessionid=" + c.cookies["sessionid"].value


def log_of(browser, tab):  # noqa: F811
    return browser.eval(tab, "LOG")


def test_two_tabs_of_ann_one_of_bob(browser, daemon, django_server,  # noqa
                                    presence_urls, users):
    import django_socketio
    d = daemon("/socketio/events", "--origins", django_server.url(),
               "--presence", "chat:")
    DAEMON_URL[0] = d.url
    ann, bob = str(users["ann"].pk), str(users["bob"].pk)
    rpc = d.rpc()

    browser.open("bob", django_server.url("/presence-page/?user=presence-bob"))
    browser.wait("bob", "LOG.indexOf('joined') >= 0 ? LOG : null")
    browser.open("ann1", django_server.url("/presence-page/?user=presence-ann"))
    browser.wait("ann1", "LOG.indexOf('joined') >= 0 ? LOG : null")
    browser.wait("bob", "LOG.filter(function (e) { return e[0] === 'join' "
                 "&& e[1] === %s; }).length ? LOG : null" % json.dumps(ann))
    browser.open("ann2", django_server.url("/presence-page/?user=presence-ann"))
    browser.wait("ann2", "LOG.indexOf('joined') >= 0 ? LOG : null")

    # sessions by user, the channel's presence, the adapters' view
    assert len(rpc.call("sessions", user=ann)["sessions"]) == 2
    assert [s["user"] for s in rpc.call("sessions", user=bob)["sessions"]] \
        == [bob]
    assert rpc.call("presence", channel="chat:lobby")["users"] == {
        ann: 2, bob: 1}
    assert django_socketio.connected_users() == {ann, bob}
    assert django_socketio.is_online(users["ann"])
    assert django_socketio.is_online(bob)

    # send_to_user reaches both of ann's tabs, not bob's
    assert django_socketio.send_to_user(users["ann"], {"text": "hi"}) == 2
    for tab in ("ann1", "ann2"):
        browser.wait(tab, "LOG.filter(function (e) { return e[0] === "
                     "'message'; }).length ? LOG : null")
    rpc.call("emit", channel="chat:lobby", event="mark", args=[])

    # ann's second tab joined without a presence event; her first tab
    # leaving makes none either, her last one does
    browser.eval("ann1", "socket.disconnect(), null")
    wait_until(lambda: len(rpc.call("sessions", user=ann)["sessions"]) == 1,
               what="ann's first tab gone")
    browser.eval("ann2", "socket.disconnect(), null")
    browser.wait("bob", "LOG.filter(function (e) { return e[0] === "
                 "'leave'; }).length ? LOG : null")
    bob_log = log_of(browser, "bob")
    assert [e for e in bob_log if e[0] in ("join", "leave")] == [
        ["join", bob, 1], ["join", ann, 1], ["leave", ann, 0]]
    assert not [e for e in bob_log if e[0] == "message"]
    assert django_socketio.connected_users() == {bob}
    assert not django_socketio.is_online(users["ann"])


def test_realtime_names_the_user_and_the_setting_turns_it_off(
        daemon, django_server, users, clients):
    from django.conf import settings
    import realtime
    d = daemon("/realtime/events")
    cookie = cookie_of(django_server, users["ann"])
    ann = str(users["ann"].pk)
    h = clients("v4", d, extra_opts={"extraHeaders": {"Cookie": cookie}})
    anon = clients("v4", d)
    rpc = d.rpc()
    assert rpc.call("session", sid=h.sid)["session"]["user"] == ann
    assert rpc.call("session", sid=anon.sid)["session"]["user"] is None
    assert realtime.connected_users() == {ann}
    assert realtime.is_online(users["ann"])
    assert realtime.send_to_user(users["ann"], "one") == 1
    assert h.wait_event("message") == ["one"]
    assert realtime.emit_to_user(ann, "note", 1, 2) == 1
    assert h.wait_event("note") == [1, 2]
    assert anon.events("message") == [] and anon.events("note") == []

    # another field, then none
    settings.SOCKETIOD_USER_FIELD = "username"
    try:
        by_name = clients("v4", d,
                          extra_opts={"extraHeaders": {"Cookie": cookie}})
        assert rpc.call("session", sid=by_name.sid)["session"]["user"] == \
            "presence-ann"
        settings.SOCKETIOD_USER_FIELD = None
        off = clients("v4", d, extra_opts={"extraHeaders": {"Cookie": cookie}})
        assert rpc.call("session", sid=off.sid)["session"]["user"] is None
    finally:
        del settings.SOCKETIOD_USER_FIELD
