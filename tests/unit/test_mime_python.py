#!/usr/bin/python3
"""Read one message file with Python's email package (the modern,
policy.default parser) and print what it makes of it as one JSON object,
for tests/unit/test_mime.c: the decoded Subject, the From and To
addresses, the top-level and part content types, the decoded text and
HTML bodies, a few raw header values, and every defect the parser
recorded on the message, its parts and their header fields (none is
expected). Exit status 0 unless the file cannot be read."""
import email
import email.policy
import json
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


def main():
    with open(sys.argv[1], 'rb') as f:
        msg = email.message_from_bytes(f.read(),
                                       policy=email.policy.default)
    out = {
        'subject': str(msg['subject']),
        'from': addresses(msg['from']),
        'to': addresses(msg['to']),
        'message_id': str(msg['message-id']),
        'date': msg['date'].datetime.isoformat() if msg['date'] else None,
        'list_id': str(msg['list-id']) if msg['list-id'] else None,
        'list_unsubscribe': (str(msg['list-unsubscribe'])
                             if msg['list-unsubscribe'] else None),
        'list_unsubscribe_post': (str(msg['list-unsubscribe-post'])
                                  if msg['list-unsubscribe-post'] else None),
        'content_type': msg.get_content_type(),
        'types': [p.get_content_type() for p in msg.walk()],
        'defects': [],
        'text': None,
        'html': None,
    }
    for part in msg.walk():
        out['defects'] += defects_of(part)
    plain = msg.get_body(preferencelist=('plain',))
    html = msg.get_body(preferencelist=('html',))
    if plain is not None:
        out['text'] = plain.get_content()
    if html is not None:
        out['html'] = html.get_content()
    json.dump(out, sys.stdout, ensure_ascii=True)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
