/*
 * Everything in the guest that could come from the host: the guest clock
 * when main starts (icount ticks), the RNG (through the boot_id it draws),
 * the ephemeral port a connect picks, and the wall clock. Two boots of one
 * image must print the same line, or tick figures cannot repeat exactly.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(12347),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in local = { 0 };
	socklen_t length = sizeof(local);
	struct timespec now;
	unsigned int lo, hi;
	char id[40] = "";
	FILE *f;
	int listener, client;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (!f || !fgets(id, 37, f))
		return 1;
	listener = socket(AF_INET, SOCK_STREAM, 0);
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listener, 1) < 0 ||
	    connect(client, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(client, (struct sockaddr *)&local, &length) < 0)
		return 2;
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 3;
	printf("tsc %lu boot_id %s port %u clock %lld\n", (unsigned long)hi << 32 | lo, id,
	       ntohs(local.sin_port), (long long)now.tv_sec);
	return 0;
}
