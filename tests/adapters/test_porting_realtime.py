"""Porting django-realtime: its README's receivers and socket calls work
as written (issue 15, items 6 and 7).

From the README: ``socket.ack(EVENT_ID, *args)`` "acknowledges receiving
of an event with particular id" (``socket.ack('13+', 'event', 'was',
'received', 'blah', 'blah')``), and the usage receiver

    @receiver(socket_client_event)
    def handle_event(sender, request, event, **kwargs):
        if event.acknowledgeable:
            event.ack('I have received your message!')
"""
import threading

import pytest

from e2e_lib import wait_until


@pytest.fixture
def readme_receivers():
    """The README's receivers, plus a by-type one recording that it ran."""
    from realtime.signals import (socket_client_event,
                                  socket_client_event_by_type)
    ran = []
    lock = threading.Lock()

    def handle_event(sender, request, event, **kwargs):
        if event.acknowledgeable:
            event.ack('I have received your message!')

    def handle_shout(sender, request, event, **kwargs):
        with lock:
            ran.append(event.data)
        if event.data and event.data[0] == "by-id":
            # django-realtime's socket.ack(EVENT_ID, *args), with the id
            # django-realtime gave receivers (e.g. '13+')
            sender.ack(event._event_id, 'event', 'was', 'received', 'blah',
                       'blah')
        if event.data and event.data[0] == "literal":
            # the README's line as written: 13+ is not this event's id
            sender.ack('13+', 'event', 'was', 'received', 'blah', 'blah')

    hooked = [(socket_client_event, handle_event),
              (socket_client_event_by_type["shout"], handle_shout)]
    for sig, fn in hooked:
        sig.connect(fn, weak=False)
    yield ran
    for sig, fn in hooked:
        sig.disconnect(fn)


def test_ack_without_callback_runs_every_receiver(daemon, clients,
                                                  readme_receivers):
    """Item 7: the README receiver acks an event sent without a callback;
    nothing breaks and the by-type receiver after it still runs."""
    d = daemon("/realtime/events")
    c = clients("v4", d)
    c.emit("shout", "no callback")
    wait_until(lambda: ["no callback"] in readme_receivers,
               what="the by-type receiver of an event without callback")
    assert c.emit("shout", "with callback", ack=True) == [
        'I have received your message!']
    assert readme_receivers == [["no callback"], ["with callback"]]


def test_event_acknowledgeable_both_ways(daemon, clients, readme_receivers):
    from realtime.events import Event
    from realtime.sockets import RealtimeSocket
    s = RealtimeSocket("sid", actions=[])
    s._ack_id = 13
    with_cb = Event(s, "x", args=[], id=13)
    without = Event(s, "x", args=[], id=None)
    assert with_cb.acknowledgeable() and with_cb.acknowledgeable
    assert not without.acknowledgeable() and not without.acknowledgeable
    assert with_cb._event_id == "13+"
    without.ack("ignored")                       # no callback: nothing
    assert s.ack_args is None and not without.acknowledged
    with_cb.ack("yes")
    assert s.ack_args == ["yes"] and with_cb.acknowledged()


@pytest.mark.parametrize("kind", ["v4", "v2"])
def test_socket_ack_takes_the_event_id(daemon, clients, readme_receivers,
                                       kind):
    """Item 6: the first argument of socket.ack is the id, not data."""
    d = daemon("/realtime/events")
    c = clients(kind, d)
    assert c.emit("shout", "by-id", ack=True) == [
        'event', 'was', 'received', 'blah', 'blah']
    # another event's id: refused (logged), never sent as data
    assert c.emit("shout", "literal", ack=True) == [
        'I have received your message!']


def test_socket_ack_of_another_id_raises():
    from realtime.sockets import RealtimeSocket
    from socketiod import SocketiodError
    s = RealtimeSocket("sid", actions=[])
    s._ack_id = 4
    with pytest.raises(SocketiodError):
        s.ack('13+', 'event')
    s.ack(4, 'number')
    assert s.ack_args == ['number']
    s.ack('4+', 'string')
    assert s.ack_args == ['string']
