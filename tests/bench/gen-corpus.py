#!/usr/bin/env python3
"""Generate the benchmark corpus for `make bench` (tests/bench/run.sh).

    tests/bench/gen-corpus.py DIR

writes, deterministically (fixed seed, no clock, standard library only):

    DIR/feeds/NNNN.xml   2,000 feeds, about 100 MB in all: even numbers are
                         RSS 2.0, odd numbers Atom 1.0; a few KB to a few
                         hundred KB each; some in German, French, Russian,
                         Greek or Japanese, the rest English with some
                         non-ASCII words.
    DIR/big.xml          one RSS 2.0 feed of about 50 MB (about 17,000
                         items).
    DIR/manifest.tsv     "# gen-corpus VERSION", then one line per file:
                         path (relative to DIR), format, bytes, items.

The manifest is written last, so an interrupted run is redone. If it is
there with the same VERSION the corpus is left alone. Bump VERSION whenever
the output changes.
"""
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

VERSION = 1
SEED = 20260311
N_FEEDS = 2000
CORPUS_BYTES = 100 * 1000 * 1000
BIG_BYTES = 50 * 1000 * 1000
MIN_FEED = 3 * 1000
MAX_FEED = 400 * 1000
EPOCH = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)

WORDS = {
    "en": """the a of to and in that is for it as with was on be by this are
        from at or have an they which one you were all we can there their
        has been if more when will would who so no team feedback manager
        onboarding mentoring coaching release build parser streaming memory
        latency throughput kernel compiler database index query cache
        network protocol library interface design review meeting roadmap
        quarter budget hiring interview culture remote office schedule
        project deadline estimate risk customer support ticket incident
        outage postmortem rollback deploy pipeline container cluster node
        service endpoint request response header payload schema migration
        benchmark profile allocation buffer string encoding unicode
        café naïve résumé Zürich façade coöperate jalapeño
        “quoted” it’s don’t — – …""".split(),
    "de": """der die das und ist nicht ein eine zu mit auf für von sich den
        dem des im auch es an werden aus er hat dass sie nach wird bei
        einer um am sind noch wie einem über einen so zum war haben nur
        oder aber vor zur bis mehr durch man Straße Größe Bäcker Übung
        Lösung Prüfung schön fünf Mädchen grün hören Zürich München
        Entwicklung Veröffentlichung Rückmeldung Besprechung""".split(),
    "fr": """le la les de des du un une et est en que qui dans pour pas sur
        au avec ce il elle ne se plus par son mais nous vous été être
        très déjà où à côté élève été hôtel naïf français garçon
        cœur œuvre équipe développement réunion période problème
        sécurité mémoire leçon façon Noël""".split(),
    "ru": """и в не на я быть он с что а по это она этот к но они мы как из
        у который то за свой что весь год от так о для ты же все тот
        мочь вы человек такой его сказать только или ещё бы себя один
        как уже до время если сам когда другой вот говорить наш мой
        разработка выпуск команда сервер память поток""".split(),
    "el": """και το η ο να του της σε με για που τα των από την στο θα στην
        είναι δεν τον οι ένα μια στη στον ότι αυτό όπως μετά ομάδα
        ανάπτυξη διακομιστής μνήμη έκδοση συνάντηση""".split(),
    "ja": """私 は の が を に で と も から まで より 日本語 開発 会議
        チーム 東京 大阪 新しい 機能 リリース 性能 メモリ サーバー
        データベース 検索 結果 問題 解決 今日 明日 週末 ニュース
        記事 読者 更新 ブログ""".split(),
}
LANG_WEIGHTS = [("en", 80), ("de", 6), ("fr", 6), ("ru", 4), ("el", 2),
                ("ja", 2)]
PEOPLE = ["Alice Martin", "Bob Nguyen", "Chloé Dubois", "Dmitri Ivanov",
          "Eva Müller", "Fatima Zahra", "Gianluca Rossi", "Hana Sato",
          "Ines García", "Jonas Öberg", "Kwame Mensah", "Lena Schröder",
          "Mateo Álvarez", "Nadia Petrova", "Olu Adeyemi", "Priya Raman",
          "Quentin Lefèvre", "Rosa Costa", "Søren Kierkegaard", "田中 太郎"]
CATEGORIES = ["Engineering", "Management", "Culture", "Hiring", "Release",
              "Security", "Performance", "Databases", "Networking", "Design",
              "Open Source", "Linux", "C", "Python", "Rust", "Go", "Web",
              "Mobile", "Research", "Events", "Café & Talks", "Ops",
              "Entwicklung", "Équipe", "Новости", "ニュース"]
TLDS = ["org", "com", "net", "io", "dev", "de", "fr", "jp"]
GENERATORS = ["WordPress 6.4.3", "Hugo 0.121.1", "Jekyll v4.3.3",
              "Ghost 5.75", "Blogger", "https://www.11ty.dev/ v2.0.1",
              "Medium", "Substack", "Pelican", "Zola"]


class Text:
    """Sentences and HTML bodies from a fixed pool, for speed."""

    def __init__(self, rng, lang):
        self.rng = rng
        self.lang = lang
        words = WORDS[lang]
        if lang != "en":
            words = words + WORDS["en"][:40]
        sep = "" if lang == "ja" else " "
        end = "。" if lang == "ja" else "."
        self.sentences = []
        for _ in range(300):
            n = rng.randint(6, 22)
            s = sep.join(rng.choice(words) for _ in range(n))
            self.sentences.append(s[:1].upper() + s[1:] + end)
        self.words = words
        self.sep = sep

    def title(self):
        n = self.rng.randint(3, 10)
        t = self.sep.join(self.rng.choice(self.words) for _ in range(n))
        if self.rng.random() < 0.15:
            t += " & more"
        if self.rng.random() < 0.05:
            t += " <3"
        return t[:1].upper() + t[1:]

    def para(self, lo=1, hi=6):
        return " ".join(self.rng.choices(self.sentences,
                                         k=self.rng.randint(lo, hi)))

    def html(self, host, size, xhtml=False):
        """HTML of about 'size' bytes. With xhtml, well-formed XML that
        uses no named entity but XML's own."""
        rng = self.rng
        nbsp = "&#160;" if xhtml else "&nbsp;"
        br = "<br/>" if xhtml else "<br>"
        out = []
        n = 0
        while n < size:
            r = rng.random()
            if r < 0.55:
                p = self.para()
                if rng.random() < 0.4:
                    words = p.split(" ", 3)
                    if len(words) == 4:
                        p = "%s <a href=\"https://%s/%d?ref=feed&amp;x=%d\">" \
                            "%s %s</a> %s" % (words[0], host,
                                              rng.randint(1, 9999),
                                              rng.randint(1, 99), words[1],
                                              words[2], words[3])
                if rng.random() < 0.3 and " " in p:
                    p = p.replace(" ", " <strong>", 1) + "</strong>"
                if rng.random() < 0.2:
                    p = p + nbsp + "<em>" + self.para(1, 1) + "</em>"
                s = "<p>" + p + "</p>\n"
            elif r < 0.65:
                items = "".join("<li>" + self.para(1, 1) + "</li>"
                                for _ in range(rng.randint(2, 5)))
                s = "<ul>" + items + "</ul>\n"
            elif r < 0.73:
                s = ("<p><img src=\"https://%s/img/%d.jpg\" alt=\"%s\" "
                     "width=\"640\" height=\"480\"/>%s<small>Photo: %s"
                     "</small></p>\n" % (host, rng.randint(1, 99999),
                                         self.para(1, 1)[:40]
                                         .replace("\"", "&quot;"),
                                         br, rng.choice(PEOPLE)))
            elif r < 0.80:
                s = ("<blockquote><p>" + self.para(1, 3)
                     + "</p></blockquote>\n")
            elif r < 0.87:
                s = ("<pre><code>if (n &lt; len &amp;&amp; buf[n] != '&gt;')"
                     "\n    n++;\nreturn n;</code></pre>\n")
            elif r < 0.93:
                s = "<h2>" + esc(self.title()) + "</h2>\n"
            else:
                s = ("<p>Read more on <a href=\"https://%s/\">%s</a>"
                     " &#8212; %s</p>\n" % (host, host, self.para(1, 1)))
            out.append(s)
            n += len(s.encode("utf-8"))
        return "".join(out)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(s):
    return esc(s).replace("\"", "&quot;")


def rfc822(dt):
    return format_datetime(dt)


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Feed:
    def __init__(self, rng, n):
        self.rng = rng
        self.n = n
        self.lang = rng.choices([l for l, _ in LANG_WEIGHTS],
                                [w for _, w in LANG_WEIGHTS])[0]
        self.text = Text(rng, self.lang)
        self.host = "blog%d.example.%s" % (n, rng.choice(TLDS))
        self.title = self.text.title()
        self.authors = rng.sample(PEOPLE, rng.randint(1, 4))
        self.cats = rng.sample(CATEGORIES, rng.randint(3, 10))
        self.podcast = rng.random() < 0.1
        self.cdata = rng.random() < 0.75     # else escaped HTML
        self.xhtml = rng.random() < 0.3      # Atom: xhtml content
        self.has_content = rng.random() < 0.85
        self.body = rng.choice([600, 1200, 2500, 5000])
        self.when = EPOCH - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        self.step = 60 * 24 * 4              # at most, in minutes

    def next_date(self):
        self.when -= timedelta(minutes=self.rng.randint(1, self.step))
        return self.when

    # RSS 2.0 ------------------------------------------------------------
    def rss_head(self):
        rng = self.rng
        return (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<rss version=\"2.0\"\n"
            "  xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
            "  xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
            "  xmlns:atom=\"http://www.w3.org/2005/Atom\"\n"
            "  xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\">\n"
            "<channel>\n"
            "  <title>%s</title>\n"
            "  <atom:link href=\"https://%s/feed/\" rel=\"self\" "
            "type=\"application/rss+xml\"/>\n"
            "  <link>https://%s/</link>\n"
            "  <description>%s</description>\n"
            "  <lastBuildDate>%s</lastBuildDate>\n"
            "  <language>%s</language>\n"
            "  <sy:updatePeriod>hourly</sy:updatePeriod>\n"
            "  <generator>%s</generator>\n"
            "  <ttl>%d</ttl>\n"
            "  <image><url>https://%s/icon.png</url><title>%s</title>"
            "<link>https://%s/</link><width>32</width><height>32</height>"
            "</image>\n"
            % (esc(self.title), self.host, self.host,
               esc(self.text.para(1, 2)), rfc822(self.when), self.lang,
               rng.choice(GENERATORS), rng.choice([30, 60, 120]),
               self.host, esc(self.title), self.host))

    def rss_item(self, i):
        rng = self.rng
        t = self.text
        date = self.next_date()
        slug = "%d/%02d/post-%d" % (date.year, date.month, i)
        out = ["  <item>\n"
               "    <title>%s</title>\n"
               "    <link>https://%s/%s/</link>\n"
               % (esc(t.title()), self.host, slug)]
        if rng.random() < 0.5:
            out.append("    <comments>https://%s/%s/#comments</comments>\n"
                       % (self.host, slug))
        out.append("    <dc:creator><![CDATA[%s]]></dc:creator>\n"
                   "    <pubDate>%s</pubDate>\n"
                   % (rng.choice(self.authors), rfc822(date)))
        for c in rng.sample(self.cats, rng.randint(0, 3)):
            if rng.random() < 0.2:
                out.append("    <category domain=\"https://%s/tag/\">%s"
                           "</category>\n" % (self.host, esc(c)))
            else:
                out.append("    <category><![CDATA[%s]]></category>\n" % c)
        if rng.random() < 0.7:
            out.append("    <guid isPermaLink=\"false\">https://%s/?p=%d"
                       "</guid>\n" % (self.host, 100000 - i))
        else:
            out.append("    <guid>https://%s/%s/</guid>\n"
                       % (self.host, slug))
        summary = "<p>" + t.para(1, 3) + "</p>"
        out.append("    <description>%s</description>\n" % esc(summary))
        if self.has_content:
            body = t.html(self.host, rng.randint(self.body // 2,
                                                 self.body * 3 // 2))
            if self.cdata:
                out.append("    <content:encoded><![CDATA[%s]]>"
                           "</content:encoded>\n" % body)
            else:
                out.append("    <content:encoded>%s</content:encoded>\n"
                           % esc(body))
        if self.podcast or rng.random() < 0.03:
            out.append("    <enclosure url=\"https://cdn.%s/media/ep%d.mp3\""
                       " length=\"%d\" type=\"audio/mpeg\"/>\n"
                       % (self.host, i, rng.randint(10 ** 6, 10 ** 8)))
        out.append("  </item>\n")
        return "".join(out)

    RSS_TAIL = "</channel>\n</rss>\n"

    # Atom 1.0 -----------------------------------------------------------
    def atom_head(self):
        a = self.authors[0]
        return (
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"%s\">\n"
            "  <title type=\"text\">%s</title>\n"
            "  <subtitle type=\"html\">%s</subtitle>\n"
            "  <id>tag:%s,2010:feed</id>\n"
            "  <updated>%s</updated>\n"
            "  <link rel=\"alternate\" type=\"text/html\" "
            "href=\"https://%s/\"/>\n"
            "  <link rel=\"self\" type=\"application/atom+xml\" "
            "href=\"https://%s/atom.xml\"/>\n"
            "  <author><name>%s</name><uri>https://%s/about</uri></author>\n"
            "  <generator uri=\"https://gen.example.org/\" version=\"1.0\">"
            "%s</generator>\n"
            "  <icon>https://%s/favicon.ico</icon>\n"
            "  <rights>© 2026 %s</rights>\n"
            % (self.lang, esc(self.title),
               esc(esc("<em>" + self.text.para(1, 1) + "</em>")),
               self.host, rfc3339(self.when), self.host, self.host,
               esc(a), self.host, esc(self.rng.choice(GENERATORS)),
               self.host, esc(a)))

    def atom_entry(self, i):
        rng = self.rng
        t = self.text
        date = self.next_date()
        updated = date + timedelta(minutes=rng.choice([0, 0, 5, 600]))
        slug = "%d/%02d/entry-%d" % (date.year, date.month, i)
        who = rng.choice(self.authors)
        out = ["  <entry>\n"]
        if rng.random() < 0.2:
            out.append("    <title type=\"html\">%s</title>\n"
                       % esc("<b>" + esc(t.title()) + "</b>"))
        else:
            out.append("    <title>%s</title>\n" % esc(t.title()))
        if rng.random() < 0.5:
            out.append("    <id>tag:%s,%d:/%s</id>\n"
                       % (self.host, date.year, slug))
        else:
            out.append("    <id>urn:uuid:%08x-%04x-4%03x-a%03x-%012x</id>\n"
                       % (rng.getrandbits(32), rng.getrandbits(16),
                          rng.getrandbits(12), rng.getrandbits(12),
                          rng.getrandbits(48)))
        out.append("    <link rel=\"alternate\" type=\"text/html\" "
                   "href=\"https://%s/%s\"/>\n" % (self.host, slug))
        if rng.random() < 0.3:
            out.append("    <link rel=\"replies\" type=\"text/html\" "
                       "href=\"https://%s/%s#comments\" thr:count=\"%d\" "
                       "xmlns:thr=\"http://purl.org/syndication/thread/1.0\""
                       "/>\n" % (self.host, slug, rng.randint(0, 40)))
        if self.podcast:
            out.append("    <link rel=\"enclosure\" type=\"audio/mpeg\" "
                       "length=\"%d\" href=\"https://cdn.%s/ep%d.mp3\"/>\n"
                       % (rng.randint(10 ** 6, 10 ** 8), self.host, i))
        out.append("    <published>%s</published>\n"
                   "    <updated>%s</updated>\n"
                   "    <author><name>%s</name>%s</author>\n"
                   % (rfc3339(date), rfc3339(updated), esc(who),
                      "<email>%s@%s</email>" % (i, self.host)
                      if rng.random() < 0.3 else ""))
        if rng.random() < 0.1:
            out.append("    <contributor><name>%s</name></contributor>\n"
                       % esc(rng.choice(PEOPLE)))
        for c in rng.sample(self.cats, rng.randint(0, 3)):
            out.append("    <category term=\"%s\" scheme=\"https://%s/tags\""
                       " label=\"%s\"/>\n"
                       % (attr(c.lower()), self.host, attr(c)))
        out.append("    <summary type=\"html\">%s</summary>\n"
                   % esc("<p>" + t.para(1, 3) + "</p>"))
        if self.has_content:
            size = rng.randint(self.body // 2, self.body * 3 // 2)
            if self.xhtml:
                out.append("    <content type=\"xhtml\"><div xmlns=\"http://"
                           "www.w3.org/1999/xhtml\">%s</div></content>\n"
                           % t.html(self.host, size, xhtml=True))
            else:
                out.append("    <content type=\"html\" xml:base=\"https://%s"
                           "/\">%s</content>\n"
                           % (self.host, esc(t.html(self.host, size))))
        out.append("  </entry>\n")
        return "".join(out)

    ATOM_TAIL = "</feed>\n"

    def write(self, path, fmt, target):
        """Write items until the file is about 'target' bytes; returns
        (bytes, items)."""
        if fmt == "rss":
            head, item, tail = self.rss_head(), self.rss_item, self.RSS_TAIL
        else:
            head, item, tail = self.atom_head(), self.atom_entry, \
                self.ATOM_TAIL
        parts = [head]
        size = len(head.encode("utf-8")) + len(tail)
        n = 0
        while n == 0 or size < target:
            s = item(n)
            parts.append(s)
            size += len(s.encode("utf-8"))
            n += 1
        parts.append(tail)
        data = "".join(parts).encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
        return len(data), n


def feed_sizes(rng):
    """N_FEEDS sizes from a log-normal, clipped, summing to ~CORPUS_BYTES."""
    raw = [rng.lognormvariate(0, 1.0) for _ in range(N_FEEDS)]
    for _ in range(8):
        scale = CORPUS_BYTES / sum(raw)
        raw = [min(MAX_FEED, max(MIN_FEED, r * scale)) for r in raw]
    return [int(r) for r in raw]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen-corpus.py DIR\n")
        return 2
    out = sys.argv[1]
    manifest = os.path.join(out, "manifest.tsv")
    stamp = "# gen-corpus %d\n" % VERSION
    try:
        with open(manifest, encoding="utf-8") as f:
            if f.readline() == stamp:
                return 0
    except OSError:
        pass
    os.makedirs(os.path.join(out, "feeds"), exist_ok=True)
    try:
        os.unlink(manifest)
    except OSError:
        pass
    rng = random.Random(SEED)
    rows = []
    for i, target in enumerate(feed_sizes(rng)):
        fmt = "rss" if i % 2 == 0 else "atom"
        rel = "feeds/%04d.xml" % i
        feed = Feed(random.Random(SEED * 10007 + i), i)
        size, items = feed.write(os.path.join(out, rel), fmt, target)
        rows.append((rel, fmt, size, items))
    feed = Feed(random.Random(SEED - 1), N_FEEDS)
    feed.body = 2500
    feed.has_content = True
    feed.step = 120
    size, items = feed.write(os.path.join(out, "big.xml"), "rss", BIG_BYTES)
    rows.append(("big.xml", "rss", size, items))
    tmp = manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(stamp)
        for r in rows:
            f.write("%s\t%s\t%d\t%d\n" % r)
    os.rename(tmp, manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
