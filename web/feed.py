"""An Atom feed (RFC 4287) of any search, newest first: a feed reader follows a topic with it.

The feed is the search page's request with its order set to newest; each entry is one
article, linked to its page here (alternate) and to where it was published (related).
Written with the standard library's ElementTree (feedgen 1.0 drops the rel of entry links,
which makes two alternates of one entry: invalid Atom).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from xml.etree import ElementTree

from search.results import SearchResults

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50
UNTITLED = "(بلا عنوان)"
ElementTree.register_namespace("", ATOM)
# What XML 1.0 cannot hold, even escaped: C0 controls but tab and line breaks, surrogates,
# U+FFFE and U+FFFF. ElementTree writes them as they are, and the feed is then no XML at all.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def atom_feed(
    results: SearchResults, feed_url: str, page_url: str, document_url: Callable[[str], str]
) -> bytes:
    """The Atom document of a newest-first search; ``document_url(id)`` gives an entry's
    absolute link."""
    now = datetime.now(UTC)
    times = [article_time(hit.date) for hit in results.hits]
    feed = ElementTree.Element(_tag("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "ar"})
    _text(feed, "id", feed_url)
    _text(feed, "title", f"نبأ: {results.query}")
    _text(feed, "subtitle", f"المقالات المطابقة: {results.total:,}، الأحدث أولًا")
    _text(feed, "updated", _stamp(max(filter(None, times), default=now)))
    _link(feed, feed_url, "self", "application/atom+xml")
    _link(feed, page_url, "alternate", "text/html")
    _text(feed, "generator", "naba")
    for hit, published in zip(results.hits, times, strict=True):
        entry = ElementTree.SubElement(feed, _tag("entry"))
        link = document_url(hit.id)
        _text(entry, "id", link)
        _text(entry, "title", hit.title or UNTITLED)
        _text(entry, "updated", _stamp(published or now))
        if published:
            _text(entry, "published", _stamp(published))
        author = ElementTree.SubElement(entry, _tag("author"))
        _text(author, "name", hit.author or hit.source or "—")
        _link(entry, link, "alternate", "text/html")
        if hit.url.startswith(("http://", "https://")):
            _link(entry, hit.url, "related", "text/html")
        if hit.source:
            ElementTree.SubElement(entry, _tag("category"), {"term": xml_safe(hit.source)})
        _text(entry, "summary", hit.snippet.text or hit.title or UNTITLED)
    ElementTree.indent(feed)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def article_time(date: str) -> datetime | None:
    """An article's stored date (YYYY-MM-DD, perhaps with a time) as a UTC time, or None."""
    text = date.strip()
    for candidate in (text.replace("Z", "+00:00"), text[:10]):
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _tag(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (an article's U+FFFF, a query's %01)."""
    return _NOT_XML.sub("", text)


def _text(parent, name: str, text: str) -> None:
    ElementTree.SubElement(parent, _tag(name)).text = xml_safe(text)


def _link(parent, href: str, rel: str, kind: str) -> None:
    ElementTree.SubElement(parent, _tag("link"), {"href": xml_safe(href), "rel": rel,
                                                  "type": kind})  # fmt: skip


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
