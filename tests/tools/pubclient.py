#!/usr/bin/python3
"""pubclient.py: a small RFC 8181 publisher (the CA side) for rpkipub's tests.

It is written independently of the server, from the RFCs: RFC 8183 for the
set-up exchange, RFC 8181 for the messages, RFC 6492 section 3.1 for the CMS
profile (which, unlike RFC 6488, CARRIES the signer's CRL).  Replies are
verified with the openssl CLI, not with this code.

Needs Debian's /usr/bin/python3 with python3-cryptography and
python3-asn1crypto, and the openssl and curl commands.

State directory (one publisher identity):
  ta.key ee.key          RSA-2048 keys (PEM, mode 0600)
  ta.cer ee.cer crl.der  BPKI TA, EE and CRL (DER)
  state.json             handle, CRL number, and after `configure`:
                         service_uri, sia_base, rrdp_notification_uri
  publisher_request.xml  RFC 8183 publisher_request (written by init)
  repository_ta.pem      the server's BPKI TA (written by configure)
  sent.json              signing-time and digests of the messages sent in
                         the last second used (see "replay" below)

Subcommands:
  init STATE_DIR --handle H
  configure STATE_DIR --response FILE
  query STATE_DIR [PDU options | --raw-xml FILE] [fault options]
  hash FILE
  stream-post URL --size BYTES [--chunked]

query exit status:
  0  verified reply holding <success/> or <list/> PDUs (or an empty list)
  1  any other error (transport failure, unexpected reply, bad arguments)
  3  verified reply holding <report_error>: error_code and error_text are
     printed to stderr as "report_error error_code=CODE tag=TAG" and
     "error_text: TEXT"
  4  HTTP status other than 200: "HTTP STATUS" and the body go to stderr
  5  the reply does not verify (openssl cms -verify, CMS profile, or reply
     content type)
The verified reply XML is printed to stdout (with --print pairs, a list
reply is printed as sorted "URI HASH" lines instead).

Replay: two honest messages with the same signing-time (one-second
resolution) and the same bytes are indistinguishable from a replay, so when
the signing-time is automatic and the exact message was already sent in that
second, the tool waits for the next second and signs again.
"""

import argparse
import base64
import datetime
import functools
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

from asn1crypto import algos
from asn1crypto import cms as acms
from asn1crypto import crl as acrl
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

NS_SETUP = "http://www.hactrn.net/uris/rpki/rpki-setup/"
NS_PUB = "http://www.hactrn.net/uris/rpki/publication-spec/"
ID_CT_XML = "1.2.840.113549.1.9.16.1.28"
CONTENT_TYPE = "application/rpki-publication"
DAY = datetime.timedelta(days=1)


def sha256_alg():
    """AlgorithmIdentifier sha256 with parameters absent (RFC 5754 section 2:
    SHOULD be absent; asn1crypto would write NULL)."""
    return algos.DigestAlgorithm.load(bytes.fromhex("300b0609608648016503040201"))


class Fail(Exception):
    """An error that ends the command with the given exit status."""

    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def quoteattr(v):
    """v as a double-quoted XML attribute value."""
    for c, e in (("&", "&amp;"), ("<", "&lt;"), ('"', "&quot;"),
                 ("\t", "&#9;"), ("\n", "&#10;"), ("\r", "&#13;")):
        v = v.replace(c, e)
    return '"%s"' % v


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def der(obj):
    return obj.public_bytes(serialization.Encoding.DER)


# ---- BPKI (RFC 8183 section 1) -------------------------------------------

def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ski(key):
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def make_cert(cn, key, issuer, issuer_key, ca, not_before, not_after):
    """Certificate for key named cn, signed by issuer_key (issuer=None: self-signed)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder()
         .subject_name(name)
         .issuer_name(issuer.subject if issuer else name)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(ski(key), critical=False))
    if ca:
        ku = dict(key_cert_sign=True, crl_sign=True, digital_signature=False)
    else:
        ku = dict(key_cert_sign=False, crl_sign=False, digital_signature=True)
    b = b.add_extension(x509.KeyUsage(content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False,
                                      encipher_only=False, decipher_only=False, **ku),
                        critical=True)
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            ski(issuer_key)), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def make_crl(ta, ta_key, number, this_update, next_update, revoked=()):
    """CRL v2 issued by ta with AKI and crlNumber, revoking the serials in revoked."""
    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(ta.subject)
         .last_update(this_update)
         .next_update(next_update)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
             ski(ta_key)), critical=False)
         .add_extension(x509.CRLNumber(number), critical=False))
    for serial in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(this_update).build())
    return b.sign(ta_key, hashes.SHA256())


class Identity:
    """One BPKI identity loaded from a state directory.  The TA key is
    loaded only when a fault option needs it (key loading costs ~60 ms)."""

    def __init__(self, d):
        self.dir = d
        try:
            self.state = json.loads(read(os.path.join(d, "state.json")))
            self.ta = x509.load_der_x509_certificate(read(os.path.join(d, "ta.cer")))
            self.ee = x509.load_der_x509_certificate(read(os.path.join(d, "ee.cer")))
            self.crl = x509.load_der_x509_crl(read(os.path.join(d, "crl.der")))
            self.ee_key = self._key("ee.key")
        except (OSError, ValueError) as e:
            raise Fail(1, "%s: not an initialised state directory: %s" % (d, e))

    def _key(self, name):
        return serialization.load_pem_private_key(read(os.path.join(self.dir, name)), None)

    @functools.cached_property
    def ta_key(self):
        return self._key("ta.key")

    def save_state(self):
        write(os.path.join(self.dir, "state.json"),
              json.dumps(self.state, indent=1, sort_keys=True).encode() + b"\n")

    def fault_crl(self, **kw):
        """A CRL made now for a fault test; the CRL number still grows."""
        self.state["crl_number"] += 1
        self.save_state()
        return make_crl(self.ta, self.ta_key, self.state["crl_number"], **kw)


def cmd_init(a):
    os.makedirs(a.state_dir, exist_ok=True)
    t = now()
    ta_key, ee_key = new_key(), new_key()
    ta = make_cert(a.handle + " BPKI TA", ta_key, None, ta_key, True,
                   t - datetime.timedelta(hours=1), t + 20 * 365 * DAY)
    ee = make_cert(a.handle + " BPKI EE", ee_key, ta, ta_key, False,
                   t - datetime.timedelta(hours=1), t + 365 * DAY)
    crl = make_crl(ta, ta_key, 1, t, t + 7 * DAY)
    for name, key in (("ta.key", ta_key), ("ee.key", ee_key)):
        write(os.path.join(a.state_dir, name),
              key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()), 0o600)
    write(os.path.join(a.state_dir, "ta.cer"), der(ta))
    write(os.path.join(a.state_dir, "ee.cer"), der(ee))
    write(os.path.join(a.state_dir, "crl.der"), der(crl))
    write(os.path.join(a.state_dir, "state.json"),
          json.dumps({"handle": a.handle, "crl_number": 1}).encode() + b"\n")
    req = ('<publisher_request xmlns="%s" version="1" publisher_handle=%s>\n'
           '  <publisher_bpki_ta>%s</publisher_bpki_ta>\n'
           '</publisher_request>\n'
           % (NS_SETUP, quoteattr(a.handle), base64.b64encode(der(ta)).decode()))
    write(os.path.join(a.state_dir, "publisher_request.xml"), req.encode())
    print(os.path.join(a.state_dir, "publisher_request.xml"))
    return 0


def cmd_configure(a):
    ident = Identity(a.state_dir)
    try:
        root = ET.fromstring(read(a.response))
    except (OSError, ET.ParseError) as e:
        raise Fail(1, "%s: %s" % (a.response, e))
    if root.tag != "{%s}repository_response" % NS_SETUP or root.get("version") != "1":
        raise Fail(1, "%s: not an RFC 8183 repository_response" % a.response)
    ta_el = root.find("{%s}repository_bpki_ta" % NS_SETUP)
    if ta_el is None or not root.get("service_uri") or not root.get("sia_base"):
        raise Fail(1, "%s: service_uri, sia_base or repository_bpki_ta missing" % a.response)
    ta = x509.load_der_x509_certificate(base64.b64decode("".join(ta_el.text.split())))
    if root.get("publisher_handle") != ident.state["handle"]:
        print("note: server calls us %r, we asked for %r"
              % (root.get("publisher_handle"), ident.state["handle"]), file=sys.stderr)
    write(os.path.join(a.state_dir, "repository_ta.pem"),
          ta.public_bytes(serialization.Encoding.PEM))
    write(os.path.join(a.state_dir, "repository_response.xml"), read(a.response))
    for k in ("service_uri", "sia_base", "rrdp_notification_uri"):
        ident.state[k] = root.get(k)
    ident.save_state()
    print("service_uri %s\nsia_base %s" % (root.get("service_uri"), root.get("sia_base")))
    return 0


# ---- RFC 8181 query and RFC 6492 section 3.1 CMS ------------------------

class PduAction(argparse.Action):
    """Collect PDU options in command-line order; --tag applies to the next one."""

    def __call__(self, parser, ns, value, option):
        if option == "--tag":
            ns.next_tag = value
            return
        pdus = getattr(ns, "pdus", None) or []
        pdus.append((option.lstrip("-"), value, getattr(ns, "next_tag", None)))
        ns.pdus, ns.next_tag = pdus, None


def pdu_xml(kind, value, tag):
    tag_attr = " tag=%s" % quoteattr(tag) if tag is not None else ""
    if kind == "list":
        return "  <list%s/>\n" % tag_attr
    if kind == "withdraw":
        uri, sep, h = value.rpartition("@")
        if not sep:
            raise Fail(1, "--withdraw wants URI@HEXHASH")
        return "  <withdraw uri=%s hash=%s%s/>\n" % (quoteattr(uri), quoteattr(h), tag_attr)
    h = ""
    if kind == "replace":
        value, sep, h = value.rpartition("@")
        if not sep:
            raise Fail(1, "--replace wants URI=FILE@HEXHASH")
    uri, sep, path = value.rpartition("=")
    if not sep:
        raise Fail(1, "--%s wants URI=FILE" % kind)
    try:
        body = base64.b64encode(read(path)).decode()
    except OSError as e:
        raise Fail(1, str(e))
    hash_attr = " hash=%s" % quoteattr(h) if kind == "replace" else ""
    return "  <publish uri=%s%s%s>%s</publish>\n" % (quoteattr(uri), hash_attr, tag_attr, body)


def query_xml(pdus):
    return ('<msg xmlns="%s" version="4" type="query">\n%s</msg>\n'
            % (NS_PUB, "".join(pdu_xml(*p) for p in pdus))).encode()


def asn1(cls, obj):
    return cls.load(der(obj))


def sign_cms(content, ee, ee_key, certs, crl, signing_time):
    """DER CMS SignedData over content with the RFC 6492 section 3.1 profile.

    ee/ee_key sign; certs are the certificates carried (normally [ee]); crl
    is the one CRL carried, or None to leave it out.
    """
    attrs = acms.CMSAttributes([  # DER SET OF: asn1crypto sorts it
        {"type": "content_type", "values": [ID_CT_XML]},
        {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
        {"type": "signing_time",
         "values": [acms.Time({"utc_time": signing_time})]},
    ])
    signature = ee_key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    signer = acms.SignerInfo({
        "version": "v3",
        "sid": acms.SignerIdentifier({"subject_key_identifier": ski(ee_key).digest}),
        "digest_algorithm": sha256_alg(),
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": signature,
    })
    sd = {
        "version": "v3",
        "digest_algorithms": [sha256_alg()],
        "encap_content_info": {"content_type": ID_CT_XML, "content": content},
        "certificates": [asn1(ax509.Certificate, c) for c in certs],
        "signer_infos": [signer],
    }
    if crl is not None:
        sd["crls"] = [asn1(acrl.CertificateList, crl)]
    return acms.ContentInfo({"content_type": "signed_data",
                             "content": acms.SignedData(sd)}).dump()


def post(uri, body, content_type, tmp):
    """POST body with curl; returns (status, reply content type, reply body)."""
    req, rep = os.path.join(tmp, "request.der"), os.path.join(tmp, "reply.body")
    write(req, body)
    p = subprocess.run(["curl", "-sS", "--max-time", "60", "-X", "POST",
                        "-H", "Content-Type: " + content_type,
                        "--data-binary", "@" + req, "-o", rep,
                        "-w", "%{http_code} %{content_type}", uri],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise Fail(1, "POST %s: curl exit %d: %s" % (uri, p.returncode, p.stderr.strip()))
    status, _, ctype = p.stdout.partition(" ")
    return int(status), ctype.strip(), read(rep) if os.path.exists(rep) else b""


def check_reply_profile(reply):
    """The RFC 6492 section 3.1 rules that openssl cms -verify does not check."""
    try:
        ci = acms.ContentInfo.load(reply, strict=True)
        sd = ci["content"]
        problems = []
        if ci["content_type"].native != "signed_data":
            problems.append("not SignedData")
        if sd["encap_content_info"]["content_type"].dotted != ID_CT_XML:
            problems.append("eContentType is not id-ct-xml")
        if len(sd["certificates"]) != 1:
            problems.append("%d certificates, want 1" % len(sd["certificates"]))
        if len(sd["crls"]) != 1:
            problems.append("%d CRLs, want 1" % len(sd["crls"]))
        if len(sd["signer_infos"]) != 1:
            problems.append("%d SignerInfos, want 1" % len(sd["signer_infos"]))
        else:
            si = sd["signer_infos"][0]
            types = sorted(x["type"].native for x in si["signed_attrs"])
            if types != ["content_type", "message_digest", "signing_time"]:
                problems.append("signed attributes %s" % types)
            if si["digest_algorithm"]["algorithm"].native != "sha256":
                problems.append("digest algorithm is not SHA-256")
            if si["version"].native != "v3" or si["sid"].name != "subject_key_identifier":
                problems.append("SignerInfo is not version 3 with a subjectKeyIdentifier")
    except (ValueError, TypeError, KeyError) as e:
        problems = ["does not decode: %s" % e]
    if problems:
        raise Fail(5, "reply breaks the RFC 6492 section 3.1 CMS profile: " + "; ".join(problems))


def verify_reply(reply, ta_pem, tmp):
    """Verify with the openssl CLI; returns the reply XML."""
    rin, rout = os.path.join(tmp, "reply.der"), os.path.join(tmp, "reply.xml")
    write(rin, reply)
    p = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", rin,
                        "-CAfile", ta_pem, "-purpose", "any", "-crl_check",
                        "-binary", "-out", rout],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise Fail(5, "reply does NOT verify (openssl cms -verify exit %d):\n%s"
                   % (p.returncode, p.stdout.strip()))
    check_reply_profile(reply)
    return read(rout)


def report(xml, is_list_query, print_mode):
    """Print a verified reply; return the exit status."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise Fail(1, "verified reply is not XML: %s" % e)
    if root.tag != "{%s}msg" % NS_PUB or root.get("type") != "reply" or root.get("version") != "4":
        raise Fail(1, "verified reply is not an RFC 8181 version 4 reply:\n%s" % xml.decode())
    kinds = [el.tag.replace("{%s}" % NS_PUB, "") for el in root]
    errors = root.findall("{%s}report_error" % NS_PUB)
    if print_mode == "pairs" and not errors and all(k == "list" for k in kinds):
        for uri, h in sorted((el.get("uri"), el.get("hash")) for el in root):
            print(uri, h)
    else:
        sys.stdout.write(xml.decode())
    if errors:
        for el in errors:
            text = el.findtext("{%s}error_text" % NS_PUB) or ""
            print("report_error error_code=%s tag=%s"
                  % (el.get("error_code"), el.get("tag", "")), file=sys.stderr)
            print("error_text: %s" % text.strip(), file=sys.stderr)
        return 3
    if kinds == ["success"] or (kinds and all(k == "list" for k in kinds)) \
            or (not kinds and is_list_query):
        return 0
    raise Fail(1, "unexpected reply PDUs %s" % kinds)


def build_message(a, target, signer):
    """The CMS bytes of the query, with the fault options applied."""
    if a.raw_xml:
        content = read(a.raw_xml)
    else:
        content = query_xml(a.pdus)
    t = now()
    ee, ee_key, crl = signer.ee, signer.ee_key, signer.crl
    if a.ee_expired:
        ee = make_cert(signer.state["handle"] + " expired EE", ee_key, signer.ta,
                       signer.ta_key, False, t - 30 * DAY, t - DAY)
    if a.ee_revoked:
        crl = signer.fault_crl(this_update=t, next_update=t + 7 * DAY,
                               revoked=[ee.serial_number])
    if a.crl_expired:
        crl = signer.fault_crl(this_update=t - 8 * DAY, next_update=t - DAY)
    certs = [ee, signer.ta] if a.extra_cert else [ee]
    explicit = a.signing_time is not None
    sent_path = os.path.join(target.dir, "sent.json")
    while True:
        st = (datetime.datetime.fromtimestamp(a.signing_time, datetime.timezone.utc)
              if explicit else now())
        msg = sign_cms(content, ee, ee_key, certs, None if a.no_crl else crl, st)
        try:
            sent = json.loads(read(sent_path))
        except (OSError, ValueError):
            sent = {"time": 0, "digests": []}
        stamp = int(st.timestamp())
        if sent["time"] != stamp:
            sent = {"time": stamp, "digests": []}
        if explicit or sha256_hex(msg) not in sent["digests"]:
            break
        time.sleep(1.05 - (time.time() % 1))  # same bytes in this second: wait
    sent["digests"].append(sha256_hex(msg))
    write(sent_path, json.dumps(sent).encode())
    return msg


def reencode_outer_length(msg, width):
    """msg with the length of its outer SEQUENCE (the ContentInfo) in the
    long form with width length octets (4: 30 84 00 00 LL LL): valid BER,
    not DER.  Nothing that is signed changes, so it is the same message in
    other bytes; each width gives other bytes."""
    if not 1 <= width <= 8:
        raise Fail(1, "--reencode-length: %d length octets: want 1 to 8" % width)
    if len(msg) < 2 or msg[0] != 0x30:
        raise Fail(1, "--reencode-length: the message does not start with a SEQUENCE")
    first = msg[1]
    if first < 0x80:
        n, hdr = first, 2
    elif 0x81 <= first <= 0x84:
        k = first & 0x7F
        n, hdr = int.from_bytes(msg[2:2 + k], "big"), 2 + k
    else:
        raise Fail(1, "--reencode-length: outer length form 0x%02x not handled" % first)
    if hdr + n != len(msg):
        raise Fail(1, "--reencode-length: the outer length (%d) does not cover the "
                   "%d bytes after the header" % (n, len(msg) - hdr))
    if n >= 256 ** width:
        raise Fail(1, "--reencode-length: %d does not fit in %d octets" % (n, width))
    out = bytes([0x30, 0x80 | width]) + n.to_bytes(width, "big") + msg[hdr:]
    if out == msg:
        raise Fail(1, "--reencode-length: the message already has that form")
    return out


def cmd_query(a):
    pdus = getattr(a, "pdus", None) or []
    a.pdus = pdus
    if sum(bool(x) for x in (pdus, a.raw_xml, a.send_cms)) != 1:
        raise Fail(1, "give PDU options, or --raw-xml FILE, or --send-cms FILE")
    target = Identity(a.state_dir)
    uri = a.service_uri or target.state.get("service_uri")
    ta_pem = os.path.join(a.state_dir, "repository_ta.pem")
    if not uri or not os.path.exists(ta_pem):
        raise Fail(1, "%s: run configure first" % a.state_dir)
    if a.send_cms:
        msg = read(a.send_cms)
    else:
        signer = Identity(a.sign_with) if a.sign_with else target
        msg = build_message(a, target, signer)
    if a.reencode_length is not None:
        msg = reencode_outer_length(msg, a.reencode_length)
    if a.truncate is not None:
        msg = msg[:a.truncate]
    if a.save_cms:
        write(a.save_cms, msg)
    with tempfile.TemporaryDirectory(prefix="pubclient.") as tmp:
        status, ctype, body = post(uri, msg, a.content_type, tmp)
        if a.kill_after_reply and status == 200:
            os.kill(a.kill_after_reply, signal.SIGKILL)
        if status != 200:
            print("HTTP %d" % status, file=sys.stderr)
            sys.stderr.write(body.decode("utf-8", "replace")[:2000] + "\n")
            return 4
        if ctype.split(";")[0].strip().lower() != CONTENT_TYPE:
            raise Fail(5, "reply content type is %r, want %s (RFC 8181 section 2)"
                       % (ctype, CONTENT_TYPE))
        xml = verify_reply(body, ta_pem, tmp)
    return report(xml, [p[0] for p in pdus] == ["list"], a.print)


def cmd_stream_post(a):
    """POST a.size zero bytes to an http:// URL the way a careful client
    does: stream the body while watching for an early reply, stop sending as
    soon as one arrives (or the server stops reading and the send fails),
    then read the reply.  Prints "STATUS BYTES_SENT" (the body bytes sent,
    framing included).  curl gives up on a send error without reading a
    reply that already arrived, so it cannot test an early answer."""
    u = urllib.parse.urlsplit(a.url)
    if u.scheme != "http" or not u.hostname:
        raise Fail(1, "stream-post wants an http:// URL")
    host, port = u.hostname, u.port or 80
    framing = "Transfer-Encoding: chunked" if a.chunked else "Content-Length: %d" % a.size
    head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\n%s\r\n"
            "Connection: close\r\n\r\n"
            % (u.path or "/", host, port, CONTENT_TYPE, framing)).encode()
    piece = b"\0" * 65536
    deadline = time.monotonic() + a.timeout
    s = socket.create_connection((host, port), timeout=a.timeout)
    pending, left, sent, reply = head, a.size, 0, b""
    s.setblocking(False)
    try:
        while True:
            if not pending and left > 0:
                n = min(left, len(piece))
                left -= n
                pending = (b"%x\r\n%s\r\n" % (n, piece[:n])) if a.chunked else piece[:n]
                if a.chunked and left == 0:
                    pending += b"0\r\n\r\n"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Fail(1, "no reply within %d s (%d bytes sent)" % (a.timeout, sent))
            r, w, _ = select.select([s], [s] if pending else [], [], remaining)
            if r:
                break                   # a reply (or EOF): stop sending
            if w:
                try:
                    k = s.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    break               # the server stopped reading
                sent += k
                pending = pending[k:]
        s.setblocking(True)
        s.settimeout(max(1, deadline - time.monotonic()))
        while b"\r\n" not in reply:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            reply += data
    finally:
        s.close()
    first = reply.split(b"\r\n", 1)[0].split()
    if len(first) < 2 or not first[0].startswith(b"HTTP/") or not first[1].isdigit():
        raise Fail(1, "no HTTP reply after %d bytes sent (got %r)" % (sent, reply[:80]))
    print(int(first[1]), sent)
    return 0


def cmd_hash(a):
    print(sha256_hex(read(a.file)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("init", help="create a BPKI identity and publisher_request.xml")
    p.add_argument("state_dir")
    p.add_argument("--handle", required=True, help="publisher_handle to ask for")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("configure", help="store the server's repository_response")
    p.add_argument("state_dir")
    p.add_argument("--response", required=True, metavar="FILE",
                   help="RFC 8183 repository_response XML")
    p.set_defaults(func=cmd_configure)

    p = sub.add_parser("query", help="send one signed RFC 8181 query",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Sign one RFC 8181 query (PDUs in command-line order), "
                       "POST it,\nverify the reply with openssl and print its XML.\n\n"
                       "exit status: 0 success/list, 1 other error, 3 report_error,\n"
                       "4 HTTP error, 5 reply does not verify")
    p.add_argument("state_dir")
    g = p.add_argument_group("PDUs (in command-line order)")
    g.add_argument("--list", nargs=0, action=PduAction, help="<list/> (alone in a query)")
    g.add_argument("--publish", action=PduAction, metavar="URI=FILE",
                   help="create: <publish> without hash")
    g.add_argument("--replace", action=PduAction, metavar="URI=FILE@HEXHASH",
                   help="replace the object whose SHA-256 is HEXHASH")
    g.add_argument("--withdraw", action=PduAction, metavar="URI@HEXHASH",
                   help="<withdraw uri hash/>")
    g.add_argument("--tag", action=PduAction, metavar="TAG", help="tag of the next PDU")
    g.add_argument("--raw-xml", metavar="FILE", help="sign and send FILE as the eContent")
    f = p.add_argument_group("faults (negative tests)")
    f.add_argument("--signing-time", type=int, metavar="EPOCH",
                   help="signing-time (default: now)")
    f.add_argument("--ee-expired", action="store_true",
                   help="sign with an EE whose validity ended yesterday")
    f.add_argument("--ee-revoked", action="store_true",
                   help="carry a CRL that revokes the signing EE")
    f.add_argument("--no-crl", action="store_true", help="carry no CRL")
    f.add_argument("--crl-expired", action="store_true",
                   help="carry a CRL whose nextUpdate was yesterday")
    f.add_argument("--sign-with", metavar="OTHER_STATE_DIR",
                   help="sign with another identity (sent to this one's service_uri)")
    f.add_argument("--extra-cert", action="store_true",
                   help="carry two certificates (EE and TA)")
    f.add_argument("--reencode-length", type=int, nargs="?", const=4, metavar="N",
                   help="send the message with its outer ContentInfo length "
                   "re-encoded in the long form with N length octets (default "
                   "4: 30 84 00 00 LL LL; BER, not DER)")
    f.add_argument("--truncate", type=int, metavar="N", help="send only the first N bytes")
    f.add_argument("--save-cms", metavar="FILE", help="save the bytes sent")
    f.add_argument("--send-cms", metavar="FILE", help="send FILE verbatim (replay)")
    f.add_argument("--content-type", default=CONTENT_TYPE, metavar="T",
                   help="request Content-Type (default %(default)s)")
    f.add_argument("--service-uri", metavar="URI", help="POST here instead")
    o = p.add_argument_group("output and test control")
    o.add_argument("--print", choices=("xml", "pairs"), default="xml",
                   help="pairs: print a list reply as sorted 'URI HASH' lines")
    o.add_argument("--kill-after-reply", type=int, metavar="PID",
                   help="SIGKILL PID as soon as an HTTP 200 reply has arrived "
                        "(before it is verified; for crash tests)")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("stream-post", help="stream a large POST body, stop at an "
                       "early reply; print 'STATUS BYTES_SENT'")
    p.add_argument("url")
    p.add_argument("--size", type=int, required=True, metavar="BYTES",
                   help="body size (zero bytes)")
    p.add_argument("--chunked", action="store_true",
                   help="Transfer-Encoding: chunked (default: Content-Length)")
    p.add_argument("--timeout", type=int, default=60, metavar="S",
                   help="give up after S seconds (default %(default)s)")
    p.set_defaults(func=cmd_stream_post)

    p = sub.add_parser("hash", help="print the RFC 8181 hash (hex SHA-256) of FILE")
    p.add_argument("file")
    p.set_defaults(func=cmd_hash)

    a = ap.parse_args()
    try:
        return a.func(a)
    except Fail as e:
        print("pubclient: %s" % e, file=sys.stderr)
        return e.status


if __name__ == "__main__":
    sys.exit(main())
