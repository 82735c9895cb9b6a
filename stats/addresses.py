"""Web addresses stored as URIs (RFC 3986): one normalisation for every address field and every write path."""

import functools
import re

import idna

# RFC 3986, appendix B: scheme, authority, path, query and fragment of any reference, without validating it.
PARTS = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.DOTALL)
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
SUB_DELIMS = "!$&'()*+,;="
# What each part may hold as it is (RFC 3986, 3.2.1 and 3.3 to 3.5); a `%` only where it starts an escape.
ALLOWED = {
    "userinfo": frozenset(UNRESERVED + SUB_DELIMS + ":"),
    "path": frozenset(UNRESERVED + SUB_DELIMS + ":@/"),
    "query": frozenset(UNRESERVED + SUB_DELIMS + ":@/?"),
}
ALLOWED["fragment"] = ALLOWED["query"]
ESCAPE_OR_CHARACTER = re.compile(r"%[0-9A-Fa-f]{2}|.", re.DOTALL)
# Left for the URL validator to refuse: what browsers would silently drop, and what no address holds.
REFUSED = frozenset("\t\r\n\x00")


def encoded(text: str, part: str) -> str:
    """Return `text` with every character `part` may not hold percent-encoded (as UTF-8), escapes upper-cased."""
    allowed = ALLOWED[part]

    def one(match: re.Match) -> str:
        piece = match.group()
        if len(piece) == 3:
            return piece.upper()
        if piece in allowed:
            return piece
        return "".join(f"%{byte:02X}" for byte in piece.encode("utf-8", "surrogatepass"))

    return ESCAPE_OR_CHARACTER.sub(one, text)


def ascii_host(host: str) -> str:
    """Return a host name in ASCII: an internationalised one as IDNA (punycode), as browsers send it."""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return encoded(host, "userinfo")  # not a valid name: keep it recognisable for the validator to refuse


# A file or a feed names one report's address on many rows (a day's killed and injured; a model run's 1,640 days):
# each address is normalised once per process.
@functools.lru_cache(maxsize=16_384)
def as_uri(address: str) -> str:
    """Return `address` (a URI or an IRI) as a URI that opens the same page.

    Existing `%XX` escapes are kept (hex upper-cased); non-ASCII characters and the ASCII characters RFC 3986 does
    not allow in the path, query and fragment (a space, `"`, `<`, `>`, `|`, a `%` that starts no escape, …) are
    percent-encoded as UTF-8; a non-ASCII host becomes IDNA. Nothing else changes (no case folding, no removal of
    `..`), so a URI comes back as it was, and encoding twice changes nothing.
    """
    if not address or REFUSED.intersection(address):
        return address
    scheme, authority, path, query, fragment = PARTS.match(address).groups()
    uri = f"{scheme}:" if scheme is not None else ""
    if authority is not None:
        userinfo, at, hostport = authority.rpartition("@")
        host, colon, port = hostport, "", ""
        if not hostport.endswith("]"):  # an IPv6 literal holds colons of its own
            host, colon, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
        uri += "//" + (encoded(userinfo, "userinfo") + at if at else "") + ascii_host(host) + colon + port
    uri += encoded(path, "path")
    if query is not None:
        uri += "?" + encoded(query, "query")
    if fragment is not None:
        uri += "#" + encoded(fragment, "fragment")
    return uri
