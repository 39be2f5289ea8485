"""A real IMAP server for the mail-in tests: Debian's dovecot, started by the test itself.

Each server is a `dovecot -F` process of the test's own, with its configuration, its users (a
passwd-file), its Maildir and a self-signed certificate (made with `openssl`) in a temporary
folder; it listens on 127.0.0.1 only, on free ports: plain IMAP and IMAP over TLS. Messages are
delivered the way a mail server does, by writing files into Maildir/new. `stop()` ends it by
its pid. Run as root, the mail processes run as `nobody`, as dovecot refuses to read mail as
root; otherwise everything runs as the current user.
"""

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


def dovecot_path() -> str | None:
    found = shutil.which("dovecot")
    return found or next((p for p in DOVECOT_CANDIDATES if os.access(p, os.X_OK)), None)


def dovecot_available() -> tuple[str | None, str]:
    """The dovecot binary, installing Debian's package first when running as root; else the
    reason the tests cannot have one."""
    path = dovecot_path()
    if path:
        return path, ""
    if os.geteuid() != 0:
        return None, (
            "dovecot is not installed and the tests do not run as root to install it: "
            "apt-get install dovecot-imapd (or run `make test` as root)"
        )
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "dovecot-imapd"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )
    return dovecot_path(), ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


CONFIG = """\
# Written by tests/notifications/imap_server.py: a throwaway server on loopback.
instance_name = govdesk-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {first_valid_uid}
first_valid_gid = {first_valid_gid}
auth_mechanisms = plain login
# Tests try a wrong password on purpose: no need to make them wait for it.
auth_failure_delay = 0
disable_plaintext_auth = no
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
{login_chroot}}}
service anvil {{
{anvil_chroot}}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class ImapServer:
    """One dovecot; `start()` it, `add_user()`, `deliver()`, and `stop()` it."""

    def __init__(self, binary: str):
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="govdesk-imap-"))
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls_port = free_port()
        self.process: subprocess.Popen | None = None
        self.users: dict[str, Path] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()

    @property
    def ca_file(self) -> str:
        return str(self.root / "cert.pem")

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _owned(self, path: Path) -> Path:
        if os.geteuid() == 0:
            os.chown(path, self.mail_uid, self.mail_gid)
        return path

    def _write_certificate(self) -> None:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem"),
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True,
        )  # fmt: skip

    def _write_config(self) -> Path:
        if os.geteuid() == 0:
            users = {"internal_user": "dovecot", "internal_group": "dovecot"}
            users["login_user"] = "dovenull"
            chroots = {"login_chroot": "", "anvil_chroot": ""}
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            users = {"internal_user": me, "internal_group": group, "login_user": me}
            # chroot needs root: without it, the login and anvil processes stay where they are.
            chroots = {"login_chroot": "  chroot =\n", "anvil_chroot": "  chroot =\n"}
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                tls_port=self.tls_port,
                first_valid_uid=min(self.mail_uid, 500) if self.mail_uid else 1,
                first_valid_gid=1 if self.mail_gid else 0,
                **users,
                **chroots,
            )
        )
        return config

    def start(self) -> "ImapServer":
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir()
        self.root.chmod(0o755)
        self._owned(self.root / "home")
        self._write_certificate()
        (self.root / "passwd").write_text("")
        config = self._write_config()
        with open(self.root / "stderr.log", "wb") as stderr:
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = (self.root / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"dovecot exited at start:\n{stderr}\n{self.log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as connection:
                    if connection.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}:\n{self.log}")

    def add_user(self, username: str, password: str) -> None:
        """A mail account; its Maildir is ~/Maildir under the server's folder."""
        home = self.root / "home" / username
        maildir = home / "Maildir"
        for folder in (home, maildir, maildir / "cur", maildir / "new", maildir / "tmp"):
            folder.mkdir(exist_ok=True)
            self._owned(folder)
        self.users[username] = maildir
        with open(self.root / "passwd", "a") as passwd:
            passwd.write(
                f"{username}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::\n"
            )

    def deliver(self, username: str, raw: bytes) -> Path:
        """Drops one message into the user's Maildir/new, as a local delivery agent does."""
        maildir = self.users[username]
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.govdesk-test"
        temporary = maildir / "tmp" / name
        temporary.write_bytes(raw)
        self._owned(temporary)
        delivered = maildir / "new" / name
        temporary.rename(delivered)
        return delivered

    def unseen_count(self, username: str) -> int:
        """Messages not yet marked seen: those still in new/, and those in cur/ without S."""
        maildir = self.users[username]
        in_new = len(list((maildir / "new").iterdir()))
        in_cur = [p.name for p in (maildir / "cur").iterdir()]
        return in_new + sum(1 for name in in_cur if "S" not in name.partition(":2,")[2])

    def stop(self) -> None:
        """Ends the server by its pid: the master and its children, which share its process
        group (it was started in a session of its own), all at once."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
