#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "check.h"

/* A loopback TCP connection: send, receive, compare; 1 when it all works. */
int tcp_round_trip(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(12346) };
	int listener = socket(AF_INET, SOCK_STREAM, 0), client, server, one = 1;
	char buf[16] = { 0 };

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listener, 1) < 0)
		return 0;
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(client, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 0;
	server = accept(listener, 0, 0);
	if (write(client, "hello", 5) != 5 || recv(server, buf, sizeof(buf), 0) != 5)
		return 0;
	send(server, buf, 5, 0);
	memset(buf, 0, sizeof(buf));
	if (read(client, buf, sizeof(buf)) != 5)
		return 0;
	close(client);
	close(server);
	close(listener);
	return strcmp(buf, "hello") == 0;
}
