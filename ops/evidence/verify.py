#!/usr/bin/env python3
"""Verify an ISMS Ledger evidence bundle offline (Python 3.8 or later, standard library only).

  python3 verify.py BUNDLE [--kept-checkpoint FILE] [--consistency-proof FILE] [--trust-key KEY]
  python3 verify.py consistency OLD.json NEW.json PROOF.json [--trust-key KEY]
  python3 verify.py inclusion CHECKPOINT.json EVENT_LINE.json PROOF.json [--trust-key KEY]

BUNDLE is the .tar.gz as downloaded or the folder it unpacks to. KEY is a public key
or its fingerprint (64 hex digits each). Exit status: 0 when every check holds, 1 with
a message naming the position or the checkpoint that fails, 2 for a wrong command line.
AUDITORS.md, next to this file in the bundle, says what the checks prove and what not.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import tarfile

FORMAT = 'isms-ledger-evidence-v1'
CHECKPOINT_STREAM, CHECKPOINT_TYPE = 'ledger.checkpoints', 'ledger.checkpoint.v1'
ERASURE_STREAM = 'eventstore.erasures'
ZERO_HASH = bytes(32)


class Failure(Exception):
    """A check that does not hold. The message names the position or the checkpoint."""


def sha256(data):
    return hashlib.sha256(data).digest()


def unhex(value, size, what):
    """`size` bytes written as exactly 2*size lowercase hex digits."""
    if not (isinstance(value, str) and len(value) == 2 * size and all(c in '0123456789abcdef' for c in value)):
        raise Failure(f'{what}: expected {2 * size} lowercase hex digits')
    return bytes.fromhex(value)


def fingerprint(public_key_hex):
    """The key's fingerprint: lowercase hex SHA-256 of its 32 raw bytes."""
    return sha256(bytes.fromhex(public_key_hex)).hex()


# ---------------------------------------------------------------------------
# Ed25519 signature verification, written out from RFC 8032 section 5.1
# (pure Ed25519: no context, no prehash). Points are kept in extended
# homogeneous coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z (5.1.4).

P = 2 ** 255 - 19                                          # the field prime p (5.1)
L = 2 ** 252 + 27742317777372353535851937790883648493      # the order L of the base point (5.1)
D = -121665 * pow(121666, P - 2, P) % P                    # d = -121665/121666 (5.1)
SQRT_M1 = pow(2, (P - 1) // 4, P)                          # 2^((p-1)/4), a square root of -1 (5.1.3)
NEUTRAL = (0, 1, 1, 0)


def point_add(p1, p2):
    """5.1.4: addition; the formula is complete, so it doubles too."""
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(scalar, point):
    """[scalar]point by double-and-add."""
    result = NEUTRAL
    while scalar > 0:
        if scalar & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        scalar >>= 1
    return result


def point_equal(p1, p2):
    """5.1.4: (X1/Z1, Y1/Z1) == (X2/Z2, Y2/Z2) without dividing."""
    return (p1[0] * p2[2] - p2[0] * p1[2]) % P == 0 and (p1[1] * p2[2] - p2[1] * p1[2]) % P == 0


def recover_x(y, sign):
    """5.1.3 steps 2-4: x from y and the sign bit x_0, or None when no such point exists."""
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P    # (u/v)^((p+3)/8)
    if (v * x * x - u) % P != 0:
        if (v * x * x + u) % P != 0:
            return None                      # case 3: u/v has no square root
        x = x * SQRT_M1 % P                  # case 2
    if x == 0 and sign == 1:
        return None
    return P - x if x % 2 != sign else x


def point_decode(data):
    """5.1.3: 32 bytes, little-endian y with the sign of x in bit 255; None when invalid."""
    if len(data) != 32:
        return None
    n = int.from_bytes(data, 'little')
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P:
        return None
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


BASE = point_decode((4 * pow(5, P - 2, P) % P).to_bytes(32, 'little'))   # B = (x, 4/5), x even (5.1)


def ed25519_verify(public_key, message, signature):
    """RFC 8032 5.1.7: True when `signature` (64 bytes) is by `public_key` (32 bytes) over `message`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = point_decode(public_key), point_decode(signature[:32])     # step 1
    s = int.from_bytes(signature[32:], 'little')
    if a is None or r is None or s >= L:
        return False
    # step 2: k = SHA-512(dom2(F, C) || R || A || PH(M)); for Ed25519 dom2 is empty and PH(M) = M
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), 'little') % L
    # step 3: the group equation [8][S]B = [8]R + [8][k]A'
    return point_equal(point_mul(8 * s, BASE), point_add(point_mul(8, r), point_mul(8 * k, a)))


# ---------------------------------------------------------------------------
# Canonical JSON and the event hash (the product's docs/eventstore.md,
# "Canonical JSON", "Canonical bytes (form 1)", "Verifying an NDJSON export").

def canon(v):
    """The canonical JSON text of a parsed value."""
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float('inf'), float('-inf')):
            raise ValueError('NaN or infinity')
        return '0' if v == 0 else '%.17g' % v
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return '[' + ','.join(canon(x) for x in v) + ']'
    keys = sorted(v, key=lambda k: k.encode('utf-8'))
    return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + canon(v[k]) for k in keys) + '}'


def canon_sha256(v):
    """SHA-256 of the canonical JSON text; ValueError/UnicodeError when it has none."""
    return sha256(canon(v).encode('utf-8'))


def length_prefixed(text):
    b = text.encode('utf-8')
    return struct.pack('>I', len(b)) + b


def canonical_bytes(e, data_digest):
    """Form 1: the bytes the chain hashes (with the payload's digest, not the payload)."""
    m = e['metadata']
    extra = m['extra'] if m['extra'] is not None else {}
    return (b'\x01' + struct.pack('>QQ', e['position'], e['version']) + length_prefixed(e['stream'])
            + length_prefixed(e['type']) + data_digest + length_prefixed(m['actor'])
            + length_prefixed(m['command_id']) + length_prefixed(m['correlation_id'])
            + length_prefixed(m['causation_id']) + struct.pack('>q', m['recorded_at_ms'])
            + length_prefixed(canon(extra)))


def check_event_line(e, where):
    """One export line on its own: its payload digest (unless erased) and its hash over prev_hash.
    Returns (hash, digest of the payload as shown). Raises Failure naming `where`."""
    try:
        digest = unhex(e['data_sha256'], 32, f'{where}: data_sha256')
        prev = unhex(e['prev_hash'], 32, f'{where}: prev_hash')
        recorded = unhex(e['hash'], 32, f'{where}: hash')
        shown = canon_sha256(e['data'])
        h = sha256(prev + canonical_bytes(e, digest))
    except (KeyError, TypeError, ValueError, UnicodeError, struct.error) as x:
        raise Failure(f'{where}: malformed event line ({type(x).__name__}: {x})')
    if not e.get('data_erased') and shown != digest:
        raise Failure(f'{where}: payload does not match data_sha256')
    if recorded != h:
        raise Failure(f'{where}: hash mismatch (the event differs from what was hashed)')
    return h, shown


# ---------------------------------------------------------------------------
# The Merkle tree over the event hashes, RFC 9162 section 2.1. Leaf i is the
# hash of the event at position i + 1.

def leaf_hash(leaf):
    return sha256(b'\x00' + leaf)


def node_hash(left, right):
    return sha256(b'\x01' + left + right)


class TreeHead:
    """The root of a growing tree, from the roots of its perfect subtrees (one per bit of the size)."""

    def __init__(self):
        self.size, self.subtrees = 0, []

    def append(self, leaf):
        h, s = leaf_hash(leaf), self.size
        while s & 1:                     # each set low bit is a subtree the new leaf completes
            h = node_hash(self.subtrees.pop(), h)
            s >>= 1
        self.subtrees.append(h)
        self.size += 1

    def root(self):
        if not self.subtrees:
            return sha256(b'')
        r = self.subtrees[-1]
        for s in reversed(self.subtrees[:-1]):
            r = node_hash(s, r)
        return r


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 2.1.3.2: `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2: the tree of `second` leaves keeps the tree of `first` leaves unchanged.
    As the server's proofs: equal sizes need an empty proof and equal roots; any tree extends the empty one."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:                                     # step 1
        return False
    path = list(proof)
    if first & (first - 1) == 0:                      # step 2: first is a power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1                    # step 3
    while fn & 1:                                     # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]                                 # step 5
    for c in path[1:]:                                # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0    # step 7


def proof_hashes(value, what):
    if not isinstance(value, list):
        raise Failure(f'{what}: proof is not a list')
    return [unhex(h, 32, f'{what}: proof hash {i + 1}') for i, h in enumerate(value)]


# ---------------------------------------------------------------------------
# Checkpoints: a signed statement of the tree size, head hash and root.

def checkpoint_from(obj, what):
    """Validates a checkpoint's fields; returns it with a `label` naming it in messages."""
    try:
        pos, t = obj['position'], obj['time']
        if not isinstance(pos, int) or isinstance(pos, bool) or pos < 0 or not isinstance(t, str):
            raise TypeError('position or time')
        cp = dict(obj, label=f'{what} at position {pos} (time {t})')
        for field, size in (('head_hash', 32), ('merkle_root', 32), ('key', 32), ('signature', 64)):
            unhex(obj[field], size, f"{cp['label']}: {field}")
        if 'next_key' in obj:
            unhex(obj['next_key'], 32, f"{cp['label']}: next_key")
        return cp
    except (KeyError, TypeError) as x:
        raise Failure(f'{what}: not a checkpoint (missing or wrong field {x})')


def statement(cp):
    """The exact bytes the key signs."""
    lines = ['isms-ledger checkpoint v1', f"position {cp['position']}", f"head_hash {cp['head_hash']}",
             f"merkle_root {cp['merkle_root']}", f"time {cp['time']}", f"key {cp['key']}"]
    if 'next_key' in cp:
        lines.append(f"next_key {cp['next_key']}")
    return ''.join(line + '\n' for line in lines).encode('utf-8')


def check_signature(cp):
    if not ed25519_verify(bytes.fromhex(cp['key']), statement(cp), bytes.fromhex(cp['signature'])):
        raise Failure(f"{cp['label']}: bad signature")


def key_matches(key, trust):
    return trust in (key, fingerprint(key))


def follow_chain_of_trust(checkpoints, trust):
    """Check 3: each checkpoint is signed by the key trusted at that point, starting from the oldest
    checkpoint's key; a next_key hands the trust on. A pinned key (`trust`) must have signed at least one
    of them, so pinning the key from before a rotation or the one after it both work, while a log re-keyed
    from scratch, or one that only announces the pinned key, is refused. Returns the keys in chain order."""
    keys = []
    for cp in checkpoints:
        if not keys:
            keys.append(cp['key'])
        elif cp['key'] != keys[-1]:
            raise Failure(f"{cp['label']}: signed by key {fingerprint(cp['key'])}, but the trusted key is "
                          f"{fingerprint(keys[-1])} and no earlier checkpoint announced a rotation to it")
        check_signature(cp)
        if cp.get('next_key', cp['key']) != cp['key']:
            keys.append(cp['next_key'])
    if trust and checkpoints and not any(key_matches(cp['key'], trust) for cp in checkpoints):
        first = checkpoints[0]
        raise Failure(f"{first['label']}: signed by key {fingerprint(first['key'])}, not by the trusted key {trust} "
                      '(no checkpoint of the bundle is signed by it)')
    return keys


# ---------------------------------------------------------------------------
# Reading a bundle.

def read_bundle(path):
    """Returns (top folder name or None, {relative path: bytes})."""
    files = {}
    if os.path.isdir(path):
        entries = os.listdir(path)
        if 'manifest.json' not in entries:
            inner = [e for e in entries if e.startswith('isms-evidence-') and os.path.isdir(os.path.join(path, e))]
            if len(inner) == 1:
                path = os.path.join(path, inner[0])
        for folder, _, names in os.walk(path):
            for name in names:
                full = os.path.join(folder, name)
                with open(full, 'rb') as f:
                    files[os.path.relpath(full, path).replace(os.sep, '/')] = f.read()
        return None, files
    try:
        with tarfile.open(path, 'r:gz') as tar:
            top = None
            for member in tar.getmembers():
                name = member.name[2:] if member.name.startswith('./') else member.name
                name = name.strip('/')
                first, _, rest = name.partition('/')
                if top not in (None, first):
                    raise Failure(f'bundle: more than one top folder ({top}, {first})')
                top = first
                if member.isdir():
                    continue
                if not member.isfile() or not rest:
                    raise Failure(f'bundle: {member.name} is not a regular file inside the top folder')
                files[rest] = tar.extractfile(member).read()
            return top, files
    except (OSError, tarfile.TarError) as x:
        raise Failure(f'bundle {path}: cannot be read ({x})')


def parse_json(data, what):
    try:
        return json.loads(data)
    except (ValueError, UnicodeError) as x:
        raise Failure(f'{what}: not valid JSON ({x})')


def load_json_file(path):
    try:
        with open(path, 'rb') as f:
            return parse_json(f.read(), path)
    except OSError as x:
        raise Failure(f'{path}: cannot be read ({x})')


def load_checkpoint_file(path, what):
    """A checkpoint object, or the newest of a saved GET /api/checkpoints response."""
    obj = load_json_file(path)
    if isinstance(obj, dict) and isinstance(obj.get('checkpoints'), list) and obj['checkpoints']:
        obj = obj['checkpoints'][-1]
    return checkpoint_from(obj, what)


# ---------------------------------------------------------------------------
# Check 7: the hashes the domain records, recomputed from the events.

HASHED_TYPES = ('review.inputs_assembled.v1', 'document.drafted.v1', 'document.revised.v1')


def check_recorded_hashes(events):
    """A review pack's pack_sha256, a document version's content_sha256 (of its text's bytes) and a
    document approval request's content hash. Erased payloads are skipped. Returns counts."""
    counts = {'review packs': 0, 'document texts': 0, 'document approvals': 0, 'skipped': 0}
    documents = {}                                   # stream -> the approval-relevant content
    for e in events:
        data, kind, where = e['data'], e['type'], f"position {e['position']} ({e['stream']}, {e['type']})"
        if e.get('data_erased'):
            if kind.startswith('document.'):
                documents[e['stream']] = None            # its approval content is no longer known
            if kind in HASHED_TYPES or (isinstance(data, dict) and isinstance(data.get('approval'), dict)):
                counts['skipped'] += 1
            continue
        try:
            if kind == 'review.inputs_assembled.v1':
                if canon_sha256(data['pack']).hex() != data['pack_sha256']:
                    raise Failure(f'{where}: pack_sha256 does not match the pack')
                counts['review packs'] += 1
            elif kind in ('document.drafted.v1', 'document.revised.v1'):
                if sha256(data['text'].encode('utf-8')).hex() != data['content_sha256']:
                    raise Failure(f'{where}: content_sha256 does not match the text')
                counts['document texts'] += 1
                before = documents.get(e['stream']) or {}
                if kind == 'document.drafted.v1':
                    before = {'document_id': data['document_id'], 'kind': data['kind'], 'document_version': 1}
                elif not before:
                    documents[e['stream']] = None        # drafted before the bundle starts
                    continue
                else:
                    before = dict(before, document_version=data['document_version'])
                for field in ('title', 'owner', 'classification', 'review_interval_months', 'content_sha256'):
                    before[field] = data[field]
                documents[e['stream']] = before
            elif isinstance(data, dict) and isinstance(data.get('approval'), dict):
                content = documents.get(e['stream']) if kind == 'document.approval_requested.v1' else None
                if content is None:
                    counts['skipped'] += 1               # another kind of subject, or not known from the bundle
                elif canon_sha256(content).hex() != data['approval']['content_hash']:
                    raise Failure(f'{where}: the approval content hash does not match the document as its '
                                  f'events leave it (version {content["document_version"]})')
                else:
                    counts['document approvals'] += 1
        except (KeyError, TypeError, AttributeError, ValueError, UnicodeError) as x:
            raise Failure(f'{where}: malformed payload ({type(x).__name__}: {x})')
    return counts


# ---------------------------------------------------------------------------
# The bundle, checks 1 to 7, one function each.

def check_manifest(top, files):
    """Check 1: the manifest names every other file with its SHA-256. Returns (manifest, from, to)."""
    if 'manifest.json' not in files:
        raise Failure('bundle: manifest.json is missing')
    manifest = parse_json(files['manifest.json'], 'manifest.json')
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise Failure(f'manifest: format is not {FORMAT}')
    listed = manifest.get('files')
    if not isinstance(listed, dict):
        raise Failure('manifest: no files list')
    for name in sorted(files):
        if name != 'manifest.json' and name not in listed:
            raise Failure(f'manifest: file {name} is in the bundle but not in the manifest')
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise Failure(f'manifest: file {name} is listed but missing')
        if sha256(files[name]).hex() != digest:
            raise Failure(f'manifest: file {name} does not match its SHA-256 in the manifest')
    first, last = manifest.get('from'), manifest.get('to')
    if not all(isinstance(v, int) and v >= 1 for v in (first, last)) or first > last:
        raise Failure('manifest: from and to must be positions, from <= to')
    if top is not None and top != f'isms-evidence-{last}':
        raise Failure(f'bundle: top folder {top} does not name the last position {last}')
    for name in files:
        if name.startswith('registers/') and not files[name].startswith(f'# position {last}\n'.encode()):
            raise Failure(f"{name}: first line is not '# position {last}'")
    return manifest, first, last


def selected_streams(manifest):
    """The streams a bundle of chosen streams holds (manifest "streams"), or None for every stream."""
    streams = manifest.get('streams')
    if streams is None:
        return None
    if not isinstance(streams, list) or not streams or not all(isinstance(x, str) and x for x in streams):
        raise Failure('manifest: streams must be a list of stream names')
    return set(streams)


def check_events(files, manifest, first, last):
    """Check 2: every event hash, the chain, positions first..last, the erasure rule.
    Returns (events, {position: hash}); the hash at first - 1 is the first event's prev_hash.
    A bundle of chosen streams holds their events (and the erasures) in position order with gaps
    between them; each must then carry an inclusion proof (check 5)."""
    try:
        lines = files.get('events.ndjson', b'').decode('utf-8').split('\n')
    except UnicodeError as x:
        raise Failure(f'events.ndjson: not UTF-8 ({x})')
    streams = selected_streams(manifest)
    events, hashes = [], {}
    erased, erasures = {}, {}        # position -> digest of the tombstone shown; target -> digest its erasure recorded
    versions = {}                    # stream -> the version of its last event so far
    expected = first
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        e = parse_json(line, f'events.ndjson line {n}')
        pos = e.get('position') if isinstance(e, dict) else None
        if streams is None and pos != expected:
            raise Failure(f'events.ndjson line {n}: position {pos} where {expected} was expected '
                          '(an event is missing, added or out of order)')
        if streams is not None and not (isinstance(pos, int) and expected <= pos <= last):
            raise Failure(f'events.ndjson line {n}: position {pos} where one of {expected}..{last} was expected '
                          '(an event is added or out of order)')
        h, shown = check_event_line(e, f'position {pos}')
        if streams is not None and e['stream'] not in streams and e['stream'] != ERASURE_STREAM:
            raise Failure(f"position {pos}: stream {e['stream']} is not among the bundle's streams")
        if streams is not None and e['stream'] in versions and e['version'] != versions[e['stream']] + 1:
            raise Failure(f"position {pos}: version {e['version']} of {e['stream']} follows version "
                          f"{versions[e['stream']]}: an event of the stream is missing")
        versions[e['stream']] = e['version']
        prev = bytes.fromhex(e['prev_hash'])
        if pos - 1 in hashes and prev != hashes[pos - 1]:
            raise Failure(f'position {pos}: prev_hash does not link to the hash of position {pos - 1}')
        if e.get('data_erased'):
            erased[pos] = shown.hex()
        if e['stream'] == ERASURE_STREAM and isinstance(e['data'], dict):
            erasures[e['data'].get('position')] = e['data'].get('tombstone_sha256')    # the latest one counts
        hashes.setdefault(pos - 1, prev)
        hashes[pos] = h
        events.append(e)
        expected = pos + 1
    if streams is None and expected != last + 1:
        raise Failure(f'events.ndjson: ends at position {expected - 1}, the manifest says {last}')
    if not events:
        raise Failure('events.ndjson: holds no event')
    if last in hashes and manifest.get('head_hash') != hashes[last].hex():
        raise Failure(f'manifest: head_hash is not the hash of position {last}')
    if first == 1 and 0 in hashes and hashes[0] != ZERO_HASH:
        raise Failure('position 1: prev_hash is not 32 zero bytes')
    for pos, digest in sorted(erased.items()):
        if erasures.get(pos) != digest:
            raise Failure(f'position {pos}: erased, but no later erasure event in the bundle records its tombstone')
    return events, hashes


def check_evidence_files(files, manifest, events):
    """Every evidence file an event attaches (evidence.attached.v1) is in files/, named by its SHA-256,
    and its bytes hash to that name: the bytes are the ones the event recorded. A digest the bundle
    says it could not carry (manifest "evidence_files_missing") is reported, not failed.
    Returns (files checked, digests missing)."""
    missing = set(manifest.get('evidence_files_missing') or [])
    checked = 0
    for name, data in files.items():
        if name.startswith('files/'):
            if sha256(data).hex() != name[len('files/'):]:
                raise Failure(f'{name}: its bytes do not hash to its name')
            checked += 1
    for e in events:
        if e.get('type') != 'evidence.attached.v1' or e.get('data_erased') or not isinstance(e.get('data'), dict):
            continue
        digest = e['data'].get('digest')
        if f'files/{digest}' not in files and digest not in missing:
            raise Failure(f"position {e['position']}: attaches the evidence file {digest}, which the bundle lacks")
        size = e['data'].get('size')
        if f'files/{digest}' in files and size != len(files[f'files/{digest}']):
            raise Failure(f"position {e['position']}: records {size} bytes for {digest}, the file holds "
                          f"{len(files[f'files/{digest}'])}")
    return checked, sorted(missing)


def check_checkpoints(files, events, trust):
    """Check 3: every checkpoint (listed in checkpoints.json or recorded in the log) is signed along the
    chain of trust, and key.json is where the chain ends. Returns (checkpoints in order, keys of the chain)."""
    listed = parse_json(files.get('checkpoints.json', b'{"checkpoints":[]}'), 'checkpoints.json')
    if not isinstance(listed, dict) or not isinstance(listed.get('checkpoints'), list):
        raise Failure('checkpoints.json: no checkpoints list')
    checkpoints = [checkpoint_from(c, 'checkpoint') for c in listed['checkpoints']]
    known = {c['signature'] for c in checkpoints}
    for e in events:
        if e['stream'] == CHECKPOINT_STREAM and e['type'] == CHECKPOINT_TYPE:
            cp = checkpoint_from(e['data'], f"checkpoint (event {e['position']})")
            if cp['position'] >= e['position']:
                raise Failure(f"{cp['label']}: recorded at position {e['position']}, it cannot cover itself")
            if cp['signature'] not in known:
                checkpoints.append(cp)
                known.add(cp['signature'])
    checkpoints.sort(key=lambda c: c['position'])          # stable: ties keep the order of the list
    keys = follow_chain_of_trust(checkpoints, trust)
    if 'key.json' in files:
        key_file = parse_json(files['key.json'], 'key.json')
        current = unhex(key_file.get('public_key') if isinstance(key_file, dict) else None, 32,
                        'key.json: public_key').hex()
        if key_file.get('fingerprint') != fingerprint(current):
            raise Failure('key.json: fingerprint is not the SHA-256 of public_key')
        if keys and current != keys[-1]:
            raise Failure(f'key.json: the current key {fingerprint(current)} is not the key the checkpoints '
                          f'hand their trust to ({fingerprint(keys[-1])})')
    return checkpoints, keys


def check_roots(checkpoints, hashes, first, last, wanted):
    """Check 4: each checkpoint's head_hash where the events reach it and, when they start at 1, its
    merkle_root recomputed. Returns ({tree size: root} from the checkpoints and from the events, for the
    sizes in `wanted`), and the sizes recomputed from the events."""
    roots = {}
    if first == 1 and all(pos in hashes for pos in range(1, last + 1)):
        wanted = wanted | {c['position'] for c in checkpoints}
        head = TreeHead()
        roots[0] = head.root()
        for pos in range(1, last + 1):
            head.append(hashes[pos])
            if pos in wanted:
                roots[pos] = head.root()
    recomputed = set(roots)
    for cp in checkpoints:
        pos, root = cp['position'], bytes.fromhex(cp['merkle_root'])
        if pos in hashes and hashes[pos].hex() != cp['head_hash']:
            raise Failure(f"{cp['label']}: head_hash is not the hash of the event at position {pos}")
        if pos in recomputed and roots[pos] != root:
            raise Failure(f"{cp['label']}: merkle_root is not the root of the events 1..{pos}")
        if roots.setdefault(pos, root) != root:
            raise Failure(f"{cp['label']}: another checkpoint at this position names another merkle_root")
    return roots, recomputed


def check_proofs(consistency, inclusion, roots, hashes, first, kept):
    """Check 5: consistency proofs between the roots the bundle signs or recomputes, inclusion proofs
    of its events. A proof from the kept checkpoint's size is left to check 6. Returns the tree sizes
    whose root an inclusion proof ties to an event of the bundle."""
    def hashes_of(p, what, *sizes):
        if not isinstance(p, dict) or not all(isinstance(p.get(f), int) for f in sizes):
            raise Failure(f'{what}: malformed proof')
        for f in sizes:
            if f != 'position' and p[f] not in roots:
                raise Failure(f'{what}: no signed or recomputed root at tree size {p[f]}')
        return proof_hashes(p.get('proof'), what)

    for p in consistency:
        what = f"consistency proof from {p.get('from')} to {p.get('to')}" if isinstance(p, dict) else 'consistency proof'
        if kept and isinstance(p, dict) and p.get('from') == kept['position'] and p['from'] not in roots:
            continue
        path = hashes_of(p, what, 'from', 'to')
        if not verify_consistency(p['from'], p['to'], roots[p['from']], roots[p['to']], path):
            raise Failure(f'{what}: does not verify against the roots of the checkpoints')
    included = set()
    for p in inclusion:
        what = f"inclusion proof of position {p.get('position')} in tree size {p.get('tree_size')}" \
            if isinstance(p, dict) else 'inclusion proof'
        path = hashes_of(p, what, 'position', 'tree_size')
        if not first <= p['position'] <= max(hashes):
            raise Failure(f'{what}: the event is not in the bundle')
        if not verify_inclusion(hashes[p['position']], p['position'] - 1, p['tree_size'], path, roots[p['tree_size']]):
            raise Failure(f'{what}: does not verify')
        included.add(p['tree_size'])
    return included


def check_kept(kept, keys, trust, hashes, roots, bound, consistency):
    """Check 6: the kept checkpoint is signed by a trusted key and the bundle's events extend it unchanged:
    its head hash where they reach it, its root where they start at 1, or a consistency proof from it
    to a root that the events are bound to (recomputed, or by an inclusion proof of one of them)."""
    label, pos, root = kept['label'], kept['position'], bytes.fromhex(kept['merkle_root'])
    if kept['key'] not in keys and not (trust and key_matches(kept['key'], trust)):
        raise Failure(f"{label}: signed by key {fingerprint(kept['key'])}, which is neither --trust-key nor a key "
                      "of the bundle's chain of trust")
    check_signature(kept)
    linked = False
    if pos in hashes:
        if hashes[pos].hex() != kept['head_hash']:
            raise Failure(f'{label}: history rewritten: the event at position {pos} now has another hash')
        linked = True
    if pos in roots:
        if roots[pos] != root:
            raise Failure(f'{label}: history rewritten: the bundle\'s root at tree size {pos} is not the kept one')
        linked = linked or pos in bound
    for p in consistency:
        if isinstance(p, dict) and p.get('from') == pos and p.get('to') in roots:
            what = f"{label}: history rewritten: the consistency proof from {pos} to {p['to']}"
            if not verify_consistency(pos, p['to'], root, roots[p['to']], proof_hashes(p.get('proof'), what)):
                raise Failure(f'{what} does not verify')
            if p['to'] not in bound:
                raise Failure(f"{label}: the consistency proof reaches tree size {p['to']}, but no inclusion proof "
                              "ties that root to an event of the bundle")
            linked = True
    if not linked:
        raise Failure(f'{label}: not linked to the bundle: its events do not reach position {pos} and no '
                      f'consistency proof from {pos} to a checkpoint of the bundle is given')


def verify_bundle(path, kept_path=None, proof_path=None, trust=None):
    """Checks 1 to 7 in order; returns the summary, or raises Failure at the first check that fails."""
    top, files = read_bundle(path)
    manifest, first, last = check_manifest(top, files)
    events, hashes = check_events(files, manifest, first, last)
    evidence_checked, evidence_missing = check_evidence_files(files, manifest, events)
    checkpoints, keys = check_checkpoints(files, events, trust)

    proofs = parse_json(files.get('proofs.json', b'{}'), 'proofs.json')
    if not isinstance(proofs, dict):
        raise Failure('proofs.json: not an object')
    kept = load_checkpoint_file(kept_path, 'kept checkpoint') if kept_path else None
    consistency = list(proofs.get('consistency') or []) + ([load_json_file(proof_path)] if proof_path else [])
    inclusion = list(proofs.get('inclusion') or [])
    wanted = {p.get(k) for p in consistency + inclusion if isinstance(p, dict) for k in ('from', 'to', 'tree_size')}
    roots, recomputed = check_roots(checkpoints, hashes, first, last, wanted | ({kept['position']} if kept else set()))
    included = check_proofs(consistency, inclusion, roots, hashes, first, kept)
    if selected_streams(manifest) is not None:
        proven = {p.get('position') for p in inclusion if isinstance(p, dict)}
        for e in events:
            if e['position'] not in proven:
                raise Failure(f"position {e['position']}: no inclusion proof ties it to a signed checkpoint "
                              "(a bundle of chosen streams needs one for each event)")
    if kept:
        check_kept(kept, keys, trust, hashes, roots, recomputed | included, consistency)
    counts = check_recorded_hashes(events)

    signers = ' then '.join(fingerprint(k) for k in keys) or 'nobody'
    kept_note = f", kept checkpoint at {kept['position']} is consistent" if kept else ''
    newest = events[-1]['position']
    lines = [f'ok: {len(events)} events ({first}..{last}), head {newest} {hashes[newest].hex()}, '
             f'{len(checkpoints)} checkpoints signed by {signers}{kept_note}',
             f"  manifest: {len(manifest['files'])} files match; recorded hashes recomputed: "
             + ', '.join(f'{k} {v}' for k, v in counts.items() if k != 'skipped')]
    if evidence_checked:
        lines.append(f'  evidence files: {evidence_checked} match the digests their events recorded')
    if evidence_missing:
        lines.append(f"  note: the server could not include {len(evidence_missing)} evidence files: "
                     + ', '.join(evidence_missing))
    if counts['skipped']:
        lines.append(f"  not recomputed: {counts['skipped']} (approval requests of other subjects than documents, "
                     'erased payloads, documents drafted before the bundle starts)')
    covered = max((c['position'] for c in checkpoints), default=0)
    if covered < last:
        lines.append(f'  note: no signed checkpoint covers the events after position {covered}')
    if first > 1 and first - 1 not in {c['position'] for c in checkpoints}:
        lines.append(f'  note: the events start at {first}; no checkpoint at {first - 1} anchors their first prev_hash')
    if not trust and not kept:
        lines.append('  note: no --trust-key or --kept-checkpoint: the key is trusted as the bundle presents it')
    return '\n'.join(lines)


# ---------------------------------------------------------------------------
# Without a bundle: the API's proofs saved as files.

def verify_consistency_files(old_path, new_path, proof_path, trust=None):
    old = load_checkpoint_file(old_path, 'old checkpoint')
    new = load_checkpoint_file(new_path, 'new checkpoint')
    if new['key'] not in (old['key'], old.get('next_key')) and not (trust and key_matches(new['key'], trust)):
        raise Failure(f"{new['label']}: signed by key {fingerprint(new['key'])}, neither the old checkpoint's key "
                      'nor the key it announced; follow the rotation through a bundle, or pass --trust-key')
    if trust and not (key_matches(old['key'], trust) or key_matches(new['key'], trust)):
        raise Failure(f"{new['label']}: signed by key {fingerprint(new['key'])}, not by the trusted key {trust}")
    check_signature(old)
    check_signature(new)
    p = load_json_file(proof_path)
    what = f"consistency proof from {old['position']} to {new['position']}"
    if not isinstance(p, dict) or (p.get('from'), p.get('to')) != (old['position'], new['position']):
        raise Failure(f'{what}: the proof file is for another pair of tree sizes')
    for field, cp in (('from_root', old), ('to_root', new)):
        if field in p and p[field] != cp['merkle_root']:
            raise Failure(f"{what}: {field} is not the merkle_root of the {cp['label']}")
    old_root, new_root = bytes.fromhex(old['merkle_root']), bytes.fromhex(new['merkle_root'])
    if not verify_consistency(old['position'], new['position'], old_root, new_root, proof_hashes(p.get('proof'), what)):
        raise Failure(f"{what}: does not verify: the history up to {old['position']} was rewritten, "
                      'or the proof is not for these checkpoints')
    return (f"ok: {new['label']} extends {old['label']} unchanged; signed by "
            f"{' then '.join(dict.fromkeys(fingerprint(k) for k in (old['key'], new['key'])))}")


def verify_inclusion_files(cp_path, event_path, proof_path, trust=None):
    cp = load_checkpoint_file(cp_path, 'checkpoint')
    if trust and not key_matches(cp['key'], trust):
        raise Failure(f"{cp['label']}: signed by key {fingerprint(cp['key'])}, not by the trusted key {trust}")
    check_signature(cp)
    try:
        with open(event_path, 'rb') as f:
            e = parse_json(f.read().strip() or b'null', event_path)
    except OSError as x:
        raise Failure(f'{event_path}: cannot be read ({x})')
    pos = e.get('position') if isinstance(e, dict) else None
    if not isinstance(pos, int) or pos < 1:
        raise Failure(f'{event_path}: not an event line')
    h, _ = check_event_line(e, f'position {pos}')
    p = load_json_file(proof_path)
    what = f"inclusion proof of position {pos} in the {cp['label']}"
    if not isinstance(p, dict) or (p.get('position'), p.get('tree_size')) != (pos, cp['position']):
        raise Failure(f'{what}: the proof file is for another position or tree size')
    if p.get('leaf', h.hex()) != h.hex() or p.get('root', cp['merkle_root']) != cp['merkle_root']:
        raise Failure(f'{what}: its leaf or root is not this event\'s hash or this checkpoint\'s root')
    if pos == cp['position'] and cp['head_hash'] != h.hex():
        raise Failure(f"{cp['label']}: head_hash is not the hash of this event")
    if not verify_inclusion(h, pos - 1, cp['position'], proof_hashes(p.get('proof'), what), bytes.fromhex(cp['merkle_root'])):
        raise Failure(f'{what}: does not verify')
    note = ' (its payload is erased; the tombstone is checked only with the erasure event)' if e.get('data_erased') else ''
    return f"ok: position {pos} ({e['stream']}, {e['type']}) is in the {cp['label']}, signed by {fingerprint(cp['key'])}{note}"


def main(argv=None):
    usage, about = __doc__.split('\n\n')[1:3]
    parser = argparse.ArgumentParser(usage='\n' + usage, description=about,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('target', nargs='+', metavar='ARG', help='the bundle, or the files of the mode')
    parser.add_argument('--kept-checkpoint', metavar='FILE', help='a checkpoint JSON kept earlier (e.g. last year)')
    parser.add_argument('--consistency-proof', metavar='FILE', help='GET /api/proof/consistency from the kept checkpoint')
    parser.add_argument('--trust-key', metavar='KEY', help='a public key or fingerprint that must have signed checkpoints of the chain')
    args = parser.parse_args(argv)
    t, trust = args.target, (args.trust_key or '').lower() or None
    try:
        if t[0] == 'consistency' and len(t) == 4:
            print(verify_consistency_files(t[1], t[2], t[3], trust))
        elif t[0] == 'inclusion' and len(t) == 4:
            print(verify_inclusion_files(t[1], t[2], t[3], trust))
        elif len(t) == 1:
            print(verify_bundle(t[0], args.kept_checkpoint, args.consistency_proof, trust))
        else:
            parser.error('give one bundle, or consistency OLD NEW PROOF, or inclusion CHECKPOINT EVENT PROOF')
    except Failure as x:
        print(f'FAILED: {x}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
