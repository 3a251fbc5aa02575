#!/usr/bin/env python3
"""The auditor's verifier (ops/evidence/verify.py) against evidence bundles this test builds itself.

The builder here is written from the formats (docs/eventstore.md for the events and the chain,
RFC 9162 for the tree, the evidence spec for checkpoints and bundles) and shares no code with
verify.py: its own canonical JSON, its own Merkle tree (RFC 9162 2.1.1-2.1.4.1, recursive) and
its own Ed25519 signer (ed25519_sign.py). Each case changes one thing an attacker or a bug could
change and asserts that verify.py names the position or the checkpoint.

  python3 tests/evidence/verifier_test.py      (standard library only)
"""

import contextlib
import copy
import datetime
import io
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unittest

sys.dont_write_bytecode = True          # run from CTest: leave no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VERIFY = os.path.join(ROOT, 'ops', 'evidence', 'verify.py')
AUDITORS = os.path.join(ROOT, 'ops', 'evidence', 'AUDITORS.md')
sys.path.insert(0, HERE)
import ed25519_sign  # noqa: E402

spec = importlib.util.spec_from_file_location('verify', VERIFY)
verify = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verify)

K1, K2, K3 = (hashlib.sha256(f'isms-ledger test key {n}'.encode()).digest() for n in (1, 2, 3))


def pub(secret):
    return ed25519_sign.public_key(secret).hex()


def fp(secret):
    return hashlib.sha256(ed25519_sign.public_key(secret)).hexdigest()


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---------------------------------------------------------------------------
# The formats, written out here from the documents.

def canon(v):
    """Canonical JSON (docs/eventstore.md), strings escaped by hand."""
    if v is None or isinstance(v, bool):
        return {None: 'null', True: 'true', False: 'false'}[v]
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return '0' if v == 0 else '%.17g' % v
    if isinstance(v, str):
        named = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
        return '"' + ''.join(named.get(c) or ('\\u%04x' % ord(c) if ord(c) < 0x20 else c) for c in v) + '"'
    if isinstance(v, list):
        return '[' + ','.join(map(canon, v)) + ']'
    return '{' + ','.join(canon(k) + ':' + canon(v[k]) for k in sorted(v, key=lambda k: k.encode())) + '}'


def canon_sha(v):
    return sha(canon(v).encode('utf-8'))


def field(text):
    b = text.encode('utf-8')
    return len(b).to_bytes(4, 'big') + b


def event_bytes(e):
    """Canonical bytes, form 1 (docs/eventstore.md, the table)."""
    m = e['metadata']
    return (b'\x01' + e['position'].to_bytes(8, 'big') + e['version'].to_bytes(8, 'big') + field(e['stream'])
            + field(e['type']) + bytes.fromhex(e['data_sha256']) + field(m['actor']) + field(m['command_id'])
            + field(m['correlation_id']) + field(m['causation_id']) + struct.pack('>q', m['recorded_at_ms'])
            + field(canon(m['extra'])))


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """RFC 9162 2.1.1: the Merkle Tree Hash of a list of leaves (bytes)."""
    if not leaves:
        return hashlib.sha256(b'').digest()
    if len(leaves) == 1:
        return hashlib.sha256(b'\x00' + leaves[0]).digest()
    k = split(len(leaves))
    return hashlib.sha256(b'\x01' + mth(leaves[:k]) + mth(leaves[k:])).digest()


def audit_path(m, leaves):
    """RFC 9162 2.1.3.1: PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return audit_path(m, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def consistency_path(m, leaves, whole=True):
    """RFC 9162 2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    n = len(leaves)
    if m == 0 or m == n and whole:
        return []
    if m == n:
        return [mth(leaves)]
    k = split(n)
    if m <= k:
        return consistency_path(m, leaves[:k], whole) + [mth(leaves[k:])]
    return consistency_path(m - k, leaves[k:], False) + [mth(leaves[:k])]


def statement_text(cp):
    lines = ['isms-ledger checkpoint v1', f"position {cp['position']}", f"head_hash {cp['head_hash']}",
             f"merkle_root {cp['merkle_root']}", f"time {cp['time']}", f"key {cp['key']}"]
    lines += [f"next_key {cp['next_key']}"] if 'next_key' in cp else []
    return '\n'.join(lines) + '\n'


T0 = 1764374400000      # 2025-11-29T00:00:00Z


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


class Log:
    """An event log as the server exports it, with checkpoints recorded on ledger.checkpoints."""

    def __init__(self):
        self.events = []

    def append(self, stream, type_, data, extra=None):
        pos = len(self.events) + 1
        self.events.append({
            'position': pos, 'stream': stream, 'version': 1 + sum(e['stream'] == stream for e in self.events),
            'type': type_, 'data': data,
            'metadata': {'actor': 'u-alice', 'command_id': f'c-{pos}', 'correlation_id': '', 'causation_id': '',
                         'recorded_at_ms': T0 + 60000 * (pos - 1), 'extra': extra or {}},
            'data_sha256': '', 'data_erased': False, 'prev_hash': '', 'hash': ''})
        self.rechain()
        return pos

    def rechain(self, resign=None, genesis=bytes(32)):
        """Recomputes digests and hashes from position 1 (whose prev_hash is `genesis`); with
        resign(checkpoint) -> secret, also re-makes every recorded checkpoint over the recomputed
        hashes (what a rewriter with the key does)."""
        prev = genesis
        for e in self.events:
            if resign and e['type'] == 'ledger.checkpoint.v1':
                old = e['data']
                e['data'] = self.make_checkpoint(old['position'], resign(old), old.get('next_key'), old['time'])
            if not e['data_erased']:
                e['data_sha256'] = canon_sha(e['data'])
            e['prev_hash'] = prev.hex()
            prev = hashlib.sha256(prev + event_bytes(e)).digest()
            e['hash'] = prev.hex()

    def leaves(self, n=None):
        return [bytes.fromhex(e['hash']) for e in self.events[:n]]

    def make_checkpoint(self, n, secret, next_key=None, time=None):
        cp = {'position': n, 'head_hash': self.events[n - 1]['hash'] if n else '0' * 64,
              'merkle_root': mth(self.leaves(n)).hex(), 'time': time or iso(T0 + 60000 * n + 30000), 'key': pub(secret)}
        if next_key:
            cp['next_key'] = next_key
        cp['signature'] = ed25519_sign.sign(secret, statement_text(cp).encode()).hex()
        return cp

    def checkpoint(self, secret, next_key=None):
        cp = self.make_checkpoint(len(self.events), secret, next_key)
        self.append('ledger.checkpoints', 'ledger.checkpoint.v1', cp)
        return cp

    def erase(self, pos, fields, reason):
        target = self.events[pos - 1]
        tombstone = dict(target['data'], **{f: '[erased]' for f in fields})
        self.append('eventstore.erasures', 'eventstore.payload_erased.v1',
                    {'position': pos, 'stream': target['stream'], 'version': target['version'],
                     'type': target['type'], 'fields': fields, 'reason': reason, 'tombstone_sha256': canon_sha(tombstone)})
        target['data'], target['data_erased'] = tombstone, True
        self.rechain()

    def checkpoints(self):
        return [e['data'] for e in self.events if e['type'] == 'ledger.checkpoint.v1']

    def cut(self, n):
        log = Log()
        log.events = copy.deepcopy(self.events[:n])
        return log


POLICY_TEXT = 'Information security policy\n\n1. Scope … ü ✓\n'
PACK = {'previous_actions': [], 'issue_changes': {'added': 2, 'removed': 0},
        'security_performance': {'objectives_met_percent': 80.0, 'nonconformities_closed_ratio': 0.1, 'incidents': 3},
        'risk_assessment': {'above_appetite': 1, 'average_level': 9.5}, 'interested_party_feedback': 'none received'}


def build_log(rotate=False, late_signer=K1, wrong=None):
    """14 events: a risk, a user (erased later), a document drafted, revised and put to approval, a
    management review pack, a risk acceptance request, three recorded checkpoints (at 5, 10, 12).
    rotate: the checkpoint at 10 hands over to K2. late_signer: who signs after 10.
    wrong: 'text', 'pack' or 'approval' records that hash wrongly (with a consistent chain)."""
    log = Log()
    log.append('risk-R-1', 'risk.identified.v1', {'title': 'Laptop theft', 'likelihood': 3}, {'comment': 'first'})
    log.append('user-bob', 'user.registered.v1', {'user_id': 'bob', 'display_name': 'Bob Example', 'email': 'bob@example.org'})
    profile = {'title': 'Security policy', 'owner': 'manager', 'classification': 'internal', 'review_interval_months': 12}
    text_hash = sha(POLICY_TEXT.encode()) if wrong != 'text' else sha(b'another text')
    log.append('document-POL-1', 'document.drafted.v1', dict(profile, document_id='POL-1', kind='policy', text=POLICY_TEXT,
                                                             content_sha256=text_hash, change_note=''))
    revised = POLICY_TEXT + '2. Roles\n'
    profile['title'] = 'Information security policy'
    log.append('document-POL-1', 'document.revised.v1', dict(profile, document_version=1, text=revised,
                                                             content_sha256=sha(revised.encode()), change_note='roles'))
    content = dict(profile, document_id='POL-1', kind='policy', document_version=1, content_sha256=sha(revised.encode()))
    if wrong == 'approval':
        content['review_interval_months'] = 24
    log.append('document-POL-1', 'document.approval_requested.v1', {
        'document_version': 1, 'content_sha256': sha(revised.encode()),
        'approval': {'approval_id': 'document-POL-1.v4', 'subject_kind': 'document.approval', 'summary': 'policy v1',
                     'on_approved': 'document.approve', 'on_rejected': 'document.reject', 'policy': {},
                     'content_hash': canon_sha(content)}})
    log.checkpoint(K1)                                                                  # 6, covers 5
    log.append('review-MR-1', 'review.scheduled.v1', {'review_id': 'MR-1', 'planned_on': '2026-01-15', 'chair': 'chair'})
    log.append('review-MR-1', 'review.inputs_assembled.v1', {
        'pack': PACK, 'pack_sha256': canon_sha(PACK) if wrong != 'pack' else canon_sha({}), 'as_of_position': 7})
    log.erase(2, ['display_name', 'email'], 'GDPR art. 17 request')                    # 9
    log.append('risk-R-1', 'risk.assessed.v1', {'likelihood': 4, 'impact': 3, 'score': 12, 'factor': 0.1, 'zero': -0.0,
                                                'rationale': 'Ünïcödé ✓ / \u0001 \u007f\ttab "quoted" \\'})
    log.checkpoint(K1, pub(K2) if rotate else None)                                    # 11, covers 10
    log.append('risk-R-1', 'risk.acceptance_requested.v1', {'residual_level': 'medium', 'approval': {
        'approval_id': 'risk-R-1.v3', 'content_hash': 'ab' * 32}})
    log.checkpoint(K2 if rotate else late_signer)                                      # 13, covers 12
    log.append('nc-NC-1', 'nc.raised.v1', {'nc_id': 'NC-1', 'severity': 'minor'})
    return log


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def ndjson(events):
    return ''.join(json.dumps(e, ensure_ascii=False, separators=(',', ':')) + '\n' for e in events).encode('utf-8')


def events_of(files):
    return [json.loads(line) for line in files['events.ndjson'].decode().splitlines()]


class Bundles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='isms-evidence-test-')
        cls.log = build_log()
        cls.final = cls.log.make_checkpoint(14, K1)         # the checkpoint made for the bundle (not in the log)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def bundle(self, log=None, first=1, final=None, key=None, checkpoints=None, consistency=(), inclusion=(),
               edit=None, tamper=None, tar=True, streams=None):
        """Writes a bundle of log events first..head, plus `final` (a checkpoint covering the head).
        streams: only these streams' events (and the erasures), as the server writes a bundle of chosen streams.
        edit(files) changes files before the manifest is written (an attacker who fixes the manifest);
        tamper(files) after it."""
        log = log or self.log
        last = len(log.events)
        leaves = log.leaves()
        cps = checkpoints if checkpoints is not None else log.checkpoints() + ([final] if final else [])
        signer = key or (cps[-1].get('next_key', cps[-1]['key']) if cps else pub(K1))
        files = {
            'events.ndjson': ndjson([e for e in log.events[first - 1:] if streams is None or e['stream'] in streams
                                     or e['stream'] == 'eventstore.erasures']),
            'checkpoints.json': json.dumps({'checkpoints': cps}).encode(),
            'key.json': json.dumps({'algorithm': 'Ed25519', 'public_key': signer,
                                    'fingerprint': sha(bytes.fromhex(signer))}).encode(),
            'proofs.json': json.dumps({
                'consistency': [{'from': m, 'to': n, 'proof': [h.hex() for h in consistency_path(m, leaves[:n])]}
                                for m, n in consistency],
                'inclusion': [{'position': p, 'tree_size': n, 'proof': [h.hex() for h in audit_path(p - 1, leaves[:n])]}
                              for p, n in inclusion]}).encode(),
            'verify.py': read(VERIFY),
            'AUDITORS.md': read(AUDITORS) if os.path.exists(AUDITORS) else b'',
        }
        head = events_of(files)[-1] if streams is None else log.events[-1]
        files['registers/risks.csv'] = f"# position {head['position']}\nrisk,title\nR-1,Laptop theft\n".encode()
        if edit:
            edit(files)
        head = events_of(files)[-1] if streams is None else log.events[-1]
        manifest = {'format': 'isms-ledger-evidence-v1', 'created': iso(T0 + 10 ** 8), 'from': first,
                    'to': head['position'], 'head_hash': head['hash'], 'files': {n: sha(b) for n, b in files.items()}}
        if streams is not None:
            manifest['streams'] = sorted(streams)
        files['manifest.json'] = json.dumps(manifest, indent=1).encode()
        if tamper:
            tamper(files)
        top = f"isms-evidence-{head['position']}"
        path = tempfile.mkdtemp(dir=self.tmp)
        if tar:
            out = os.path.join(path, top + '.tar.gz')
            with tarfile.open(out, 'w:gz') as t:
                for name, data in sorted(files.items()):
                    info = tarfile.TarInfo(f'{top}/{name}')
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            return out
        for name, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(path, top, name)), exist_ok=True)
            with open(os.path.join(path, top, name), 'wb') as f:
                f.write(data)
        return os.path.join(path, top)

    def file(self, obj):
        fd, path = tempfile.mkstemp(dir=self.tmp, suffix='.json')
        with os.fdopen(fd, 'w') as f:
            f.write(obj if isinstance(obj, str) else json.dumps(obj))
        return path

    def run_verify(self, *args):
        """verify.py's main() in this process (fast); the CLI itself is run in test_the_command_line."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                rc = verify.main(list(args))
            except SystemExit as x:
                rc = x.code
        return rc, out.getvalue()

    def assert_ok(self, *args):
        rc, out = self.run_verify(*args)
        self.assertEqual(rc, 0, out)
        return out

    def assert_fails(self, args, *expected):
        rc, out = self.run_verify(*args)
        self.assertEqual(rc, 1, out)
        for text in expected:
            self.assertIn(text, out)
        return out

    def before_erasure(self, n):
        """The first n < 9 events as exported before the erasure at 9."""
        log = self.log.cut(n)
        log.events[1]['data'] = {'user_id': 'bob', 'display_name': 'Bob Example', 'email': 'bob@example.org'}
        log.events[1]['data_erased'] = False
        log.rechain()
        return log

    def cp_label(self, cp, what='checkpoint'):
        return f"{what} at position {cp['position']} (time {cp['time']})"

    # --- a good bundle ---------------------------------------------------------------------------

    def test_a_good_bundle_verifies_packed_and_unpacked(self):
        for tar in (True, False):
            out = self.assert_ok(self.bundle(final=self.final, consistency=[(5, 14), (10, 12)],
                                             inclusion=[(3, 14), (14, 14)], tar=tar))
            self.assertIn(f"ok: 14 events (1..14), head 14 {self.log.events[-1]['hash']}, 4 checkpoints signed by "
                          f'{fp(K1)}', out)
            self.assertIn('recomputed: review packs 1, document texts 2, document approvals 1', out)
            self.assertIn('not recomputed: 1 ', out)           # the risk acceptance's approval content

    def test_a_bundle_whose_head_no_checkpoint_covers_says_so(self):
        out = self.assert_ok(self.bundle())
        self.assertIn('no signed checkpoint covers the events after position 12', out)

    # --- check 1: the manifest -----------------------------------------------------------------------

    def test_a_changed_file_or_one_not_in_the_manifest_is_named(self):
        def flip(files):
            files['events.ndjson'] = files['events.ndjson'].replace(b'Laptop theft', b'Laptop thefT', 1)
        self.assert_fails([self.bundle(final=self.final, tamper=flip)],
                          'manifest: file events.ndjson does not match its SHA-256')
        self.assert_fails([self.bundle(final=self.final, tamper=lambda f: f.update({'notes.txt': b'x'}))],
                          'manifest: file notes.txt is in the bundle but not in the manifest')
        self.assert_fails([self.bundle(final=self.final, tamper=lambda f: f.pop('proofs.json'))],
                          'manifest: file proofs.json is listed but missing')
        self.assert_fails([self.bundle(final=self.final, edit=lambda f: f.update(
            {'registers/risks.csv': b'# position 9\n'}))], "registers/risks.csv: first line is not '# position 14'")

    # --- check 2: the events and the chain -------------------------------------------------------------

    def edit_events(self, change):
        def edit(files):
            events = events_of(files)
            change(events)
            files['events.ndjson'] = ndjson(events)
            files['registers/risks.csv'] = f"# position {events[-1]['position']}\n".encode()
        return edit

    def test_one_changed_payload_byte_is_named_by_position(self):
        def flip(events):
            events[2]['data']['text'] = events[2]['data']['text'].replace('Scope', 'Scopf')
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(flip))],
                          'position 3: payload does not match data_sha256')

        def flip_and_redigest(events):            # the digest recomputed too: the chain hash no longer matches
            flip(events)
            events[2]['data_sha256'] = canon_sha(events[2]['data'])
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(flip_and_redigest))],
                          'position 3: hash mismatch')

    def test_a_deleted_event_is_named(self):
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(lambda ev: ev.pop(6)))],
                          'events.ndjson line 7: position 8 where 7 was expected')

    def test_two_reordered_events_are_named(self):
        def swap(ev):
            ev[3], ev[4] = ev[4], ev[3]
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(swap))],
                          'events.ndjson line 4: position 5 where 4 was expected')

    def test_renumbered_events_do_not_link(self):
        def renumber(ev):                        # drop 7, shift the rest down: positions look consecutive
            del ev[6]
            for e in ev[6:]:
                e['position'] -= 1
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(renumber))], 'position 7: hash mismatch')

    def test_a_spliced_event_does_not_link(self):
        def splice(ev):                          # event 7 replaced by one hashed over another prev_hash
            ev[6]['data']['planned_on'] = '2026-02-01'
            ev[6]['data_sha256'] = canon_sha(ev[6]['data'])
            ev[6]['prev_hash'] = 'ee' * 32
            ev[6]['hash'] = hashlib.sha256(bytes.fromhex(ev[6]['prev_hash']) + event_bytes(ev[6])).hexdigest()
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(splice))],
                          'position 7: prev_hash does not link to the hash of position 6')

    def test_the_chain_starts_from_zero_and_ends_at_the_manifest_head(self):
        log = copy.deepcopy(self.log)
        log.rechain(resign=lambda cp: K1, genesis=b'\x01' * 32)
        self.assert_fails([self.bundle(log=log, final=log.make_checkpoint(14, K1))],
                          'position 1: prev_hash is not 32 zero bytes')

        def other_head(files):
            manifest = json.loads(files['manifest.json'])
            manifest['head_hash'] = self.log.events[-2]['hash']
            files['manifest.json'] = json.dumps(manifest).encode()
        self.assert_fails([self.bundle(final=self.final, tamper=other_head)],
                          'manifest: head_hash is not the hash of position 14')

    def test_an_erased_payload_needs_its_erasure_event(self):
        def forge(ev):                           # another tombstone than the erasure event recorded
            ev[1]['data']['email'] = 'someone@else.example'
        self.assert_fails([self.bundle(final=self.final, edit=self.edit_events(forge))],
                          'position 2: erased, but no later erasure event in the bundle records its tombstone')
        log = build_log().cut(8)                 # the flag and tombstone without the erasure event
        log.events[1]['data']['email'] = '[erased]'
        log.events[1]['data_erased'] = True
        log.rechain()
        self.assert_fails([self.bundle(log=log, checkpoints=[])], 'position 2: erased, but no later erasure event')

    # --- check 3: signatures and the chain of trust --------------------------------------------------------

    def test_a_checkpoint_event_cannot_cover_itself(self):
        log = self.before_erasure(5)
        log.append('ledger.checkpoints', 'ledger.checkpoint.v1', dict(log.make_checkpoint(5, K1), position=6))
        self.assert_fails([self.bundle(log=log, checkpoints=[])], 'recorded at position 6, it cannot cover itself')

    def test_a_bad_signature_names_the_checkpoint(self):
        bad = dict(self.final, signature=('0' if self.final['signature'][0] != '0' else '1') + self.final['signature'][1:])
        self.assert_fails([self.bundle(final=bad)], f'{self.cp_label(bad)}: bad signature')

    # --- a bundle of chosen streams ----------------------------------------------------------------

    def streams_bundle(self, drop=None, smuggle=None, unproven=None):
        """The policy's and the risk's events (and the erasure at 9), each proven in the tree of 14."""
        streams = {'document-POL-1', 'risk-R-1'}
        chosen = [e['position'] for e in self.log.events if e['stream'] in streams or e['stream'] == 'eventstore.erasures']

        def edit(files):
            ev = events_of(files)
            if drop:
                ev = [e for e in ev if e['position'] != drop]
            if smuggle:
                ev = sorted(ev + [copy.deepcopy(self.log.events[smuggle - 1])], key=lambda e: e['position'])
            files['events.ndjson'] = ndjson(ev)
        return self.bundle(final=self.final, streams=streams, edit=edit,
                           inclusion=[(p, 14) for p in chosen + ([smuggle] if smuggle else []) if p != unproven])

    def test_a_bundle_of_chosen_streams_verifies_with_an_inclusion_proof_per_event(self):
        out = self.assert_ok(self.streams_bundle())
        self.assertIn('ok: 7 events (1..14), head 12 ', out)

    def test_a_bundle_of_chosen_streams_names_a_missing_added_or_unproven_event(self):
        self.assert_fails([self.streams_bundle(drop=4)],
                          'position 5: version 3 of document-POL-1 follows version 1: an event of the stream is missing')
        self.assert_fails([self.streams_bundle(smuggle=7)],
                          "position 7: stream review-MR-1 is not among the bundle's streams")
        self.assert_fails([self.streams_bundle(unproven=10)],
                          'position 10: no inclusion proof ties it to a signed checkpoint')

    def test_a_key_rotation_is_honoured(self):
        log = build_log(rotate=True)
        out = self.assert_ok(self.bundle(log=log, final=log.make_checkpoint(14, K2), consistency=[(5, 14)]))
        self.assertIn(f'4 checkpoints signed by {fp(K1)} then {fp(K2)}', out)
        for pinned in (fp(K1), pub(K2)):          # the key from before the rotation, or the one after it
            self.assert_ok(self.bundle(log=log, final=log.make_checkpoint(14, K2)), '--trust-key', pinned)
        # Without a bundle: the rotation checkpoint announces the key of the newer one.
        old, new = log.checkpoints()[1], log.make_checkpoint(14, K2)
        proof = self.file({'from': 10, 'to': 14, 'proof': [h.hex() for h in consistency_path(10, log.leaves())]})
        out = self.assert_ok('consistency', self.file(old), self.file(new), proof, '--trust-key', fp(K2))
        self.assertIn(f'signed by {fp(K1)} then {fp(K2)}', out)
        self.assert_fails([self.bundle(log=log, final=log.make_checkpoint(14, K2), key=pub(K1))],
                          f'key.json: the current key {fp(K1)} is not the key the checkpoints hand their trust to')

    def test_a_checkpoint_by_an_unannounced_key_is_refused(self):
        log = build_log(late_signer=K2)
        cp = log.checkpoints()[2]
        self.assert_fails([self.bundle(log=log, final=log.make_checkpoint(14, K2))],
                          f'{self.cp_label(cp)}: signed by key {fp(K2)}, but the trusted key is {fp(K1)} and no '
                          'earlier checkpoint announced a rotation to it')

    def test_a_cut_tail_resigned_with_another_key_is_refused(self):
        # The log cut after 10 (the checkpoint event at 6 stays) and a new head signed by K3.
        log = self.log.cut(10)
        cp = log.make_checkpoint(10, K3)
        self.assert_fails([self.bundle(log=log, final=cp)],
                          f'{self.cp_label(cp)}: signed by key {fp(K3)}, but the trusted key is {fp(K1)}')
        # Cut before the first checkpoint: on its own the bundle cannot tell; a pinned key or a kept checkpoint can.
        log = self.before_erasure(5)
        cp = log.make_checkpoint(5, K3)
        out = self.assert_ok(self.bundle(log=log, final=cp))
        self.assertIn('the key is trusted as the bundle presents it', out)
        self.assert_fails([self.bundle(log=log, final=cp), '--trust-key', fp(K1)],
                          f'{self.cp_label(cp)}: signed by key {fp(K3)}, not by the trusted key {fp(K1)}')
        announcing = log.make_checkpoint(5, K3, next_key=pub(K1))  # naming the pinned key is not signing with it
        self.assert_fails([self.bundle(log=log, final=announcing), '--trust-key', fp(K1)],
                          'no checkpoint of the bundle is signed by it')
        kept = self.log.checkpoints()[0]
        self.assert_fails([self.bundle(log=log, final=cp), '--kept-checkpoint', self.file(kept)],
                          f'{self.cp_label(kept, "kept checkpoint")}: signed by key {fp(K1)}, which is neither')

    # --- checks 4 and 5: roots and proofs ---------------------------------------------------------------

    def test_a_signed_root_that_is_not_the_events_root_is_named(self):
        log = self.log
        bad = log.make_checkpoint(14, K1)
        bad['merkle_root'] = mth(log.leaves(13)).hex()
        bad['signature'] = ed25519_sign.sign(K1, statement_text(bad).encode()).hex()
        self.assert_fails([self.bundle(final=bad)], f'{self.cp_label(bad)}: merkle_root is not the root of the events 1..14')

    def test_a_bad_consistency_or_inclusion_proof_is_named(self):
        def flip(kind):
            def edit(files):
                proofs = json.loads(files['proofs.json'])
                h = proofs[kind][0]['proof'][0]
                proofs[kind][0]['proof'][0] = ('1' if h[0] == '0' else '0') + h[1:]
                files['proofs.json'] = json.dumps(proofs).encode()
            return edit
        self.assert_fails([self.bundle(final=self.final, consistency=[(5, 14)], edit=flip('consistency'))],
                          'consistency proof from 5 to 14: does not verify')
        self.assert_fails([self.bundle(final=self.final, inclusion=[(3, 14)], edit=flip('inclusion'))],
                          'inclusion proof of position 3 in tree size 14: does not verify')

    # --- check 6: the kept checkpoint ------------------------------------------------------------------

    def rewritten(self, signer=K1):
        """The same log with the policy text of position 3 rewritten and every checkpoint re-signed."""
        log = copy.deepcopy(self.log)
        data = log.events[2]['data']
        data['text'] = POLICY_TEXT.replace('Scope', 'Scope (reduced)')
        data['content_sha256'] = sha(data['text'].encode())
        log.rechain(resign=lambda cp: signer)
        return log

    def test_the_year_to_year_routine_accepts_an_unchanged_history(self):
        kept = self.file(self.log.checkpoints()[1])                    # last year's newest: position 10
        out = self.assert_ok(self.bundle(final=self.final), '--kept-checkpoint', kept)
        self.assertIn('kept checkpoint at 10 is consistent', out)
        # This year's events only (12..14): a consistency proof and the head's inclusion proof link them.
        this_year = self.bundle(first=12, final=self.final, consistency=[(10, 14)], inclusion=[(14, 14)])
        out = self.assert_ok(this_year, '--kept-checkpoint', kept)
        self.assertIn('ok: 3 events (12..14)', out)
        self.assertIn('kept checkpoint at 10 is consistent', out)
        # The consistency proof fetched separately (GET /api/proof/consistency) instead of from proofs.json.
        leaves = self.log.leaves()
        proof = self.file({'from': 10, 'to': 14, 'proof': [h.hex() for h in consistency_path(10, leaves)],
                           'from_root': mth(leaves[:10]).hex(), 'to_root': mth(leaves).hex()})
        bundle = self.bundle(first=12, final=self.final, inclusion=[(14, 14)],
                             checkpoints=[c for c in self.log.checkpoints() if c['position'] != 10] + [self.final])
        self.assert_ok(bundle, '--kept-checkpoint', kept, '--consistency-proof', proof)
        self.assert_fails([bundle, '--kept-checkpoint', kept], 'kept checkpoint at position 10', 'not linked to the bundle')
        no_inclusion = self.bundle(first=12, final=self.final, consistency=[(10, 14)],
                                   checkpoints=[c for c in self.log.checkpoints() if c['position'] != 10] + [self.final])
        self.assert_fails([no_inclusion, '--kept-checkpoint', kept],
                          'no inclusion proof ties that root to an event of the bundle')

    def test_history_rewritten_after_a_kept_checkpoint_names_it(self):
        kept_cp = self.log.checkpoints()[1]
        kept, label = self.file(kept_cp), self.cp_label(kept_cp, 'kept checkpoint')
        log = self.rewritten()
        final = log.make_checkpoint(14, K1)
        self.assert_ok(self.bundle(log=log, final=final))                 # self-consistent on its own
        self.assert_fails([self.bundle(log=log, final=final), '--kept-checkpoint', kept],
                          f'{label}: history rewritten')
        self.assert_fails([self.bundle(log=log, first=9, final=final), '--kept-checkpoint', kept],
                          f'{label}: history rewritten: the event at position 10 now has another hash')
        # This year's events only, last year's checkpoints left out: the consistency proof cannot link.
        bundle = self.bundle(log=log, first=12, final=final, consistency=[(10, 14)], inclusion=[(14, 14)],
                             checkpoints=[log.checkpoints()[2], final])
        self.assert_fails([bundle, '--kept-checkpoint', kept],
                          f'{label}: history rewritten: the consistency proof from 10 to 14 does not verify')
        self.assert_fails([bundle, '--trust-key', fp(K2)], f'not by the trusted key {fp(K2)}')

    # --- check 7: the hashes the domain records --------------------------------------------------------

    def test_a_wrong_recorded_domain_hash_is_named(self):
        for wrong, position, message in (
                ('text', 3, 'position 3 (document-POL-1, document.drafted.v1): content_sha256 does not match the text'),
                ('pack', 8, 'position 8 (review-MR-1, review.inputs_assembled.v1): pack_sha256 does not match the pack'),
                ('approval', 5, 'position 5 (document-POL-1, document.approval_requested.v1): the approval content '
                                'hash does not match the document')):
            log = build_log(wrong=wrong)
            self.assert_fails([self.bundle(log=log, final=log.make_checkpoint(14, K1))], message)

    # --- without a bundle: the API's proofs as files ------------------------------------------------------

    def test_the_consistency_mode_accepts_a_valid_proof_and_refuses_a_tampered_one(self):
        old, new = self.log.checkpoints()[0], self.final
        leaves = self.log.leaves()
        proof = {'from': 5, 'to': 14, 'proof': [h.hex() for h in consistency_path(5, leaves)],
                 'from_root': old['merkle_root'], 'to_root': new['merkle_root']}
        out = self.assert_ok('consistency', self.file(old), self.file(new), self.file(proof))
        self.assertIn(f"ok: {self.cp_label(new, 'new checkpoint')} extends {self.cp_label(old, 'old checkpoint')} "
                      f'unchanged; signed by {fp(K1)}', out)
        self.assert_ok('consistency', self.file({'checkpoints': [old]}), self.file(new), self.file(proof),
                       '--trust-key', pub(K1))
        tampered = dict(proof, proof=proof['proof'][:-1] + ['00' * 32])
        self.assert_fails(['consistency', self.file(old), self.file(new), self.file(tampered)],
                          'consistency proof from 5 to 14: does not verify')
        # A rewritten history signed with the key: the new head does not extend the kept one.
        log = self.rewritten()
        leaves = log.leaves()
        forged = {'from': 5, 'to': 14, 'proof': [h.hex() for h in consistency_path(5, leaves)]}
        self.assert_fails(['consistency', self.file(old), self.file(log.make_checkpoint(14, K1)), self.file(forged)],
                          'consistency proof from 5 to 14: does not verify')
        self.assert_fails(['consistency', self.file(old), self.file(self.log.make_checkpoint(14, K3)), self.file(proof)],
                          f'signed by key {fp(K3)}, neither the old checkpoint')

    def test_the_inclusion_mode_accepts_a_valid_proof_and_refuses_a_tampered_one(self):
        cp, event = self.final, self.log.events[2]
        proof = {'position': 3, 'tree_size': 14, 'leaf': event['hash'], 'root': cp['merkle_root'],
                 'proof': [h.hex() for h in audit_path(2, self.log.leaves())]}
        line = self.file(json.dumps(event, ensure_ascii=False) + '\n')
        out = self.assert_ok('inclusion', self.file(cp), line, self.file(proof))
        self.assertIn(f'ok: position 3 (document-POL-1, document.drafted.v1) is in the {self.cp_label(cp)}', out)
        changed = copy.deepcopy(event)
        changed['data']['title'] = 'Another title'
        self.assert_fails(['inclusion', self.file(cp), self.file(changed), self.file(proof)],
                          'position 3: payload does not match data_sha256')
        tampered = dict(proof, proof=list(reversed(proof['proof'])))
        self.assert_fails(['inclusion', self.file(cp), line, self.file(tampered)],
                          f'inclusion proof of position 3 in the {self.cp_label(cp)}: does not verify')
        self.assert_fails(['inclusion', self.file(cp), line, self.file(proof), '--trust-key', fp(K3)],
                          f'{self.cp_label(cp)}: signed by key {fp(K1)}, not by the trusted key {fp(K3)}')

    def test_the_command_line(self):
        def run(*args):
            return subprocess.run([sys.executable, VERIFY, *args], capture_output=True, text=True, timeout=120)
        r = run(self.bundle(final=self.final))
        self.assertEqual((r.returncode, r.stdout[:17]), (0, 'ok: 14 events (1.'), r.stderr)
        r = run(self.bundle(final=self.final, tamper=lambda f: f.update({'notes.txt': b'x'})))
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith('FAILED: manifest: file notes.txt'), r.stderr)
        self.assertEqual(run('consistency', 'a.json').returncode, 2)

    @unittest.skipUnless(shutil.which('openssl') and shutil.which('xxd'), 'needs openssl and xxd')
    def test_the_openssl_recipe_of_auditors_md_checks_one_signature(self):
        cp = self.final
        script = f'''set -e
cd "$(mktemp -d "{self.tmp}/openssl-XXXXXX")"
printf '302a300506032b6570032100%s' "{cp['key']}" | xxd -r -p > key.der
openssl pkey -pubin -inform DER -in key.der -out key.pem
printf '%s' "{cp['signature']}" | xxd -r -p > signature.bin
printf 'isms-ledger checkpoint v1\\nposition %s\\nhead_hash %s\\nmerkle_root %s\\ntime %s\\nkey %s\\n' \\
  "{cp['position']}" "{cp['head_hash']}" "{cp['merkle_root']}" "{cp['time']}" "{cp['key']}" > statement.txt
openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in statement.txt -sigfile signature.bin
'''
        r = subprocess.run(['/bin/sh', '-c', script], capture_output=True, text=True, timeout=60)
        self.assertIn('Signature Verified Successfully', r.stdout + r.stderr)


class Primitives(unittest.TestCase):
    # RFC 8032 section 7.1, TEST 1 to TEST 3: secret key, public key, message, signature.
    RFC8032 = [
        ('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
         'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
         'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
        ('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
         '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
         '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'),
        ('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
         'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
         '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'),
    ]

    def test_rfc8032_vectors_sign_and_verify(self):
        for n, (secret, public, message, signature) in enumerate(self.RFC8032):
            sk, pk, m, sig = (bytes.fromhex(x) for x in (secret, public, message, signature))
            self.assertEqual(ed25519_sign.public_key(sk), pk)
            self.assertEqual(ed25519_sign.sign(sk, m), sig)
            self.assertTrue(verify.ed25519_verify(pk, m, sig))
            self.assertFalse(verify.ed25519_verify(pk, m + b'\x00', sig))
            self.assertFalse(verify.ed25519_verify(pk, m, sig[:5] + bytes([sig[5] ^ 1]) + sig[6:]))      # R changed
            self.assertFalse(verify.ed25519_verify(pk, m, sig[:40] + bytes([sig[40] ^ 1]) + sig[41:]))   # S changed
            s_plus_l = (int.from_bytes(sig[32:], 'little') + verify.L).to_bytes(32, 'little')
            self.assertFalse(verify.ed25519_verify(pk, m, sig[:32] + s_plus_l))                          # S >= L
            other = bytes.fromhex(self.RFC8032[(n + 1) % 3][1])
            self.assertFalse(verify.ed25519_verify(other, m, sig))                                         # another key

    def test_the_documented_worked_example_hash(self):
        e = {'position': 1, 'stream': 'risk-R-1', 'version': 1, 'type': 'risk.identified.v1',
             'data': {'title': 'Laptop theft', 'likelihood': 3},
             'metadata': {'actor': 'u-alice', 'command_id': 'c-1', 'correlation_id': '', 'causation_id': '',
                          'recorded_at_ms': 1764374400000, 'extra': {'comment': 'first'}}}
        digest = verify.canon_sha256(e['data'])
        self.assertEqual(digest.hex(), 'b0f1aa4ed9213c46dfdbcd30a48528768ec0462e609f9768f01694cb707466fe')
        body = verify.canonical_bytes(e, digest)
        self.assertEqual(len(body), 140)
        expected = '4f718d8f721fb17ac631f047ed0432227c8b8e6c2236dac65070823f2777f803'
        self.assertEqual(hashlib.sha256(bytes(32) + body).hexdigest(), expected)
        self.assertEqual(hashlib.sha256(bytes(32) + event_bytes(dict(e, data_sha256=digest.hex()))).hexdigest(), expected)
        self.assertEqual(build_log().events[0]['hash'], expected)      # the test logs start with that event

    def test_canonical_json_edge_cases(self):
        for value, text in ((0.1, '0.10000000000000001'), (1.5, '1.5'), (3.0, '3'), (1e100, '1e+100'), (-0.0, '0'),
                            ('\u0001/\u007f\t"\\é', '"\\u0001/\u007f\\t\\"\\\\é"'),
                            ({'b': [1, None, True], 'a': {}, 'é': False}, '{"a":{},"b":[1,null,true],"é":false}')):
            self.assertEqual(verify.canon(value), text)
            self.assertEqual(canon(value), text)

    # The Certificate Transparency reference implementation's published test data (RFC 6962 trees):
    # leaves, the roots of their first n, and consistency and inclusion proofs.
    CT_LEAVES = [b'', b'\x00', b'\x10', b'\x20\x21', b'\x30\x31', b'\x40\x41\x42\x43',
                 b'\x50\x51\x52\x53\x54\x55\x56\x57', bytes(range(0x60, 0x70))]
    CT_ROOTS = ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
                'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
                'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
                'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
                '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
                '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
                'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
                '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328']
    CT_CONSISTENCY = {(1, 8): ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
                               '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                               '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
                      (6, 8): ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
                               'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
                               'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'],
                      (2, 5): ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                               'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']}
    CT_INCLUSION = {(0, 8): CT_CONSISTENCY[(1, 8)],
                    (5, 8): ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
                             'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
                             'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']}

    def test_merkle_against_the_certificate_transparency_test_data(self):
        head = verify.TreeHead()
        self.assertEqual(head.root().hex(), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
        for n, leaf in enumerate(self.CT_LEAVES, 1):
            head.append(leaf)
            self.assertEqual(head.root().hex(), self.CT_ROOTS[n - 1])
            self.assertEqual(mth(self.CT_LEAVES[:n]).hex(), self.CT_ROOTS[n - 1])
        root = lambda n: bytes.fromhex(self.CT_ROOTS[n - 1])  # noqa: E731
        for (m, n), proof in self.CT_CONSISTENCY.items():
            self.assertEqual([h.hex() for h in consistency_path(m, self.CT_LEAVES[:n])], proof)
            self.assertTrue(verify.verify_consistency(m, n, root(m), root(n), [bytes.fromhex(h) for h in proof]))
        self.assertTrue(verify.verify_consistency(1, 1, root(1), root(1), []))
        for (i, n), proof in self.CT_INCLUSION.items():
            self.assertEqual([h.hex() for h in audit_path(i, self.CT_LEAVES[:n])], proof)
            self.assertTrue(verify.verify_inclusion(self.CT_LEAVES[i], i, n, [bytes.fromhex(h) for h in proof], root(n)))

    def test_every_small_proof_verifies_and_no_changed_one_does(self):
        leaves = [hashlib.sha256(b'event %d' % i).digest() for i in range(17)]
        flip = lambda h: bytes([h[0] ^ 1]) + h[1:]  # noqa: E731
        for n in range(1, len(leaves) + 1):
            root = mth(leaves[:n])
            for i in range(n):
                path = audit_path(i, leaves[:n])
                self.assertTrue(verify.verify_inclusion(leaves[i], i, n, path, root), (i, n))
                self.assertFalse(verify.verify_inclusion(flip(leaves[i]), i, n, path, root))
                self.assertFalse(verify.verify_inclusion(leaves[i], i, n, path[:-1], root) if path else False)
                # A path is not bound to one size (leaf 0 of 3 and of 4 have the same path shape: the signed
                # checkpoint binds size and root), but it is too short for a tree four times as large.
                self.assertFalse(verify.verify_inclusion(leaves[i], i, 4 * n, path, root))
                self.assertFalse(verify.verify_inclusion(leaves[i], i, n, path + [root], root))           # a hash too many
                self.assertFalse(verify.verify_inclusion(leaves[i], i + n, n, path, root))                # past the tree
                for k in range(len(path)):
                    self.assertFalse(verify.verify_inclusion(leaves[i], i, n, path[:k] + [flip(path[k])] + path[k + 1:], root))
            for m in range(0, n + 1):
                path, old = consistency_path(m, leaves[:n]), mth(leaves[:m])
                self.assertTrue(verify.verify_consistency(m, n, old, root, path), (m, n))
                if 0 < m < n:
                    self.assertFalse(verify.verify_consistency(m, 4 * n, old, root, path))                 # too short
                    self.assertFalse(verify.verify_consistency(m, n, old, root, path + [root]))            # a hash too many
                    self.assertFalse(verify.verify_consistency(m, n, old, root, path[:-1]))                # one too few
                    self.assertFalse(verify.verify_consistency(m, n, flip(old), root, path))
                    self.assertFalse(verify.verify_consistency(m, n, old, flip(root), path))
                    for k in range(len(path)):
                        self.assertFalse(verify.verify_consistency(m, n, old, root, path[:k] + [flip(path[k])] + path[k + 1:]))


if __name__ == '__main__':
    unittest.main(verbosity=1)
