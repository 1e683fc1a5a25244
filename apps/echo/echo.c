/* A TCP echo server on port 5555: answers each connection with what it
 * receives until the client closes. `ukl-opt run --app echo --forward 5555`
 * makes it reachable at 127.0.0.1:5555 on the host. A connection whose first
 * bytes are "shutdown\n" stops the server (exit status 0), so that a client
 * can end the run. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(5555),
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	char buf[4096];

	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(listener, 16) < 0) {
		perror("echo: cannot listen on port 5555");
		return 1;
	}
	printf("echo: listening on port 5555\n");
	fflush(stdout);
	for (;;) {
		int conn = accept(listener, 0, 0);
		ssize_t n;

		if (conn < 0)
			continue;
		while ((n = recv(conn, buf, sizeof(buf), 0)) > 0) {
			if (n >= 9 && memcmp(buf, "shutdown\n", 9) == 0) {
				close(conn);
				printf("echo: shutdown\n");
				return 0;
			}
			send(conn, buf, n, 0);
		}
		close(conn);
	}
}
