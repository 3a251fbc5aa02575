"""Ed25519 key generation and signing for the tests only, written out from RFC 8032
sections 5.1.5 and 5.1.6 (pure Ed25519: no context, no prehash).

Deliberately independent of ops/evidence/verify.py: affine coordinates and the
group law of RFC 8032 section 3 (the twisted Edwards addition with a = -1), not
the extended coordinates the verifier uses. Not constant-time; never sign
anything real with it.
"""

import hashlib

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
# The base point of RFC 8032 section 5.1, as printed there.
B = (15112221349535400772501151409588531511454012693041857206046113283949847762202,
     46316835694926478169428394003475163141307993866256225615783033603165251855960)


def _add(p1, p2):
    """x3 = (x1 y2 + x2 y1) / (1 + d x1 x2 y1 y2), y3 = (y1 y2 + x1 x2) / (1 - d x1 x2 y1 y2)."""
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P
    return x3, y3


def _mul(s, point):
    result = (0, 1)
    for bit in bin(s)[2:]:          # most significant bit first
        result = _add(result, result)
        if bit == '1':
            result = _add(result, point)
    return result


def _encode(point):
    """5.1.2: y little-endian, the low bit of x in the top bit of the last octet."""
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, 'little')


def _expand(secret):
    """5.1.5 steps 1-2: the pruned scalar s and the prefix from SHA-512 of the 32-byte secret."""
    h = hashlib.sha512(secret).digest()
    a = bytearray(h[:32])
    a[0] &= 248           # clear the lowest three bits of the first octet
    a[31] &= 127          # clear the highest bit of the last octet
    a[31] |= 64           # set the second highest bit of the last octet
    return int.from_bytes(a, 'little'), h[32:]


def public_key(secret):
    """5.1.5 steps 3-4: A = [s]B, encoded."""
    s, _ = _expand(secret)
    return _encode(_mul(s, B))


def sign(secret, message):
    """5.1.6: the 64-byte signature R || S."""
    s, prefix = _expand(secret)
    a = _encode(_mul(s, B))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), 'little') % L        # step 2
    big_r = _encode(_mul(r, B))                                                         # step 3
    k = int.from_bytes(hashlib.sha512(big_r + a + message).digest(), 'little') % L     # step 4
    return big_r + ((r + k * s) % L).to_bytes(32, 'little')                            # steps 5-6
