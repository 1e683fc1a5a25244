/*
 * An ordinary C program: stdio, malloc (brk and mmap), qsort, errno,
 * strerror, a pipe, a file, loopback TCP, a signal handled, setjmp/longjmp,
 * libm, environ, thread-local variables, and a syscall() whose number is
 * not a constant. It prints
 * one line, the same at every level, and a last word from an atexit handler
 * without a newline: only exit's stdio flush can get it out.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

static volatile sig_atomic_t signalled;
static __thread int counter = 5;
static __thread char scratch[16];

/* Not inlined, so the thread-locals are reached through their addresses. */
__attribute__((noinline)) static const char *count_up(void)
{
	counter += 1;
	snprintf(scratch, sizeof(scratch), "tls:%d", counter);
	return scratch;
}
static jmp_buf back;

static void on_signal(int sig)
{
	signalled = sig;
}

static void last_word(void)
{
	printf("atexit:ok");
}

static void jump(int value)
{
	longjmp(back, value);
}

int main(void)
{
	char line[256] = "", word[64], buf[32];
	unsigned seed = 12345;
	int count = 5000, fds[2];
	int *values = malloc(count * sizeof(*values));
	char *big = malloc(1 << 20);
	struct sigaction action = { .sa_handler = on_signal };
	volatile double x = 2.7;
	volatile long number = SYS_getpid;
	FILE *file;
	long sum = 0;

	for (int i = 0; i < count; i++) {
		seed = seed * 1103515245 + 12345;
		values[i] = (int)(seed >> 8) % 100000;
	}
	append(line, sizeof(line), values && sort_and_check(values, count) ? "sort:ok" : "sort:FAIL");
	free(values);

	memset(big, 7, 1 << 20);
	for (int i = 0; i < 1 << 20; i += 4096)
		sum += big[i];
	free(big);
	append(line, sizeof(line), sum == 7 * 256 ? "malloc:ok" : "malloc:FAIL");

	errno = 0;
	if (open("/no/such/file", O_RDONLY) < 0 && errno == ENOENT)
		snprintf(word, sizeof(word), "errno:%s", strerror(errno));
	else
		snprintf(word, sizeof(word), "errno:FAIL");
	append(line, sizeof(line), word);

	if (pipe(fds) == 0 && write(fds[1], "ping", 4) == 4 && read(fds[0], buf, sizeof(buf)) == 4)
		append(line, sizeof(line), memcmp(buf, "ping", 4) == 0 ? "pipe:ok" : "pipe:FAIL");
	else
		append(line, sizeof(line), "pipe:FAIL");

	file = fopen("/check.txt", "w+");
	if (file && fprintf(file, "%d %s\n", 42, "answer") > 0 && fseek(file, 0, SEEK_SET) == 0 &&
	    fscanf(file, "%d %31s", &count, buf) == 2 && count == 42 && strcmp(buf, "answer") == 0)
		append(line, sizeof(line), "file:ok");
	else
		append(line, sizeof(line), "file:FAIL");
	if (file)
		fclose(file);

	append(line, sizeof(line), tcp_round_trip() ? "tcp:ok" : "tcp:FAIL");

	sigaction(SIGUSR1, &action, 0);
	raise(SIGUSR1);
	append(line, sizeof(line), signalled == SIGUSR1 ? "signal:ok" : "signal:FAIL");

	if (setjmp(back) == 0)
		jump(3);
	else
		append(line, sizeof(line), "jmp:ok");

	snprintf(word, sizeof(word), "math:%.4f/%.1f", sqrt(2.0), floor(x));
	append(line, sizeof(line), word);

	append(line, sizeof(line), syscall(number) == getpid() ? "syscall:ok" : "syscall:FAIL");

	append(line, sizeof(line), count_up());

	extern char **environ;
	snprintf(word, sizeof(word), "env:%s", environ && getenv("HOME") ? getenv("HOME") : "FAIL");
	append(line, sizeof(line), word);
	atexit(last_word);

	printf("%s\n", line);
	return 0;
}
