/* Whitespace-separated word lists, as the kernel writes them in /proc and /sys. */
#include "core/words.h"

#include <string.h>

#define WORD_SEPARATORS " \t\n"

const char *words_next(const char **p, size_t *len)
{
	const char *word = *p + strspn(*p, WORD_SEPARATORS);

	*len = strcspn(word, WORD_SEPARATORS);
	*p = word + *len;
	return *len ? word : NULL;
}

bool words_contain(const char *list, const char *word)
{
	size_t want = strlen(word), n;
	const char *w;

	while ((w = words_next(&list, &n)))
		if (n == want && strncmp(w, word, n) == 0)
			return true;
	return false;
}
