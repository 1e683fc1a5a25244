/* Pipes and a loopback TCP connection: the same line must come out at every level. */
#include "../../apps/runtime/syscall.h"

int main(void)
{
	int fds[2];
	char buf[64];
	long n, total = 0;
	struct ukl_sockaddr_in a = { 2, 0x3930 /* htons(12345) */, 0x0100007f /* 127.0.0.1 */ };
	long server, client, conn;
	int one = 1;

	if (ukl_syscall3(SYS_pipe, (long)fds, 0, 0) < 0)
		return 1;
	ukl_write(fds[1], "pipe:ok ", 8);
	n = ukl_syscall3(SYS_read, fds[0], (long)buf, sizeof(buf));
	if (n > 0)
		total += ukl_write(1, buf, n);

	server = ukl_syscall3(SYS_socket, 2, 1, 0);
	ukl_syscall6(SYS_setsockopt, server, 1, 2, (long)&one, sizeof(one), 0);
	if (ukl_syscall3(SYS_bind, server, (long)&a, sizeof(a)) < 0 ||
	    ukl_syscall3(SYS_listen, server, 1, 0) < 0)
		return 2;
	client = ukl_syscall3(SYS_socket, 2, 1, 0);
	if (ukl_syscall3(SYS_connect, client, (long)&a, sizeof(a)) < 0)
		return 3;
	conn = ukl_syscall3(SYS_accept, server, 0, 0);
	if (conn < 0)
		return 4;
	ukl_syscall6(SYS_sendto, client, (long)"tcp:ok\n", 7, 0, 0, 0);
	n = ukl_syscall6(SYS_recvfrom, conn, (long)buf, sizeof(buf), 0, 0, 0);
	if (n > 0)
		total += ukl_write(1, buf, n);
	return total == 15 ? 0 : 5;
}
