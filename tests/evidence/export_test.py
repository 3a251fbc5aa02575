#!/usr/bin/env python3
"""ismsd's evidence bundle end to end: the real server binary writes it, the verifier it ships checks it.

A store with the demo ISMS is exported with `ismsd export`; each bundle is unpacked and checked by
the verify.py inside it, as an auditor would. The rewrite an earlier version could not detect is
staged for real: a copy of the store taken before its tail is cut off continues with other events
and is signed with the same key; its bundle verifies on its own, and fails against a checkpoint
kept from the genuine log, naming that checkpoint. Also: the registers' CSV files, a bundle of one
stream with inclusion proofs, a key rotation, and the chain through a kept checkpoint.

  python3 tests/evidence/export_test.py PATH/TO/ismsd      (standard library only)
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

sys.dont_write_bytecode = True
ISMSD = None


def run(*args, expect=0):
    p = subprocess.run([ISMSD, *args], capture_output=True, text=True, timeout=300)
    if p.returncode != expect:
        raise AssertionError(f"ismsd {' '.join(args)} exited {p.returncode}, expected {expect}:\n{p.stdout}{p.stderr}")
    return p.stdout + p.stderr


class Bundle:
    """An unpacked bundle: its folder, files and verifier."""

    def __init__(self, archive, into):
        with tarfile.open(archive, 'r:gz') as t:
            names = t.getnames()
            t.extractall(into, filter='data') if hasattr(tarfile, 'data_filter') else t.extractall(into)
        tops = {n.split('/')[0] for n in names}
        assert len(tops) == 1, tops
        self.dir = os.path.join(into, tops.pop())
        self.names = names
        with open(os.path.join(self.dir, 'manifest.json')) as f:
            self.manifest = json.load(f)
        with open(os.path.join(self.dir, 'events.ndjson')) as f:
            self.events = [json.loads(line) for line in f if line.strip()]

    def path(self, name):
        return os.path.join(self.dir, name)

    def verify(self, *flags):
        """Runs the bundle's own verify.py; returns (exit status, output)."""
        p = subprocess.run([sys.executable, self.path('verify.py'), self.dir, *flags],
                           capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr


class export_test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='isms-export-')
        cls.data = os.path.join(cls.tmp, 'data')
        cls.key = os.path.join(cls.tmp, 'signing.key')
        run('demo', '--data', cls.data)
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export(self, data, *flags):
        type(self).count += 1
        archive = os.path.join(self.tmp, f'bundle-{self.count}.tar.gz')
        out = run('export', '--data', data, '--signing_key', self.key, '--to', archive, *flags)
        self.assertIn('wrote ' + archive, out)
        return Bundle(archive, os.path.join(self.tmp, f'unpacked-{self.count}'))

    def erase_one(self, data, bundle, reason):
        """Appends an erasure of the first user's name not yet erased: an event that is not a checkpoint."""
        for e in bundle.events:
            if e['stream'].startswith('user-') and isinstance(e.get('data', {}).get('name'), str) \
                    and not e.get('data_erased') and e['position'] not in self.erased.get(data, set()):
                self.erased.setdefault(data, set()).add(e['position'])
                run('erase', '--data', data, '--position', str(e['position']), '--fields', 'name', '--reason', reason)
                return
        self.fail('the demo has no user event with a name left to erase')

    erased = {}

    def test_the_genuine_log_verifies_and_a_rewrite_after_a_kept_checkpoint_is_named(self):
        b0 = self.export(self.data)
        status, out = b0.verify()
        self.assertEqual(status, 0, out)
        self.assertGreater(len(b0.events), 400)
        self.assertEqual(b0.manifest['from'], 1)

        # The registers, each stamped with the position the bundle ends at.
        to = b0.manifest['to']
        for name in ('risk_register', 'statement_of_applicability', 'objectives', 'nonconformities',
                     'corrective_actions', 'internal_audits', 'audit_findings', 'management_reviews',
                     'review_actions'):
            with open(b0.path(f'registers/{name}.csv'), newline='') as f:
                text = f.read()
            self.assertTrue(text.startswith(f'# position {to}\n'), name)
            rows = list(csv.reader(io.StringIO(text.split('\n', 1)[1])))
            self.assertGreater(len(rows), 1, f'{name} holds no entry')
        with open(b0.path('registers/risk_register.csv'), newline='') as f:
            rows = list(csv.DictReader(io.StringIO(f.read().split('\n', 1)[1])))
        # Risks identified before they named registered assets are v1, since then v2.
        identified = {e['stream'][len('risk-'):] for e in b0.events
                      if e['type'] in ('risk.identified.v1', 'risk.identified.v2')}
        self.assertEqual({r['id'] for r in rows}, identified)
        with open(b0.path('registers/statement_of_applicability.csv'), newline='') as f:
            soa = list(csv.DictReader(io.StringIO(f.read().split('\n', 1)[1])))
        self.assertEqual(len(soa), 93)

        # A copy of the store as it stands: whoever holds it and the key can write another future.
        fork = os.path.join(self.tmp, 'fork')
        shutil.copytree(self.data, fork)

        self.erase_one(self.data, b0, 'the data subject asked (genuine)')
        b1 = self.export(self.data)
        status, out = b1.verify()
        self.assertEqual(status, 0, out)
        kept = b1.path('checkpoints.json')  # the auditor keeps this year's newest checkpoint
        with open(kept) as f:
            kept_position = json.load(f)['checkpoints'][-1]['position']

        # The rewrite: the tail after the copy is cut and replaced by other events, signed anew.
        self.erase_one(fork, b0, 'rewritten history')
        self.erase_one(fork, b0, 'rewritten history')
        forged = self.export(fork)
        status, out = forged.verify()
        self.assertEqual(status, 0, 'a consistent rewrite verifies on its own:\n' + out)
        status, out = forged.verify('--kept-checkpoint', kept)
        self.assertEqual(status, 1, out)
        self.assertIn('history rewritten', out)
        self.assertIn(f'kept checkpoint at position {kept_position}', out)
        # The copy's history up to b0's checkpoint is the genuine one, and says so.
        status, out = forged.verify('--kept-checkpoint', b0.path('checkpoints.json'))
        self.assertEqual(status, 0, out)

        # The genuine log goes on; next year's bundle extends the kept checkpoint.
        self.erase_one(self.data, b1, 'the data subject asked (a year later)')
        b2 = self.export(self.data)
        status, out = b2.verify('--kept-checkpoint', kept)
        self.assertEqual(status, 0, out)
        self.assertIn(f'kept checkpoint at {kept_position} is consistent', out)

        # One stream's events from a later position: inclusion proofs tie them to the signed tree.
        stream = sorted(identified)[0]
        part = self.export(self.data, '--streams', 'risk-' + stream, '--from', '2')
        # The stream's events, and the erasures, which vouch for erased payloads' tombstones.
        self.assertEqual({e['stream'] for e in part.events}, {'risk-' + stream, 'eventstore.erasures'})
        self.assertEqual(part.manifest['streams'], ['risk-' + stream])
        status, out = part.verify('--kept-checkpoint', kept)
        self.assertEqual(status, 0, out)
        with open(part.path('proofs.json')) as f:
            self.assertEqual(len(json.load(f)['inclusion']), len(part.events))

        # A rotation: the old key announces the new one; a key pinned from before still anchors the chain.
        old = run('key', 'show', '--data', self.data, '--signing_key', self.key)
        fingerprint = next(w for line in old.splitlines() if 'fingerprint' in line for w in line.split()
                           if len(w) == 64)
        run('key', 'rotate', '--data', self.data, '--signing_key', self.key)
        self.assertNotIn(fingerprint, run('key', 'show', '--data', self.data, '--signing_key', self.key))
        b3 = self.export(self.data)
        status, out = b3.verify('--trust-key', fingerprint, '--kept-checkpoint', kept)
        self.assertEqual(status, 0, out)
        self.assertIn(' then ', out)

    def test_an_export_refuses_what_it_cannot_do_and_leaves_no_file(self):
        archive = os.path.join(self.tmp, 'refused.tar.gz')
        out = run('export', '--data', self.data, '--signing_key', self.key, '--to', archive, '--from', '999999999',
                  expect=1)
        self.assertIn('999999999', out)
        self.assertFalse(os.path.exists(archive))
        self.assertFalse(os.path.exists(archive + '.partial'))
        out = run('export', '--data', os.path.join(self.tmp, 'nothing-here'), '--to', archive, expect=1)
        self.assertFalse(os.path.exists(archive))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ISMSD = os.path.abspath(sys.argv.pop(1))
    unittest.main()
