/* The IMDb tokenizer and vocabulary.
 *
 * Words: ASCII letters are lowercased; "<br />" (any case) is a space;
 * a word is a maximal run of ASCII letters, digits, apostrophes and bytes
 * of multi-byte UTF-8 characters (so "café" and "naïve" are one word each,
 * as is "don't"); every other byte separates words. A text must be valid
 * UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
 *
 * Vocabulary: id 0 is "<pad>", id 1 "<unk>", then the words of the
 * training texts by falling frequency, ties in byte order (memcmp, a
 * prefix first), up to a size that counts the two specials. The specials
 * cannot clash with a word ('<' separates words).
 *
 * Encoding: a review becomes its first (or, NNS_KEEP_LAST, its last;
 * NNS_KEEP_ENDS, its first max_len/2 and its last max_len - max_len/2)
 * max_len word ids in text order (words outside the vocabulary are <unk>),
 * the rest of the row <pad>, and a valid length (1..max_len); a review
 * without words is one <unk>. */
#ifndef NNS_TOKENIZER_H
#define NNS_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#define NNS_PAD 0
#define NNS_UNK 1
#define NNS_VOCAB_DEFAULT 20000 /* the two specials included */
#define NNS_MAX_LEN_DEFAULT 256

/* The offset of the first byte of s[0, len) that is not valid UTF-8, or
 * len if all of it is valid. */
size_t nns_utf8_invalid_at(const char *s, size_t len);

/* The words of text[0, len), lowercased, joined by single spaces and
 * NUL-terminated into out (room for len + 1 bytes suffices); returns the
 * number of words, or SIZE_MAX (out = "") if text is not valid UTF-8. For
 * tests and inspection; the vocabulary functions do not copy words. */
size_t nns_words(const char *text, size_t len, char *out);

typedef struct nns_vocab nns_vocab;

/* Builds the vocabulary from the texts i < count with use[i] nonzero (all
 * if use is NULL): pass the training split's is_train. max_size (>= 2, the
 * specials included) bounds its size; fewer distinct words give a smaller
 * vocabulary. NULL on failure with a one-line message in err (invalid
 * UTF-8 names the review's index and the byte). */
nns_vocab *nns_vocab_build(const char *const *text, const size_t *len, const uint8_t *use,
                           size_t count, size_t max_size, char *err, size_t err_len);
void nns_vocab_free(nns_vocab *v);

/* Number of ids, the specials included. */
size_t nns_vocab_size(const nns_vocab *v);
/* The word of id (NUL-terminated), NULL if id is out of range. */
const char *nns_vocab_word(const nns_vocab *v, int32_t id);
/* How often id's word occurs in the texts the vocabulary was built from
 * (0 for the specials and for a vocabulary rebuilt from its string). */
uint64_t nns_vocab_count(const nns_vocab *v, int32_t id);
/* The id of a word as the tokenizer gives it (lowercase), NNS_UNK if it
 * is not in the vocabulary. */
int32_t nns_vocab_id(const nns_vocab *v, const char *word, size_t len);

/* Which words of a review longer than max_len are kept. */
typedef enum nns_keep { NNS_KEEP_FIRST = 0, NNS_KEEP_LAST = 1, NNS_KEEP_ENDS = 2 } nns_keep;
/* "first", "last" or "ends"; nns_keep_parse returns 0 and sets *keep for
 * one of those names, -1 for anything else. */
const char *nns_keep_name(nns_keep keep);
int nns_keep_parse(const char *name, nns_keep *keep);

/* Encodes one text into ids[0, max_len): returns its valid length
 * (1..max_len), or -1 if the text is not valid UTF-8 or max_len is 0 or
 * above INT32_MAX. */
int32_t nns_vocab_encode(const nns_vocab *v, const char *text, size_t len, int32_t *ids,
                         size_t max_len, nns_keep keep);
/* Encodes texts[0, count) into ids (count, max_len) and their valid
 * lengths into valid (count). 0, or -1 with a message naming the first
 * bad review in err. */
int nns_vocab_encode_all(const nns_vocab *v, const char *const *text, const size_t *len,
                         size_t count, size_t max_len, nns_keep keep,
                         int32_t *ids /* (count,max_len) */,
                         int32_t *valid /* (count) */, char *err, size_t err_len);

/* The vocabulary as text for a checkpoint's metadata: the words in id
 * order, "<pad>" and "<unk>" first, joined by '\n' (no newline at the
 * end). malloc'd; NULL if out of memory. */
char *nns_vocab_to_string(const nns_vocab *v);
/* The inverse: NULL with a message in err if s is not such a list (the
 * specials not first, an empty line, a duplicate, a byte the tokenizer
 * never puts in a word, uppercase ASCII, invalid UTF-8). One final
 * newline is accepted. */
nns_vocab *nns_vocab_from_string(const char *s, char *err, size_t err_len);

#endif
