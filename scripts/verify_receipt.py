#!/usr/bin/env python3
"""Verifies a FeePay receipt's compact JWS with nothing but the published JWKS, using the
joserfc library (PyPI) — as any third party would.

Usage: verify_receipt.py JWKS_URL_OR_FILE JWS
Prints the receipt's number and exits 0 when the signature is valid; exits 1 otherwise.
"""
import json
import sys
import urllib.request

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

source, token = sys.argv[1], sys.argv[2]
if source.startswith("http"):
    keys = json.load(urllib.request.urlopen(source))
else:
    keys = json.load(open(source))
try:
    result = jws.deserialize_compact(token, KeySet.import_key_set(keys), algorithms=["EdDSA"])
except (JoseError, ValueError) as error:
    print(f"invalid: {error}")
    sys.exit(1)
receipt = json.loads(result.payload)
print(f"valid: {receipt['series']} {receipt['number']}")
