"""Credentials recognised by their value, as secret scanners (gitleaks, detect-secrets) do.

Two rules, both meant to keep false positives rare:

1. A value in a known credential format is a secret whatever its name: a JWT, a private key in
   PEM, `Bearer <token>` / `Basic <base64 user:password>`, and vendor keys with a fixed prefix
   (Stripe, AWS, Google, GitHub, Slack, GitLab, SendGrid, OpenAI...).
2. A value under a key-ish name (`appid`, `app_key`, `key2`, `sig`, `api_hash`...) that looks
   random: at least 16 characters of a key alphabet, letters and digits, high Shannon entropy,
   and not a UUID, an ObjectId, a number or a date.

Names that only say secret (token, password...) are normalize.looks_secret's; this module never
decides by the name alone.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from functools import lru_cache

# Known formats, each matched against the whole (stripped) value.
KNOWN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        # header.payload.signature, base64url; the header is a JSON object (`{"` is `eyJ`); an
        # unsigned token has an empty signature
        ("JWT", r"eyJ[A-Za-z0-9_-]{8,}={0,2}\.[A-Za-z0-9_-]{8,}={0,2}\.[A-Za-z0-9_-]*={0,2}"),
        ("Stripe key", r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}"),
        ("Stripe webhook secret", r"whsec_[A-Za-z0-9+/=]{24,}"),
        ("AWS access key id", r"(?:AKIA|ASIA)[A-Z0-9]{16}"),
        ("Google API key", r"AIza[0-9A-Za-z_-]{35}"),
        ("GitHub token", r"gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255}"),
        ("Slack token", r"xox[abprs]-[A-Za-z0-9-]{10,250}"),
        ("GitLab token", r"glpat-[A-Za-z0-9_-]{20,}"),
        ("SendGrid key", r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
        ("npm token", r"npm_[A-Za-z0-9]{36}"),
        ("Hugging Face token", r"hf_[A-Za-z0-9]{34,}"),
        ("Shopify token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    )
)
# How every known format starts: most values fail this one match (a saved body has many strings).
CANDIDATE_RE = re.compile(
    r"\s*(?:eyJ|[sr]k_|whsec_|A[KS]IA|AIza|gh[pousr]_|github_pat_|xox|glpat-|SG\.|npm_|hf_|shp|sk-"
    r"|(?i:bearer|basic)\s)"
)
# `sk-` and a long random rest (OpenAI and others); the rest must look random (a slug does not).
OPENAI_RE = re.compile(r"sk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_-]{32,})")
PRIVATE_KEY_RE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
BEARER_RE = re.compile(r"bearer\s+([A-Za-z0-9._~+/-]{8,}=*)", re.IGNORECASE)
BASIC_RE = re.compile(r"basic\s+([A-Za-z0-9+/]{4,}={0,2})", re.IGNORECASE)

# The same formats inside longer text (a body that is not JSON): bounded by non-token characters.
_EDGE = r"(?<![A-Za-z0-9_\-.+/])"
_END = r"(?![A-Za-z0-9_\-+/])"
# (the lookahead of first letters lets the scan skip most positions at once: 10 times faster)
KNOWN_IN_TEXT_RE = re.compile(
    _EDGE
    + "(?=[eswrAgxSnh])(?:"
    + "|".join([pattern.pattern for _, pattern in KNOWN_FORMATS] + [OPENAI_RE.pattern])
    + ")"
    + _END
)
PRIVATE_KEY_BLOCK_RE = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?(?:-----END \1-----|$)", re.DOTALL
)

# Key-ish names, read as lower-case words (`appId` and `APP_ID` are `app id`): a word that is or
# ends in `key` (key, key2, apikey, appkey; not keyword), `sig`/`signature`/`hmac`, an OAuth-style
# `code`, or an id/hash/sig/auth word of an app, client, consumer or api (appid, app_id, api_hash).
KEY_WORD_RE = re.compile(r"^(?:[a-z]*key|keys?\d*|keyid)$")
SIGNATURE_WORDS = {"sig", "signature", "hmac", "code", "passcode"}
OWNER_WORDS = {"app", "application", "client", "consumer", "api"}
OWNED_WORDS = {"id", "sig", "signature", "hash", "code", "auth", "secret", "token"}
OWNED_JOINED_RE = re.compile(
    r"^(?:app|application|client|consumer|api)(?:id|sig|signature|hash|code|auth|secret|token)$"
)
# Names with `key` that name something else: database and cache keys, idempotency and sort keys,
# the public half of a key pair.
NOT_KEY_WORDS = {
    "sort",
    "partition",
    "primary",
    "foreign",
    "row",
    "range",
    "cache",
    "idempotency",
    "idempotent",
    "dedup",
    "dedupe",
    "deduplication",
    "public",
    "publishable",
    "lookup",
    "map",
    "hotkey",
    "monkey",
    "turkey",
    "hockey",
    "whiskey",
}

KEY_ALPHABET_RE = re.compile(r"[A-Za-z0-9_\-+/=.]+")
HEX_RE = re.compile(r"[0-9a-f]+|[0-9A-F]+")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
OBJECT_ID_RE = re.compile(r"[0-9a-f]{24}")
DATE_RE = re.compile(
    r"\d{4}-?\d{2}-?\d{2}(?:[T_ -]?\d{2}[:.-]?\d{2}(?:[:.-]?\d{2}(?:[.,]\d+)?)?)?Z?"
)
WORD_RUN_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+")
WORD_RUN = 4
MIN_LENGTH = 16
HEX_ENTROPY = 3.0  # bits per character (detect-secrets' default for hex strings)
BASE64_ENTROPY = 4.5  # detect-secrets' default; reached only by long strings, see random_value
BASE64_LENGTH_FACTOR = 0.8  # of log2(length), the most entropy a string of that length can have


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`'s own character frequencies."""
    if not text:
        return 0.0
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def known_format(value: str) -> str | None:
    """The name of the credential format `value` has, None for none."""
    if "PRIVATE KEY" in value and PRIVATE_KEY_RE.search(value):
        return "private key"
    if not CANDIDATE_RE.match(value):
        return None
    text = value.strip()
    for name, pattern in KNOWN_FORMATS:
        if pattern.fullmatch(text):
            return name
    openai = OPENAI_RE.fullmatch(text)
    if openai and random_value(openai.group(1).replace("_", "").replace("-", "")):
        return "sk- key"
    bearer = BEARER_RE.fullmatch(text)
    if bearer and _token_like(bearer.group(1)):
        return "bearer token"
    basic = BASIC_RE.fullmatch(text)
    if basic and _basic_credentials(basic.group(1)):
        return "basic credentials"
    return None


def _token_like(token: str) -> bool:
    """A bearer token rather than a word or a placeholder (`Bearer YOUR_TOKEN`)."""
    return known_format(token) is not None or random_value(token)


def _basic_credentials(encoded: str) -> bool:
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return ":" in text and text.isprintable()


def name_words(name: str) -> list[str]:
    """A name as lower-case words: `appId`, `APP_ID` and `x-app-id` give `app`, `id`."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [word for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if word]


@lru_cache(maxsize=4096)
def keyish_name(name: str) -> bool:
    """Whether a name says its value may be a key, a signature or an app's credential id."""
    words = name_words(name)
    if not words or any(word in NOT_KEY_WORDS for word in words):
        return False
    for index, word in enumerate(words):
        if KEY_WORD_RE.match(word) or word in SIGNATURE_WORDS or OWNED_JOINED_RE.match(word):
            return True
        if word in OWNER_WORDS and index + 1 < len(words) and words[index + 1] in OWNED_WORDS:
            return True
    return False


def random_value(value: str) -> bool:
    """Whether a value looks like random key material rather than an id, a word or a date.

    At least 16 characters of [A-Za-z0-9_-+/=.], letters and digits both; not a UUID, a MongoDB
    ObjectId, a date or time. Hex needs more than 3.0 bits of entropy per character; other text
    more than 0.8 * log2(its length) (a random string of that length has about 0.9 of it; 97%
    of random 20-character keys pass, 99.7% of 32-character ones), capped at detect-secrets' 4.5.
    """
    text = value.strip()
    if len(text) < MIN_LENGTH or not KEY_ALPHABET_RE.fullmatch(text):
        return False
    if not any(c.isdigit() for c in text) or not any(c.isalpha() for c in text):
        return False
    if UUID_RE.fullmatch(text) or DATE_RE.fullmatch(text) or _object_id(text):
        return False
    entropy = shannon_entropy(text)
    if HEX_RE.fullmatch(text):
        return entropy > HEX_ENTROPY
    core = text.rstrip("=")
    threshold = min(BASE64_ENTROPY, BASE64_LENGTH_FACTOR * math.log2(len(core)))
    return shannon_entropy(core) > threshold and not _word_like(core)


def _object_id(text: str) -> bool:
    """A MongoDB ObjectId: 24 hex digits starting with a creation time (2009 to 2040)."""
    return bool(OBJECT_ID_RE.fullmatch(text)) and 0x4A000000 <= int(text[:8], 16) <= 0x83AA7E80


def _word_like(text: str) -> bool:
    """Words with numbers (`myApplicationKey2024`, `release-2024-build-17`): its runs of letters
    (a word's casing: `Key`, `key`, `KEY`) are WORD_RUN letters long or more on average. Random
    text of 16 characters or more has that in under 1% of cases (0.1% at 24)."""
    runs = WORD_RUN_RE.findall(text)
    return bool(runs) and sum(len(run) for run in runs) >= WORD_RUN * len(runs)


# Values that stand in for a credential the reader is to fill in: `<your-api-key>`, `<string>`
# (OpenAPI converters), `{token}`, `[API KEY]`, `YOUR_API_KEY`, `your-token-here`, `xxxx`, `***`.
PLACEHOLDER_RE = re.compile(
    r"<[^<>]*>|\[[^\[\]]*\]|\{[^{}]*\}"
    r"|(?:your|my|insert|enter|put|paste|add)[\s_-].*"
    r"|.*[\s_-]here"
    r"|x{3,}|\*{3,}|\.{3,}|changeme|change[\s_-]me|replace[\s_-]?me|todo|tbd",
    re.IGNORECASE,
)


def placeholder(value: str) -> bool:
    """Whether a literal value only stands in for a credential the reader fills in: it is no
    secret to warn about (and no default either)."""
    return bool(PLACEHOLDER_RE.fullmatch(value.strip()))


def secret_value(name: str, value: str) -> bool:
    """Whether `value`, found under `name`, is a credential by its value: a known format, or a
    random-looking value under a key-ish name."""
    if not isinstance(value, str):
        return False
    if known_format(value) is not None:
        return True
    return len(value) >= MIN_LENGTH and keyish_name(name) and random_value(value)
