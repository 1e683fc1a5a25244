#include <stdlib.h>
#include "check.h"

static int by_value(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* qsort, then 1 when the values are in order. */
int sort_and_check(int *values, int count)
{
	qsort(values, count, sizeof(*values), by_value);
	for (int i = 1; i < count; i++)
		if (values[i - 1] > values[i])
			return 0;
	return 1;
}
