#include <string.h>
#include "check.h"

void append(char *line, unsigned long size, const char *word)
{
	if (*line)
		strncat(line, " ", size - strlen(line) - 1);
	strncat(line, word, size - strlen(line) - 1);
}
