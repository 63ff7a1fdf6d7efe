/* Whitespace-separated word lists, as the kernel writes them in /proc and /sys. */
#ifndef CCX_WORDS_H
#define CCX_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The next word of a list at *p (blanks, tabs and newlines separate; a /proc list ends in a
 * newline). Returns its start and length in *len, and moves *p past it; NULL at the end.
 */
const char *words_next(const char **p, size_t *len);

/* True when `word` is one of the words of `list`, whole: "cubic" is not in "cubic2". */
bool words_contain(const char *list, const char *word);

#endif
