/* A TCP echo server on port 5555: answers each connection with what it
 * receives until the client closes. `ukl-opt run --app echo --forward 5555`
 * makes it reachable at 127.0.0.1:5555 on the host. A connection whose first
 * bytes are "shutdown\n" stops the server (exit status 0), so that a client
 * can end the run. */
#include "../runtime/syscall.h"

static int is_shutdown(const char *buf, long n)
{
	static const char word[] = "shutdown\n";
	long i;

	if (n < (long)sizeof(word) - 1)
		return 0;
	for (i = 0; i < (long)sizeof(word) - 1; i++)
		if (buf[i] != word[i])
			return 0;
	return 1;
}

int main(void)
{
	struct ukl_sockaddr_in any = { 2, 0xb315 /* htons(5555) */, 0 };
	long listener = ukl_syscall3(SYS_socket, 2, 1, 0);
	int one = 1;
	char buf[4096];

	ukl_syscall6(SYS_setsockopt, listener, 1, 2, (long)&one, sizeof(one), 0);
	if (ukl_syscall3(SYS_bind, listener, (long)&any, sizeof(any)) < 0 ||
	    ukl_syscall3(SYS_listen, listener, 16, 0) < 0) {
		ukl_puts(2, "echo: cannot listen on port 5555\n");
		return 1;
	}
	ukl_puts(1, "echo: listening on port 5555\n");
	for (;;) {
		long conn = ukl_syscall3(SYS_accept, listener, 0, 0);
		long n;

		if (conn < 0)
			continue;
		while ((n = ukl_syscall6(SYS_recvfrom, conn, (long)buf, sizeof(buf), 0, 0, 0)) > 0) {
			if (is_shutdown(buf, n)) {
				ukl_syscall3(SYS_close, conn, 0, 0);
				ukl_puts(1, "echo: shutdown\n");
				return 0;
			}
			ukl_syscall6(SYS_sendto, conn, (long)buf, n, 0, 0, 0);
		}
		ukl_syscall3(SYS_close, conn, 0, 0);
	}
}
