"""docs/configuration.md says true things: its example file starts a
daemon as written (only ports and paths replaced), a `#` after a value is
not a comment, an unknown key is named with FILE:LINE, and the file is
read where --config stands on the command line (the last value wins)."""
import json
import re
import socket
import subprocess
import urllib.request

from e2e_lib import REPO, Daemon, daemon_command, free_port, wait_until

DOC = REPO / "docs" / "configuration.md"


def example_file():
    m = re.search(r"```ini\n(.*?)```", DOC.read_text(), re.S)
    assert m, "docs/configuration.md has no ```ini example"
    return m.group(1)


def handshake(port):
    with urllib.request.urlopen(
            "http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling" % port,
            timeout=10) as r:
        body = r.read().decode()
    assert body[0] == "0", body
    return json.loads(body[1:])


def test_the_example_file_runs(tmp_path):
    http, fcgi = free_port(), free_port()
    secret = tmp_path / "upstream.secret"
    secret.write_text("s3cret\n")
    d = Daemon(tmp_path, [], name="example", listen=False)
    text = example_file()
    for old, new in (("127.0.0.1:9000", "127.0.0.1:%d" % http),
                     ("127.0.0.1:9001", "127.0.0.1:%d" % fcgi),
                     ("/run/socketiod/socketiod.sock", d.rpc_path),
                     ("/etc/socketiod/upstream.secret", str(secret))):
        assert old in text, old
        text = text.replace(old, new)
    conf = tmp_path / "socketiod.conf"
    conf.write_text(text)
    d.args = ["--config", str(conf)]
    try:
        d.start()
        wait_until(lambda: _listening(http), what="the example's port")
        assert handshake(http)["sid"]
        socket.create_connection(("127.0.0.1", fcgi), 5).close()
        assert "uptime" in d.rpc().call("stats")
    finally:
        problems = d.stop()
    assert not problems, problems


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def start_fails(tmp_path, text):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    res = subprocess.run(daemon_command() + ["--config", str(conf)],
                         capture_output=True, text=True, timeout=20)
    return res.returncode, res.stderr, conf


def test_a_hash_after_a_value_is_part_of_it(tmp_path):
    rc, err, _ = start_fails(
        tmp_path, "# a comment\n\n   # another\nlisten = 127.0.0.1:%d  # HTTP"
        "\nrpc = %s\n" % (free_port(), tmp_path / "x.sock"))
    assert rc != 0 and "# HTTP" in err, err


def test_an_unknown_key_is_named_with_file_and_line(tmp_path):
    rc, err, conf = start_fails(tmp_path, "# one\nrelay\nno-such-thing = 1\n")
    assert rc == 2
    assert "%s:3: bad setting 'no-such-thing'" % conf in err, err


def test_the_last_value_wins(tmp_path):
    conf = tmp_path / "ping.conf"
    conf.write_text("ping-interval = 30000\n")
    for args, want in ((["--config", str(conf), "--ping-interval", "10000"],
                        10000),
                       (["--ping-interval", "10000", "--config", str(conf)],
                        30000)):
        d = Daemon(tmp_path, args, name="ping%d" % want)
        try:
            d.start()
            assert handshake(d.port)["pingInterval"] == want, args
        finally:
            problems = d.stop()
        assert not problems, problems
