/* libFuzzer target for JSON Feed 1.0/1.1 through the feed parser
 * (curator/parse.h), sent as Content-Type application/feed+json.
 *
 * It shares fuzz_feed.c's option byte and checks (that file is included
 * here without its entry point) and adds jansson as an oracle: a
 * document that jansson loads as a JSON Feed object must parse, with
 * one item per object in "items" up to max_items, each keeping its "id"
 * and its "content_html" or "content_text" (cut on a UTF-8 boundary at
 * most); a document jansson refuses must be refused with CUR_EPARSE; a
 * JSON document that is not a JSON Feed with CUR_EUNSUPPORTED. The
 * parsed feed is then sanitised and checked as fuzz_feed.c does.
 */
#define FUZZ_FEED_NO_ENTRY
#define FUZZ_NAME "fuzz_json_feed"
#include "fuzz_feed.c"

/* 'got' is 'want' cut to at most 'max' bytes on a UTF-8 boundary. */
static int
is_cut_of(const char *got, const char *want, size_t max)
{
    size_t n = strlen(got);
    if (n > max || strncmp(got, want, n) != 0)
        return 0;
    if (want[n] == '\0')
        return 1;
    /* Cut where the next byte starts a character, as late as it can. */
    return ((unsigned char)want[n] & 0xC0) != 0x80 && max - n < 4;
}

/* The items of 'root' against those parse_feed() gave. */
static void
check_items(const json_t *root, const struct feed *f,
            const struct parse_opts *o)
{
    const json_t *items = json_object_get(root, "items");
    size_t objects = 0;

    for (size_t i = 0; json_is_array(items) && i < json_array_size(items);
         i++) {
        const json_t *j = json_array_get(items, i);
        if (!json_is_object(j))
            continue;
        if (objects < f->n_items) {
            const struct item *it = &f->items[objects];
            const json_t *id = json_object_get(j, "id");
            const char *s = json_string_value(id);
            if (s && s[0] && (it->id == NULL
                              || !is_cut_of(it->id, s, o->max_title)))
                die("item id is not the document's", s);
            const char *html = json_string_value(
                json_object_get(j, "content_html"));
            const char *text = json_string_value(
                json_object_get(j, "content_text"));
            const char *want = html && html[0] ? html
                               : text && text[0] ? text : NULL;
            if (want && (it->content_html == NULL
                         || !is_cut_of(it->content_html, want,
                                       o->max_content)
                         || it->content_is_text != (want == text)))
                die("item content is not the document's", want);
            if (want == NULL && it->content_html != NULL)
                die("item content from nowhere", it->content_html);
        }
        objects++;
    }
    size_t expect = objects < o->max_items ? objects : o->max_items;
    if (f->n_items != expect)
        die("number of items differs from the document's", NULL);
}

/* The return code of a whole parse, for the oracle's error cases. */
static int
parse_rc(const char *doc, size_t len, const struct parse_opts *o)
{
    struct feed *f = NULL;
    int rc = parse_feed(doc, len, o, &f, NULL, 0);
    feed_free(f);
    return rc;
}

/* What jansson says of the document, against what parse_feed() did. */
static void
check_oracle(const char *doc, size_t len, const struct parse_opts *o,
             const struct feed *f)
{
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", doc[i]) && doc[i] != '\0')
        i++;
    /* parse.c reads a document as JSON when its first character is '{'
     * or '['; anything else is left to the XML side. */
    if (i == len || (doc[i] != '{' && doc[i] != '['))
        return;

    json_error_t je;
    json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &je);
    const char *version = json_string_value(json_object_get(root,
                                                            "version"));
    if (root == NULL) {
        if (f != NULL || parse_rc(doc, len, o) != CUR_EPARSE)
            die("a document jansson refuses was not refused as CUR_EPARSE",
                je.text);
    } else if (!json_is_object(root) || version == NULL
               || strncmp(version, "https://jsonfeed.org/version/1", 30)
                  != 0) {
        if (f != NULL || parse_rc(doc, len, o) != CUR_EUNSUPPORTED)
            die("a JSON document that is no JSON Feed was not refused as "
                "CUR_EUNSUPPORTED", NULL);
    } else {
        if (f == NULL)
            die("a JSON Feed jansson loads did not parse", NULL);
        if (f->format != FEED_JSON)
            die("a JSON Feed parsed as another format", NULL);
        if (o->on_item == NULL)
            check_items(root, f, o);
    }
    json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned sel = 14, dropped = 0;     /* application/feed+json */
    struct parse_opts o;

    cur_data = data;
    cur_size = size;
    if (size > 0 && (data[0] & 0xC0) == 0x80) {
        /* The option byte, with the JSON content type kept. */
        sel = (data[0] & 0x30) | 14;
        data++;
        size--;
    }
    pick_options(sel, &o, &dropped);
    const char *doc = (const char *)data;

    char *json;
    size_t json_len;
    struct feed *f = parse_checked(doc, size, &o, &json, &json_len);
    if (f)
        check_reparse(f, json, json_len, &o);
    check_oracle(doc, size, &o, f);
    if (sel & 32) {
        size_t step = 1 + (size ? data[size - 1] % 64 : 0);
        o.on_item_ctx = &(unsigned){ 0 };
        check_chunked(doc, size, &o, step, f);
    }
    if (f)
        check_sanitized(f, &o, sel);
    free(json);
    feed_free(f);
    return 0;
}
