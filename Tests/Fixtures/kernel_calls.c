/* An application that calls kernel functions directly, as UKL code may:
 * LTO over app + kernel should inline the small ones into it. Also defines
 * names the kernel defines too (strlen), which must not clash. */
unsigned int jiffies_to_msecs(unsigned long j);
unsigned long msecs_to_jiffies_slow(unsigned int m);

unsigned long strlen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

int main(void)
{
	return (int)jiffies_to_msecs(strlen("hello, kernel"));
}
