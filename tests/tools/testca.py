#!/usr/bin/python3
"""testca.py: a small RPKI Certification Authority for rpkipub's tests and demos.

It writes a valid RPKI tree that real relying parties (rpki-client,
fort-validator, octorpki) accept, and changes it so tests can publish
updates.  Written from the RFCs, not from other software:

  RFC 6487  resource certificate profile (TA, child CA, one-use EE certs)
  RFC 3779  IP address and AS identifier extensions
  RFC 6488  signed objects (CMS SignedData, one EE certificate, signed
            attributes content-type, message-digest and signing-time, sid
            SubjectKeyIdentifier, no CRLs in the CMS)
  RFC 7935  algorithms: RSA 2048, SHA-256, rsaEncryption in SignerInfo
  RFC 9286  manifests;  RFC 9582 ROAs;  RFC 8630 TALs
  ASPA      draft-ietf-sidrops-aspa-profile-10 (what Debian's rpki-client
            8.2 implements): ASProviderAttestation ::= SEQUENCE {
            version [0] EXPLICIT INTEGER DEFAULT 0, customerASID INTEGER,
            providers SEQUENCE OF ProviderAS }, ProviderAS ::= SEQUENCE {
            providerASID INTEGER, afiLimit OCTET STRING (SIZE(2)) OPTIONAL },
            eContentType 1.2.840.113549.1.9.16.1.49, file name .asa.

Needs Debian's /usr/bin/python3 with python3-cryptography and
python3-asn1crypto; `tls` also runs the openssl command.

Two directories: the state directory (keys, certificates of the CAs,
state.json: never published) and the publication directory (exactly the
files a CA would publish under its rsync base; every command that changes
the tree rewrites it, so a client such as rpkipub-push or pubclient.py can
make a publication point equal to it).  Layout under the rsync base B:

  B/ta.cer                     trust anchor certificate (the TAL points here)
  B/ta/ta.mft ta.crl           the TA's publication point: manifest, CRL,
  B/ta/<SKI>.roa <SKI>.asa     ROAs and ASPAs it issues,
  B/ta/child.cer               and the child CA certificate (with --child)
  B/child/child.mft child.crl  the child's publication point
  B/child/<SKI>.roa

The TA holds all resources (0.0.0.0/0, ::/0, AS 0-4294967295); the child
holds 10.0.0.0/8, 2001:db8::/32 and AS 64496-64511 (the ROAs and ASPAs
given to --ca child must fit in them).

Subcommands (STATE is the state directory):
  init STATE --pub DIR --rsync-base rsync://HOST[:PORT]/module/path/
       --rrdp-notify https://HOST[:PORT]/rrdp/notification.xml
       [--child] [--example] [--tal-uri URI ...]
  add-roa STATE PREFIX[-MAXLEN] ASN [--ca ta|child]
  remove-roa STATE PREFIX[-MAXLEN] ASN
  add-aspa STATE CUSTOMER PROVIDER[:4|:6] ... [--ca ta|child]
  remove-aspa STATE CUSTOMER
  reissue STATE          new manifest number and CRL for every CA, nothing else
  vrps STATE             expected VRPs, sorted "ASN PREFIX MAXLEN" lines
  aspas STATE            expected ASPAs, "CUSTOMER PROVIDER[:4|:6] ..." lines
  tal STATE              print the TAL path
  tls DIR [--ip 127.0.0.1] [--dns localhost]
                         a local TLS CA and a server certificate: DIR/ca.pem,
                         DIR/server.pem, DIR/server.key, DIR/hashed/ (the CA
                         under its OpenSSL subject hash, for fort's
                         --http.ca-path)

Every change (add-*, remove-*, reissue) re-issues each CA's manifest (its
number + 1) and CRL (its number + 1); a removed object's EE certificate is
revoked on the new CRL.  Objects that did not change keep their bytes.
ASNs may be written 64496 or AS64496.  Manifests and CRLs are valid for
24 hours (EE and CA certificates for a year): run `reissue` at least
daily for a tree that lives longer.
"""

import argparse
import base64
import datetime
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys

from asn1crypto import algos
from asn1crypto import cms as acms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier

# ---- object identifiers -------------------------------------------------

OID_IP_ADDR_BLOCKS = "1.3.6.1.5.5.7.1.7"	# RFC 3779 id-pe-ipAddrBlocks
OID_AS_IDS = "1.3.6.1.5.5.7.1.8"		# RFC 3779 id-pe-autonomousSysIds
OID_CP_RPKI = "1.3.6.1.5.5.7.14.2"		# RFC 6484 id-cp-ipAddr-asNumber
OID_AD_CA_REPOSITORY = "1.3.6.1.5.5.7.48.5"
OID_AD_RPKI_MANIFEST = "1.3.6.1.5.5.7.48.10"
OID_AD_SIGNED_OBJECT = "1.3.6.1.5.5.7.48.11"
OID_AD_RPKI_NOTIFY = "1.3.6.1.5.5.7.48.13"
OID_CT_ROA = "1.2.840.113549.1.9.16.1.24"	# RFC 9582
OID_CT_MANIFEST = "1.2.840.113549.1.9.16.1.26"	# RFC 9286
OID_CT_ASPA = "1.2.840.113549.1.9.16.1.49"	# ASPA profile
OID_SHA256 = "2.16.840.1.101.3.4.2.1"

AFI = {4: b"\x00\x01", 6: b"\x00\x02"}
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
CHILD_RESOURCES = {"ipv4": ["10.0.0.0/8"], "ipv6": ["2001:db8::/32"], "asn": [[64496, 64511]]}
TA_RESOURCES = {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"], "asn": [[0, 4294967295]]}


class Fail(Exception):
    pass


# ---- a small DER writer (only what RPKI eContent and RFC 3779 need) ------

def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def d_seq(*items):
    return tlv(0x30, b"".join(items))


def d_int(n):
    return tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def d_oid(dotted):
    arcs = [int(x) for x in dotted.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def d_octets(b):
    return tlv(0x04, b)


def d_null():
    return b"\x05\x00"


def d_ia5(s):
    return tlv(0x16, s.encode("ascii"))


def d_gentime(t):
    return tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


def d_explicit(n, content):
    return tlv(0xA0 | n, content)


def d_bits(data, unused=0):
    return tlv(0x03, bytes([unused]) + data)


def d_prefix(net):
    """RFC 3779 section 2.2.3.8: an IPAddress BIT STRING of the prefix bits."""
    plen = net.prefixlen
    nbytes = (plen + 7) // 8
    unused = (8 - plen % 8) % 8
    return d_bits(net.network_address.packed[:nbytes], unused)


# ---- RFC 3779 extensions --------------------------------------------------

def ip_blocks(v4, v6, inherit=False):
    """IPAddrBlocks: one IPAddressFamily per family present (IPv4 first), the
    prefixes sorted (callers give non-overlapping prefixes); inherit=True
    gives the inherit form for both families."""
    fams = []
    for ver, nets in ((4, v4), (6, v6)):
        if inherit:
            fams.append(d_seq(d_octets(AFI[ver]), d_null()))
        elif nets:
            nets = sorted(ipaddress.ip_network(n) for n in nets)
            fams.append(d_seq(d_octets(AFI[ver]), d_seq(*[d_prefix(n) for n in nets])))
    return d_seq(*fams)


def as_ids(ranges, inherit=False):
    """ASIdentifiers with asnum only: ranges are [min, max] pairs or ints."""
    if inherit:
        choice = d_null()
    else:
        items = []
        for r in sorted(ranges, key=lambda r: r if isinstance(r, int) else r[0]):
            if isinstance(r, int) or r[0] == r[1]:
                items.append(d_int(r if isinstance(r, int) else r[0]))
            else:
                items.append(d_seq(d_int(r[0]), d_int(r[1])))
        choice = d_seq(*items)
    return d_seq(d_explicit(0, choice))


# ---- time, files, keys ----------------------------------------------------

def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data, mode=0o644):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def der(obj):
    return obj.public_bytes(serialization.Encoding.DER)


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_key(path):
    return serialization.load_pem_private_key(read(path), None)


def ski_of(key):
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest


def rpki_name(key):
    """RFC 6487 section 4.4/4.5: a CommonName (PrintableString) that is the
    hex of the key's SKI, unique for the key."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ski_of(key).hex().upper(),
                                         _type=x509.name._ASN1Type.PrintableString)])


def uri_ad(oid, uri):
    return x509.AccessDescription(ObjectIdentifier(oid), x509.UniformResourceIdentifier(uri))


def parse_asn(s):
    s = s.strip()
    if s.upper().startswith("AS"):
        s = s[2:]
    n = int(s)
    if not 0 <= n <= 4294967295:
        raise Fail("AS number out of range: %s" % s)
    return n


def parse_roa_prefix(s):
    """PREFIX[-MAXLEN] -> (network, maxlen or None)."""
    p, sep, m = s.partition("-")
    try:
        net = ipaddress.ip_network(p, strict=True)
    except ValueError as e:
        raise Fail("bad prefix %s: %s" % (p, e))
    maxlen = None
    if sep:
        maxlen = int(m)
        if not net.prefixlen <= maxlen <= net.max_prefixlen:
            raise Fail("maxLength %d out of range for %s" % (maxlen, net))
    return net, maxlen


# ---- certificates and CRLs (RFC 6487) ------------------------------------

class CA:
    """One CA of the tree: its key, certificate, and publication point."""

    def __init__(self, tree, name):
        self.tree, self.name = tree, name
        self.st = tree.state["cas"][name]
        self.key = load_key(os.path.join(tree.dir, name + ".key"))
        self.cert = x509.load_der_x509_certificate(read(os.path.join(tree.dir, name + ".cer")))

    @property
    def repo_uri(self):		# caRepository, ends in /
        return self.tree.base + self.name + "/"

    @property
    def cert_uri(self):		# where this CA's certificate is published
        if self.st["parent"] is None:
            return self.tree.base + self.name + ".cer"
        return self.tree.base + self.st["parent"] + "/" + self.name + ".cer"

    @property
    def crl_uri(self):
        return self.repo_uri + self.name + ".crl"

    @property
    def mft_uri(self):
        return self.repo_uri + self.name + ".mft"

    def resources(self):
        return TA_RESOURCES if self.st["parent"] is None else CHILD_RESOURCES


def ca_cert(tree, name, key, issuer_cert, issuer_key, resources, t):
    """A CA certificate (self-signed when issuer_cert is None)."""
    subject = rpki_name(key)
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer_cert.subject if issuer_cert else subject)
         .public_key(key.public_key())
         .serial_number(tree.next_serial())
         .not_valid_before(t - HOUR)
         .not_valid_after(t + 365 * DAY)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier(ski_of(key)), critical=False)
         .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=True, crl_sign=True,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectInformationAccess([
             uri_ad(OID_AD_CA_REPOSITORY, tree.base + name + "/"),
             uri_ad(OID_AD_RPKI_MANIFEST, tree.base + name + "/" + name + ".mft"),
             uri_ad(OID_AD_RPKI_NOTIFY, tree.state["rrdp_notify"])]), critical=False)
         .add_extension(x509.CertificatePolicies([
             x509.PolicyInformation(ObjectIdentifier(OID_CP_RPKI), None)]), critical=True)
         .add_extension(x509.UnrecognizedExtension(
             ObjectIdentifier(OID_IP_ADDR_BLOCKS),
             ip_blocks(resources["ipv4"], resources["ipv6"])), critical=True)
         .add_extension(x509.UnrecognizedExtension(
             ObjectIdentifier(OID_AS_IDS), as_ids(resources["asn"])), critical=True))
    if issuer_cert is not None:
        parent = tree.state["cas"][name]["parent"]
        b = (b.add_extension(x509.AuthorityKeyIdentifier(ski_of(issuer_key), None, None),
                             critical=False)
             .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                 [x509.UniformResourceIdentifier(tree.base + parent + "/" + parent + ".crl")],
                 None, None, None)]), critical=False)
             .add_extension(x509.AuthorityInformationAccess([
                 uri_ad(AuthorityInformationAccessOID.CA_ISSUERS.dotted_string,
                        tree.cert_uri_of(parent))]), critical=False))
    return b.sign(issuer_key if issuer_key else key, hashes.SHA256())


def ee_cert(tree, ca, key, obj_uri, not_after, v4=(), v6=(), asns=(), inherit=False, t=None,
            not_before=None):
    """A one-use EE certificate (RFC 6487) for the signed object at obj_uri."""
    t = t or now()
    b = (x509.CertificateBuilder()
         .subject_name(rpki_name(key))
         .issuer_name(ca.cert.subject)
         .public_key(key.public_key())
         .serial_number(tree.next_serial())
         .not_valid_before(not_before or t - HOUR)
         .not_valid_after(not_after)
         .add_extension(x509.SubjectKeyIdentifier(ski_of(key)), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier(ski_of(ca.key), None, None), critical=False)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=False, crl_sign=False,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
             [x509.UniformResourceIdentifier(ca.crl_uri)], None, None, None)]), critical=False)
         .add_extension(x509.AuthorityInformationAccess([
             uri_ad(AuthorityInformationAccessOID.CA_ISSUERS.dotted_string, ca.cert_uri)]),
             critical=False)
         .add_extension(x509.SubjectInformationAccess([
             uri_ad(OID_AD_SIGNED_OBJECT, obj_uri)]), critical=False)
         .add_extension(x509.CertificatePolicies([
             x509.PolicyInformation(ObjectIdentifier(OID_CP_RPKI), None)]), critical=True))
    if inherit or v4 or v6:
        b = b.add_extension(x509.UnrecognizedExtension(
            ObjectIdentifier(OID_IP_ADDR_BLOCKS), ip_blocks(v4, v6, inherit)), critical=True)
    if inherit or asns:
        b = b.add_extension(x509.UnrecognizedExtension(
            ObjectIdentifier(OID_AS_IDS), as_ids(asns, inherit)), critical=True)
    return b.sign(ca.key, hashes.SHA256())


# ---- signed objects (RFC 6488) -------------------------------------------

def sha256_alg():
    """AlgorithmIdentifier sha256, parameters absent (RFC 5754 section 2)."""
    return algos.DigestAlgorithm.load(bytes.fromhex("300b0609608648016503040201"))


def signed_object(econtent_type, econtent, ee, ee_key, signing_time):
    attrs = acms.CMSAttributes([	# DER SET OF: asn1crypto sorts it
        {"type": "content_type", "values": [econtent_type]},
        {"type": "message_digest", "values": [hashlib.sha256(econtent).digest()]},
        {"type": "signing_time", "values": [acms.Time({"utc_time": signing_time})]},
    ])
    signature = ee_key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    signer = acms.SignerInfo({
        "version": "v3",
        "sid": acms.SignerIdentifier({"subject_key_identifier": ski_of(ee_key)}),
        "digest_algorithm": sha256_alg(),
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": signature,
    })
    sd = acms.SignedData({
        "version": "v3",
        "digest_algorithms": [sha256_alg()],
        "encap_content_info": {"content_type": econtent_type,
                               "content": acms.ParsableOctetString(econtent)},
        "certificates": [ax509.Certificate.load(der(ee))],
        "signer_infos": [signer],
    })
    return acms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def roa_econtent(asn, prefixes):
    """RFC 9582 RouteOriginAttestation; prefixes: [(network, maxlen|None)]."""
    fams = []
    for ver in (4, 6):
        addrs = sorted((n, m) for n, m in prefixes if n.version == ver)
        if addrs:
            fams.append(d_seq(d_octets(AFI[ver]), d_seq(*[
                d_seq(d_prefix(n), *([d_int(m)] if m is not None else [])) for n, m in addrs])))
    return d_seq(d_int(asn), d_seq(*fams))


def aspa_econtent(customer, providers):
    """ASProviderAttestation of draft-ietf-sidrops-aspa-profile-10 (version
    0 is the DEFAULT, so it is not encoded); providers: [(asn, afi|None)]
    in ascending ASN order."""
    items = []
    for asn, afi in sorted(providers):
        items.append(d_seq(d_int(asn), *([d_octets(AFI[afi])] if afi else [])))
    return d_seq(d_int(customer), d_seq(*items))


def manifest_econtent(number, this_update, next_update, files):
    """RFC 9286 Manifest; files: [(name, bytes)]."""
    fl = [d_seq(d_ia5(n), d_bits(hashlib.sha256(b).digest())) for n, b in sorted(files)]
    return d_seq(d_int(number), d_gentime(this_update), d_gentime(next_update),
                 d_oid(OID_SHA256), d_seq(*fl))


# ---- the tree -------------------------------------------------------------

class Tree:
    def __init__(self, d):
        self.dir = d
        try:
            self.state = json.loads(read(os.path.join(d, "state.json")))
        except (OSError, ValueError) as e:
            raise Fail("%s: not a testca state directory: %s" % (d, e))
        self.base = self.state["rsync_base"]
        self.pub = self.state["pub"]

    def save(self):
        write(os.path.join(self.dir, "state.json"),
              json.dumps(self.state, indent=1, sort_keys=True).encode() + b"\n")

    def next_serial(self):
        self.state["serial"] += 1
        return self.state["serial"]

    def cert_uri_of(self, name):
        parent = self.state["cas"][name]["parent"]
        return self.base + (name + ".cer" if parent is None else parent + "/" + name + ".cer")

    def ca(self, name):
        if name not in self.state["cas"]:
            raise Fail("no CA %r in this tree (init --child makes 'child')" % name)
        return CA(self, name)

    def objdir(self, ca):
        d = os.path.join(self.dir, "objects", ca)
        os.makedirs(d, exist_ok=True)
        return d

    # An object is kept in the state directory as FILE (DER) plus an entry in
    # state["cas"][ca]["objects"]: {"file", "kind", "serial", ...}.

    def add_object(self, ca_name, kind, econtent_type, econtent, ee_kw, meta):
        ca = self.ca(ca_name)
        key = new_key()
        fname = ski_of(key).hex() + "." + kind
        t = now()
        ee = ee_cert(self, ca, key, ca.repo_uri + fname, t + 365 * DAY, t=t, **ee_kw)
        obj = signed_object(econtent_type, econtent, ee, key, t)
        write(os.path.join(self.objdir(ca_name), fname), obj)
        entry = dict(meta, file=fname, kind=kind, serial=ee.serial_number)
        self.state["cas"][ca_name]["objects"].append(entry)
        return entry

    def remove_object(self, ca_name, entry):
        st = self.state["cas"][ca_name]
        st["objects"].remove(entry)
        st["revoked"].append([entry["serial"], int(now().timestamp())])
        try:
            os.unlink(os.path.join(self.objdir(ca_name), entry["file"]))
        except FileNotFoundError:
            pass

    def reissue(self):
        """New CRL and manifest for every CA, then the publication directory
        rewritten to hold exactly the tree's files."""
        t = now()
        files = {}	# path relative to the publication dir -> bytes
        files[self.state["ta_file"]] = read(os.path.join(self.dir, "ta.cer"))
        for name in self.state["cas"]:
            ca = CA(self, name)
            st = ca.st
            st["crl_number"] += 1
            st["mft_number"] += 1
            nxt = t + DAY
            b = (x509.CertificateRevocationListBuilder()
                 .issuer_name(ca.cert.subject)
                 .last_update(t)
                 .next_update(nxt)
                 .add_extension(x509.AuthorityKeyIdentifier(ski_of(ca.key), None, None),
                                critical=False)
                 .add_extension(x509.CRLNumber(st["crl_number"]), critical=False))
            for serial, when in st["revoked"]:
                b = b.add_revoked_certificate(
                    x509.RevokedCertificateBuilder().serial_number(serial)
                    .revocation_date(datetime.datetime.fromtimestamp(when, datetime.timezone.utc))
                    .build())
            crl = der(b.sign(ca.key, hashes.SHA256()))
            pp = {name + ".crl": crl}
            for o in st["objects"]:
                pp[o["file"]] = read(os.path.join(self.objdir(name), o["file"]))
            for child, cst in self.state["cas"].items():
                if cst["parent"] == name:
                    pp[child + ".cer"] = read(os.path.join(self.dir, child + ".cer"))
            # RFC 9286 section 4.2.1 / 5.1: a new one-use EE certificate whose
            # validity matches thisUpdate..nextUpdate; inherit resources.
            key = new_key()
            ee = ee_cert(self, ca, key, ca.mft_uri, nxt, inherit=True, t=t, not_before=t)
            ec = manifest_econtent(st["mft_number"], t, nxt, list(pp.items()))
            # the manifest EE is used once: revoke the previous one next time
            if st.get("mft_serial"):
                st["revoked"].append([st["mft_serial"], int(t.timestamp())])
            st["mft_serial"] = ee.serial_number
            pp[name + ".mft"] = signed_object(OID_CT_MANIFEST, ec, ee, key, t)
            for fname, data in pp.items():
                files[name + "/" + fname] = data
        self.save()
        self.write_pub(files)

    def write_pub(self, files):
        """Make the publication directory hold exactly files (unchanged
        files are not rewritten, so their mtimes stay)."""
        os.makedirs(self.pub, exist_ok=True)
        for rel, data in files.items():
            path = os.path.join(self.pub, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.exists(path) and read(path) == data:
                continue
            write(path, data)
        for root, dirs, names in os.walk(self.pub, topdown=False):
            for n in names:
                rel = os.path.relpath(os.path.join(root, n), self.pub)
                if rel not in files:
                    os.unlink(os.path.join(root, n))
            if root != self.pub and not os.listdir(root):
                os.rmdir(root)

    def roas(self):
        for name, st in self.state["cas"].items():
            for o in st["objects"]:
                if o["kind"] == "roa":
                    yield name, o

    def aspas(self):
        for name, st in self.state["cas"].items():
            for o in st["objects"]:
                if o["kind"] == "asa":
                    yield name, o


# ---- commands -------------------------------------------------------------

def cmd_init(a):
    if not a.rsync_base.startswith("rsync://") or not a.rsync_base.endswith("/"):
        raise Fail("--rsync-base must be an rsync:// URI ending in /")
    if not a.rrdp_notify.startswith("https://"):
        # relying parties other than octorpki only fetch RRDP over https
        print("testca: warning: --rrdp-notify is not https", file=sys.stderr)
    os.makedirs(a.state_dir, exist_ok=True)
    if os.path.exists(os.path.join(a.state_dir, "state.json")):
        raise Fail("%s is already initialised" % a.state_dir)
    state = {"rsync_base": a.rsync_base, "rrdp_notify": a.rrdp_notify,
             "pub": os.path.abspath(a.pub), "serial": 0, "ta_file": "ta.cer",
             "cas": {"ta": {"parent": None, "crl_number": 0, "mft_number": 0,
                            "objects": [], "revoked": []}}}
    if a.child:
        state["cas"]["child"] = {"parent": "ta", "crl_number": 0, "mft_number": 0,
                                 "objects": [], "revoked": []}
    write(os.path.join(a.state_dir, "state.json"), json.dumps(state).encode())
    tree = Tree(a.state_dir)
    t = now()
    ta_key = new_key()
    write(os.path.join(a.state_dir, "ta.key"), key_pem(ta_key), 0o600)
    ta = ca_cert(tree, "ta", ta_key, None, None, TA_RESOURCES, t)
    write(os.path.join(a.state_dir, "ta.cer"), der(ta))
    if a.child:
        ck = new_key()
        write(os.path.join(a.state_dir, "child.key"), key_pem(ck), 0o600)
        write(os.path.join(a.state_dir, "child.cer"),
              der(ca_cert(tree, "child", ck, ta, ta_key, CHILD_RESOURCES, t)))
    # RFC 8630: URIs, an empty line, the base64 SubjectPublicKeyInfo.
    # rpki-client wants every URI to end in the same file name.
    uris = a.tal_uri or [a.rsync_base + "ta.cer"]
    spki = base64.b64encode(ta.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    tal = "".join(u + "\n" for u in uris) + "\n" + \
        "".join(spki[i:i + 64] + "\n" for i in range(0, len(spki), 64))
    write(os.path.join(a.state_dir, "ta.tal"), tal.encode())
    if a.example:
        example(tree)
    tree.reissue()
    print(os.path.join(a.state_dir, "ta.tal"))
    return 0


def example(tree):
    """The example content: ROAs (IPv4 and IPv6, with and without
    maxLength), an ASPA, and with a child CA one ROA and one ASPA there."""
    for p, asn in (("192.0.2.0/24", 64496), ("198.51.100.0/24-26", 64497),
                   ("2001:db8:100::/48", 64496), ("2001:db8:200::/40-48", 64498)):
        roa_add(tree, "ta", p, asn)
    aspa_add(tree, "ta", 64496, [(64500, None), (64501, 4), (64502, 6)])
    if "child" in tree.state["cas"]:
        roa_add(tree, "child", "10.1.0.0/16-24", 64510)
        roa_add(tree, "child", "2001:db8:1000::/36", 64510)
        aspa_add(tree, "child", 64510, [(64496, None)])


def roa_add(tree, ca_name, text, asn):
    net, maxlen = parse_roa_prefix(text)
    for _, o in tree.roas():
        if o["prefix"] == str(net) and o["maxlen"] == maxlen and o["asn"] == asn:
            raise Fail("a ROA for %s AS%d exists already" % (text, asn))
    kw = {"v4": [str(net)]} if net.version == 4 else {"v6": [str(net)]}
    tree.add_object(ca_name, "roa", OID_CT_ROA, roa_econtent(asn, [(net, maxlen)]), kw,
                    {"asn": asn, "prefix": str(net), "maxlen": maxlen})


def aspa_add(tree, ca_name, customer, providers):
    for _, o in tree.aspas():
        if o["customer"] == customer:
            raise Fail("an ASPA for AS%d exists already" % customer)
    asns = [p for p, _ in providers]
    if len(set(asns)) != len(asns) or customer in asns:
        raise Fail("providers must differ from each other and from the customer")
    tree.add_object(ca_name, "asa", OID_CT_ASPA, aspa_econtent(customer, providers),
                    {"asns": [customer]},
                    {"customer": customer, "providers": sorted(providers)})


def parse_provider(s):
    p, sep, afi = s.partition(":")
    if sep and afi not in ("4", "6"):
        raise Fail("provider %s: the AFI limit is :4 or :6" % s)
    return (parse_asn(p), int(afi) if sep else None)


def cmd_add_roa(a):
    tree = Tree(a.state_dir)
    roa_add(tree, a.ca, a.prefix, parse_asn(a.asn))
    tree.reissue()
    return 0


def cmd_remove_roa(a):
    tree = Tree(a.state_dir)
    net, maxlen = parse_roa_prefix(a.prefix)
    asn = parse_asn(a.asn)
    for ca_name, o in list(tree.roas()):
        if o["prefix"] == str(net) and o["maxlen"] == maxlen and o["asn"] == asn:
            tree.remove_object(ca_name, o)
            tree.reissue()
            return 0
    raise Fail("no ROA %s AS%d" % (a.prefix, asn))


def cmd_add_aspa(a):
    tree = Tree(a.state_dir)
    aspa_add(tree, a.ca, parse_asn(a.customer), [parse_provider(p) for p in a.providers])
    tree.reissue()
    return 0


def cmd_remove_aspa(a):
    tree = Tree(a.state_dir)
    c = parse_asn(a.customer)
    for ca_name, o in list(tree.aspas()):
        if o["customer"] == c:
            tree.remove_object(ca_name, o)
            tree.reissue()
            return 0
    raise Fail("no ASPA for AS%d" % c)


def cmd_reissue(a):
    Tree(a.state_dir).reissue()
    return 0


def cmd_vrps(a):
    tree = Tree(a.state_dir)
    lines = set()
    for _, o in tree.roas():
        net = ipaddress.ip_network(o["prefix"])
        lines.add("%d %s %d" % (o["asn"], net, o["maxlen"] or net.prefixlen))
    for line in sorted(lines):
        print(line)
    return 0


def cmd_aspas(a):
    tree = Tree(a.state_dir)
    for c, provs in sorted((o["customer"], o["providers"]) for _, o in tree.aspas()):
        print("%d %s" % (c, " ".join("%d%s" % (p, ":%d" % f if f else "") for p, f in provs)))
    return 0


def cmd_tal(a):
    print(os.path.join(os.path.abspath(a.state_dir), "ta.tal"))
    return 0


def cmd_tls(a):
    """A TLS CA and a server certificate for the given IPs and names."""
    os.makedirs(a.dir, exist_ok=True)
    t = now()
    ca_key, srv_key = new_key(), new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rpkipub test TLS CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(t - HOUR).not_valid_after(t + 3650 * DAY)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    sans = [x509.IPAddress(ipaddress.ip_address(i)) for i in a.ip] + \
        [x509.DNSName(n) for n in a.dns]
    srv = (x509.CertificateBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                       (a.dns or a.ip)[0])]))
           .issuer_name(ca_name).public_key(srv_key.public_key())
           .serial_number(x509.random_serial_number())
           .not_valid_before(t - HOUR).not_valid_after(t + 825 * DAY)
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                        key_encipherment=True, data_encipherment=False,
                                        key_agreement=False, key_cert_sign=False,
                                        crl_sign=False, encipher_only=False,
                                        decipher_only=False), critical=True)
           .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                          critical=False)
           .add_extension(x509.SubjectAlternativeName(sans), critical=False)
           .add_extension(x509.SubjectKeyIdentifier.from_public_key(srv_key.public_key()),
                          critical=False)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
               ca_key.public_key()), critical=False)
           .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    write(os.path.join(a.dir, "ca.pem"), ca.public_bytes(pem))
    write(os.path.join(a.dir, "ca.key"), key_pem(ca_key), 0o600)
    write(os.path.join(a.dir, "server.pem"), srv.public_bytes(pem))
    write(os.path.join(a.dir, "server.key"), key_pem(srv_key), 0o600)
    hashed = os.path.join(a.dir, "hashed")
    shutil.rmtree(hashed, ignore_errors=True)
    os.makedirs(hashed)
    shutil.copy(os.path.join(a.dir, "ca.pem"), os.path.join(hashed, "ca.pem"))
    subprocess.run(["openssl", "rehash", hashed], check=True)
    print(a.dir)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init", help="create the TA (and child), write the tree")
    p.add_argument("state_dir")
    p.add_argument("--pub", required=True, metavar="DIR", help="publication directory")
    p.add_argument("--rsync-base", required=True, metavar="URI")
    p.add_argument("--rrdp-notify", required=True, metavar="URI")
    p.add_argument("--tal-uri", action="append", metavar="URI",
                   help="TAL URI (repeatable; default RSYNC_BASE/ta.cer)")
    p.add_argument("--child", action="store_true", help="also a child CA")
    p.add_argument("--example", action="store_true", help="publish the example ROAs and ASPAs")
    p.set_defaults(fn=cmd_init)
    p = sub.add_parser("add-roa")
    p.add_argument("state_dir")
    p.add_argument("prefix", metavar="PREFIX[-MAXLEN]")
    p.add_argument("asn")
    p.add_argument("--ca", default="ta")
    p.set_defaults(fn=cmd_add_roa)
    p = sub.add_parser("remove-roa")
    p.add_argument("state_dir")
    p.add_argument("prefix", metavar="PREFIX[-MAXLEN]")
    p.add_argument("asn")
    p.set_defaults(fn=cmd_remove_roa)
    p = sub.add_parser("add-aspa")
    p.add_argument("state_dir")
    p.add_argument("customer")
    p.add_argument("providers", nargs="+", metavar="PROVIDER[:4|:6]")
    p.add_argument("--ca", default="ta")
    p.set_defaults(fn=cmd_add_aspa)
    p = sub.add_parser("remove-aspa")
    p.add_argument("state_dir")
    p.add_argument("customer")
    p.set_defaults(fn=cmd_remove_aspa)
    for name, fn in (("reissue", cmd_reissue), ("vrps", cmd_vrps), ("aspas", cmd_aspas),
                     ("tal", cmd_tal)):
        p = sub.add_parser(name)
        p.add_argument("state_dir")
        p.set_defaults(fn=fn)
    p = sub.add_parser("tls", help="a local TLS CA and server certificate")
    p.add_argument("dir")
    p.add_argument("--ip", action="append", default=[])
    p.add_argument("--dns", action="append", default=[])
    p.set_defaults(fn=cmd_tls)
    a = ap.parse_args()
    if a.cmd == "tls" and not a.ip and not a.dns:
        a.ip = ["127.0.0.1"]
    try:
        return a.fn(a)
    except Fail as e:
        print("testca: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
