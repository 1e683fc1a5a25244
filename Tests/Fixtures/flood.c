/* Prints without end: the runner must stop the guest once its output passes
 * the limit and report it with the console tail, not fill the disk. */
#include <stdio.h>

int main(void)
{
	for (unsigned long line = 0;; line++)
		printf("flood %lu: a runaway application prints this line again and again\n", line);
}
