/* keyword: scores an item by the user's interests found in it.
 *
 * A term in the title counts its weight times title_weight (option,
 * default 2), a term in the text counts its weight once; negative weights
 * push an item down. A muted term drives the score to -mute_penalty.
 * Matching is case-insensitive for ASCII and on whole words.
 */
#include "filter.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct keyword {
    double title_weight;
    double mute_penalty;
};

static int
parse_number(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int
keyword_init(const struct curator_filter_option *opts, size_t n, void **ctx,
             char *err, size_t errlen)
{
    struct keyword *k = malloc(sizeof *k);
    if (k == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    k->title_weight = 2.0;
    k->mute_penalty = 100.0;
    for (size_t i = 0; i < n; i++) {
        double *slot = NULL;
        if (strcmp(opts[i].key, "title_weight") == 0)
            slot = &k->title_weight;
        else if (strcmp(opts[i].key, "mute_penalty") == 0)
            slot = &k->mute_penalty;
        if (slot == NULL) {
            snprintf(err, errlen, "unknown option '%s'", opts[i].key);
            free(k);
            return -1;
        }
        if (parse_number(opts[i].value, slot) != 0 || *slot < 0) {
            snprintf(err, errlen, "%s: '%s' is not a number >= 0",
                     opts[i].key, opts[i].value);
            free(k);
            return -1;
        }
    }
    *ctx = k;
    return 0;
}

static int
word_char(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* Whole-word, ASCII case-insensitive search. */
static int
has_word(const char *hay, const char *word)
{
    size_t n = strlen(word);
    if (hay == NULL || n == 0)
        return 0;
    for (const char *p = hay; *p; p++) {
        if (p > hay && word_char((unsigned char)p[-1]))
            continue;
        size_t i = 0;
        while (i < n && p[i]
               && tolower((unsigned char)p[i])
                  == tolower((unsigned char)word[i]))
            i++;
        if (i == n && !word_char((unsigned char)p[n]))
            return 1;
    }
    return 0;
}

static int
keyword_score(void *ctx, const struct curator_item *it,
              const struct curator_profile *who, double *score,
              struct curator_explain *why)
{
    const struct keyword *k = ctx;
    double total = 0;

    for (size_t i = 0; i < who->n_mutes; i++) {
        if (has_word(it->title, who->mutes[i])
            || has_word(it->text, who->mutes[i])) {
            curator_explain_add(why, -k->mute_penalty, "mentions \"%s\", "
                                "which you muted", who->mutes[i]);
            *score = -k->mute_penalty;
            return 0;
        }
    }
    for (size_t i = 0; i < who->n_interests; i++) {
        const struct curator_interest *in = &who->interests[i];
        const char *what = in->goal ? "your goal" : "your interest";
        if (has_word(it->title, in->term)) {
            double c = in->weight * k->title_weight;
            total += c;
            curator_explain_add(why, c, "title matches %s \"%s\"", what,
                                in->term);
        } else if (has_word(it->text, in->term)) {
            total += in->weight;
            curator_explain_add(why, in->weight, "text matches %s \"%s\"",
                                what, in->term);
        }
    }
    *score = total;
    return 0;
}

static void
keyword_free(void *ctx)
{
    free(ctx);
}

static const struct curator_filter keyword_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "keyword",
    .init = keyword_init,
    .score = keyword_score,
    .free = keyword_free,
    .learn = NULL,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &keyword_filter;
}
