#!/usr/bin/python3
"""Read digest messages with Python's email package (policy.default, the
modern strict parser) and print what it makes of them as one JSON array,
one object per file given, for tests/integration/test_mail_delivery.c:
the header names in order, the decoded Subject, From and To, the
Message-ID, the Date as Unix time, List-Id, the List-Unsubscribe URIs
(the <...> entries in order) and List-Unsubscribe-Post, the content
types of the message and its parts, every defect the parser recorded,
the decoded text part with CRLF made LF, the HTML part as sent and with
its character references decoded, and two wire checks on the raw bytes:
whether every line ends in CRLF and the longest line without it.

Exit status 0 unless a file cannot be read; what to expect is the C
test's business."""
import email
import email.policy
import email.utils
import html
import json
import re
import sys


def defects_of(part):
    found = [type(d).__name__ for d in part.defects]
    for name, value in part.items():
        for d in getattr(value, 'defects', ()):
            found.append('%s: %s' % (name, type(d).__name__))
    return found


def addresses(header):
    if header is None:
        return []
    return [{'name': a.display_name, 'addr': a.addr_spec}
            for a in header.addresses]


def text_or_none(msg, name):
    value = msg[name]
    return None if value is None else str(value)


def flat(s):
    return ' '.join(s.split())


def wire(raw):
    lines = raw.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    crlf = all(line.endswith(b'\r') for line in lines)
    crlf = crlf and b'\r' not in raw.replace(b'\r\n', b'')
    longest = max((len(line.rstrip(b'\r')) for line in lines), default=0)
    return crlf, longest


def describe(path):
    with open(path, 'rb') as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    crlf, longest = wire(raw)
    date = msg['date']
    unsub = text_or_none(msg, 'list-unsubscribe')
    out = {
        'file': path,
        'header_names': list(msg.keys()),
        'subject': text_or_none(msg, 'subject'),
        'from': addresses(msg['from']),
        'to': addresses(msg['to']),
        'message_id': text_or_none(msg, 'message-id'),
        'date': (int(date.datetime.timestamp())
                 if date is not None and date.datetime is not None
                 else None),
        'list_id': text_or_none(msg, 'list-id'),
        'list_unsubscribe': (re.findall(r'<([^>]*)>', unsub)
                             if unsub is not None else None),
        'list_unsubscribe_post': text_or_none(msg, 'list-unsubscribe-post'),
        'content_type': msg.get_content_type(),
        'types': [p.get_content_type() for p in msg.walk()],
        'defects': [],
        'text': None,
        'html': None,
        'text_flat': None,
        'html_text': None,
        'html_links': [],
        'crlf_only': crlf,
        'longest_line': longest,
    }
    for part in msg.walk():
        out['defects'] += defects_of(part)
    plain = msg.get_body(preferencelist=('plain',))
    rich = msg.get_body(preferencelist=('html',))
    if plain is not None:
        out['text'] = plain.get_content().replace('\r\n', '\n')
        out['text_flat'] = flat(out['text'])
    if rich is not None:
        out['html'] = rich.get_content().replace('\r\n', '\n')
        out['html_text'] = flat(html.unescape(re.sub(r'<[^>]*>', ' ',
                                                      out['html'])))
        out['html_links'] = [html.unescape(h) for h in
                             re.findall(r'href="([^"]*)"', out['html'])]
    return out


def main():
    json.dump([describe(p) for p in sys.argv[1:]], sys.stdout,
              ensure_ascii=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
