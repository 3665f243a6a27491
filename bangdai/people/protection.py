"""Protection of personal data: AES-GCM encryption at rest, keyed blind indexes, masking."""

import base64
import hashlib
import hmac
import os
import unicodedata
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

_VERSION = b"\x01"


@lru_cache(maxsize=4)
def _keys(master_b64: str) -> tuple[bytes, bytes]:
    master = base64.b64decode(master_b64)
    if len(master) < 32:
        raise ValueError("BANGDAI_DATA_KEY must be at least 32 bytes, base64-encoded")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"bangdai personal data encryption v1"), derive(b"bangdai personal data index v1")


def _encryption_key() -> bytes:
    return _keys(settings.DATA_KEY)[0]


def _index_key() -> bytes:
    return _keys(settings.DATA_KEY)[1]


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_encryption_key()).encrypt(nonce, value.encode(), None)
    return base64.b64encode(_VERSION + nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    raw = base64.b64decode(token)
    if raw[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return AESGCM(_encryption_key()).decrypt(raw[1:13], raw[13:], None).decode()


def normalise(value: str) -> str:
    """Full-width to half-width, no spaces, upper case (the check character X)."""
    return unicodedata.normalize("NFKC", value or "").replace(" ", "").strip().upper()


def blind_index(value: str) -> str:
    """Keyed HMAC of the normalised value: exact lookup without storing the value."""
    return hmac.new(_index_key(), normalise(value).encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:]


class EncryptedTextField(models.TextField):
    """Stores the value AES-GCM encrypted; the Python value is the clear text."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
