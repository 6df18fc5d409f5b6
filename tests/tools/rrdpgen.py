#!/usr/bin/python3
"""Write a small, consistent RRDP repository (RFC 8182) for rrdpsync's
tests, optionally broken in one named way.

    rrdpgen.py OUT --base URL --session UUID --serial N [--deltas K]
               [--mutate S] [--omit-delta S] [--wrong-hash WHICH]
               [--foreign URL] [--doctype WHICH] [--entity-bomb WHICH]
               [--pad BYTES] [--no-fit S]

OUT gets notification.xml, SERIAL/snapshot.xml and SERIAL/delta.xml for
the listed deltas, each URI BASE + the path below OUT (the layout of the
example in RFC 9697 section 3.1).  The history is deterministic: delta 1
publishes 40 objects under ca/base/ (so the snapshot outweighs the
deltas listed, RFC 8182 section 3.3.2); delta s publishes ca/o<s>.roa (no hash: new), replaces ca/manifest.mft (with the
hash of its content at s - 1; delta 1 creates it), and every third
serial withdraws ca/o<s-2>.roa.  The snapshot of serial N holds the
result.  Objects are pseudo-random bytes derived from name and serial,
so two runs write the same files.

    --mutate S       delta S publishes other bytes for ca/o<S>.roa (a
                     history rewritten from S on, RFC 9697's case)
    --omit-delta S   leave delta S out of the notification (a gap)
    --wrong-hash W   list a wrong hash for W ("snapshot" or a serial)
    --foreign URL    the snapshot URI on another origin (URL + path)
    --doctype W      a DOCTYPE in W ("notification", "snapshot", serial)
    --entity-bomb W  a billion-laughs entity declaration in W
    --pad BYTES      white space in the notification up to BYTES
    --no-fit S       delta S replaces ca/manifest.mft with a wrong old
                     hash: well-formed and listed with its right hash,
                     but it does not apply (RFC 8182 section 3.4.2)
"""
import argparse
import base64
import hashlib
import os

NS = "http://www.ripe.net/rpki/rrdp"
RSYNC = "rsync://rpki.example.net/repo/ca/"
BOMB = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        ']>\n')
DOCTYPE = '<!DOCTYPE %s SYSTEM "http://127.0.0.1:9/evil.dtd">\n'


def obj(name, version, mutated=False):
    seed = ("%s %d %s" % (name, version, "m" if mutated else "")).encode()
    out = b""
    while len(out) < 300 + hashlib.sha256(seed).digest()[0] * 3:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return out


def history(last, mutate):
    """Objects after each serial and each delta's elements."""
    state = {}
    deltas = {}
    for s in range(1, last + 1):
        elems = []
        if s == 1:
            # A base the snapshot always holds, so that it outweighs the
            # deltas listed (RFC 8182 section 3.3.2).
            for k in range(40):
                name = RSYNC + "base/b%02d.cer" % k
                state[name] = obj(name, 0)
                elems.append(("publish", name, None, state[name]))
        new = RSYNC + "o%d.roa" % s
        data = obj(new, s, mutated=(mutate is not None and s == mutate))
        elems.append(("publish", new, None, data))
        state[new] = data
        mft = RSYNC + "manifest.mft"
        mdata = obj(mft, s)
        old = hashlib.sha256(state[mft]).hexdigest() if mft in state else None
        elems.append(("publish", mft, old, mdata))
        state[mft] = mdata
        if s % 3 == 0 and RSYNC + "o%d.roa" % (s - 2) in state:
            gone = RSYNC + "o%d.roa" % (s - 2)
            elems.append(("withdraw", gone,
                          hashlib.sha256(state[gone]).hexdigest(), None))
            del state[gone]
        deltas[s] = elems
    return state, deltas


def root(kind, session, serial):
    return ('<%s xmlns="%s" version="1" session_id="%s" serial="%d">\n'
            % (kind, NS, session, serial))


def prolog(which, a):
    text = ""
    if a.doctype == which:
        text += DOCTYPE % ("notification" if which == "notification" else
                           "snapshot" if which == "snapshot" else "delta")
    if a.entity_bomb == which:
        text += BOMB
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--base", required=True)
    ap.add_argument("--session", required=True)
    ap.add_argument("--serial", type=int, required=True)
    ap.add_argument("--deltas", type=int, default=3)
    ap.add_argument("--mutate", type=int)
    ap.add_argument("--omit-delta", type=int)
    ap.add_argument("--wrong-hash")
    ap.add_argument("--foreign")
    ap.add_argument("--doctype")
    ap.add_argument("--entity-bomb")
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("--no-fit", type=int)
    a = ap.parse_args()
    state, deltas = history(a.serial, a.mutate)
    os.makedirs(a.out, exist_ok=True)
    listed = []

    def write(rel, text):
        path = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode()
        with open(path, "wb") as f:
            f.write(data)
        return hashlib.sha256(data).hexdigest()

    first = max(1, a.serial - a.deltas + 1)
    for s in range(a.serial, first - 1, -1):
        if a.deltas == 0:
            break
        text = prolog(str(s), a) + root("delta", a.session, s)
        for kind, uri, h, data in deltas[s]:
            if a.no_fit == s and uri.endswith("manifest.mft"):
                h = "0" * 64
            if kind == "withdraw":
                text += '  <withdraw uri="%s" hash="%s"/>\n' % (uri, h)
            else:
                text += '  <publish uri="%s"%s>%s</publish>\n' % (
                    uri, ' hash="%s"' % h if h else "",
                    base64.b64encode(data).decode())
        text += "</delta>\n"
        h = write("%d/delta.xml" % s, text)
        if a.wrong_hash == str(s):
            h = hashlib.sha256(b"not this").hexdigest()
        if a.omit_delta != s:
            listed.append((s, a.base + "%d/delta.xml" % s, h))
    text = prolog("snapshot", a) + root("snapshot", a.session, a.serial)
    for uri in sorted(state):
        text += '  <publish uri="%s">%s</publish>\n' % (
            uri, base64.b64encode(state[uri]).decode())
    text += "</snapshot>\n"
    snap_hash = write("%d/snapshot.xml" % a.serial, text)
    if a.wrong_hash == "snapshot":
        snap_hash = hashlib.sha256(b"not this").hexdigest()
    snap_uri = (a.foreign or a.base) + "%d/snapshot.xml" % a.serial
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + \
        prolog("notification", a) + \
        root("notification", a.session, a.serial) + \
        '  <snapshot uri="%s" hash="%s"/>\n' % (snap_uri, snap_hash)
    for s, uri, h in listed:
        text += '  <delta serial="%d" uri="%s" hash="%s"/>\n' % (s, uri, h)
    if a.pad > len(text):
        text += " " * (a.pad - len(text))
    text += "</notification>\n"
    write("notification.xml", text)


if __name__ == "__main__":
    main()
