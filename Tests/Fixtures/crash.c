/* Writes a line, then dereferences a null pointer: at every level, ring 0
 * included, the kernel kills it with SIGSEGV and the image's init reports
 * the signal; the runner must say so instead of hanging. */
#include <stdio.h>

int main(void)
{
	volatile int *null = 0;

	printf("about to crash\n");
	fflush(stdout);
	return *null;
}
