"""Sign-in passwords: the policy a person's choice must meet, and scrypt.

Passwords are never stored: only ``scrypt$N$r$p$salt$hash`` with a random
per-account salt. The cost parameters travel with each hash so they can be
raised later without locking anyone out.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import string

from agent.errors import InvalidInput

# Same spirit as SIP passwords (agent.extensions.rules): length and variety,
# said in plain words; a long passphrase counts without the variety.
PASSWORD_MIN = 12
PASSWORD_MAX = 128
PASSPHRASE_MIN = 20  # a passphrase this long needs no digits or symbols
CLASSES_NEEDED = 3  # of: lower case, upper case, digits, symbols
ONE_TIME_PASSWORD_LENGTH = 16  # 16 of 56 unambiguous symbols: about 93 bits

# scrypt at N=2**15, r=8 takes 32 MiB and about 0.1 s on a Raspberry Pi 4:
# slow enough to make guessing a stolen hash costly, light enough that a few
# sign-ins at once do not starve the SIP core of memory.
SCRYPT_LOG2_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAXMEM = 64 * 1024 * 1024
SALT_BYTES = 16
HASH_BYTES = 32

# No 0/O, 1/l/I: the one-time password is read off a terminal and typed.
_UNAMBIGUOUS = "".join(
    c for c in string.ascii_letters + string.digits if c not in "0O1lI"
)


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=2**log2_n,
        r=r,
        p=p,
        maxmem=SCRYPT_MAXMEM,
        dklen=HASH_BYTES,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_LOG2_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True if password matches the stored hash; constant time on the digest."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the user name is unknown, so that a wrong name
    takes as long as a wrong password and timing tells nothing about who
    exists."""
    return hash_password(secrets.token_urlsafe(16))


RULE = (
    f"{PASSWORD_MIN} to {PASSWORD_MAX} characters with at least three of lower "
    f"case, upper case, digits and symbols (or a passphrase of {PASSPHRASE_MIN} "
    "or more characters), not containing the user name"
)


def check_policy(password: str, username: str, field: str = "new_password") -> str:
    """Check a password a person chose; say which rule it broke, never echo it.

    Raises:
        InvalidInput: naming the first rule broken, in the order a person
            would fix them (length, characters, the user name, variety).
    """
    classes = {
        "lower case": any(ch.islower() for ch in password),
        "upper case": any(ch.isupper() for ch in password),
        "digits": any(ch.isdigit() for ch in password),
        "symbols": any(not ch.isalnum() and not ch.isspace() for ch in password),
    }
    if len(password) < PASSWORD_MIN:
        broken = f"too short: at least {PASSWORD_MIN} characters"
    elif len(password) > PASSWORD_MAX:
        broken = f"too long: at most {PASSWORD_MAX} characters"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        broken = "must not contain control characters such as tabs or newlines"
    elif username and username.lower() in password.lower():
        broken = "must not contain the user name"
    elif sum(classes.values()) < CLASSES_NEEDED and len(password) < PASSPHRASE_MIN:
        missing = " or ".join(name for name, present in classes.items() if not present)
        broken = (
            f"needs at least {CLASSES_NEEDED} of lower case, upper case, digits "
            f"and symbols (add {missing}), or be a passphrase of "
            f"{PASSPHRASE_MIN} or more characters"
        )
    else:
        return password
    raise InvalidInput(field, None, broken)


def generate_one_time_password() -> str:
    """A random password that meets the policy for any user name."""
    while True:
        candidate = "".join(
            secrets.choice(_UNAMBIGUOUS) for _ in range(ONE_TIME_PASSWORD_LENGTH)
        )
        if all(
            any(test(ch) for ch in candidate)
            for test in (str.islower, str.isupper, str.isdigit)
        ):
            return candidate
