/* Runs as init: writes a literal from its data and argv[0] from its stack,
 * then returns 41 + argc. At a UKL tier every syscall below goes through the
 * kernel's UKL entry; the output must match the plain Linux program's. */
static long sys3(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static long length(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	return n;
}

int main(int argc, char **argv)
{
	static const char hello[] = "hello from the application\n";
	char line[64];
	long n = length(argv[0]);
	long i;

	sys3(1, 1, (long)hello, sizeof(hello) - 1);
	for (i = 0; i < n && i < 60; i++)
		line[i] = argv[0][i];
	line[i++] = '\n';
	sys3(1, 1, (long)line, i);
	return 41 + argc;
}
