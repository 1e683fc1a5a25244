/*
 * A Redis client beside the server, as a sidecar: waits for the server on
 * 127.0.0.1:6379, sends each command below and prints the reply as one line
 * ("client: COMMAND: REPLY", CR and LF shown as "|"; the server's log is
 * on the same output), then sets client_done in database 2, which tells
 * the test on the host that it may shut the server down. The output is the
 * same at every level when Redis behaves the same.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *const commands[] = {
	"PING",		"SET greeting hello", "GET greeting",	    "INCR counter",
	"INCR counter", "INCRBY counter 40",  "LPUSH list a b c",   "RPUSH list d",
	"LRANGE list 0 -1", "LLEN list",	  "DEL greeting list", "GET greeting",
	"EXISTS counter", "DBSIZE",
};

static int connect_server(void)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(6379) };
	inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
	for (int attempt = 0; attempt < 2000; attempt++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
			return fd;
		close(fd);
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -1;
}

/* Reads one reply: enough for these commands, whose replies each arrive
 * before the next command is sent and end with CRLF. */
static int reply(int fd, char *buffer, size_t size)
{
	size_t length = 0;
	for (;;) {
		ssize_t got = read(fd, buffer + length, size - 1 - length);
		if (got <= 0)
			return -1;
		length += got;
		buffer[length] = 0;
		if (length >= 2 && buffer[length - 2] == '\r' && buffer[length - 1] == '\n') {
			/* A multi-bulk reply is complete when it has as many bulk
			 * strings as its header says. */
			int count;
			if (buffer[0] != '*' || sscanf(buffer, "*%d", &count) != 1)
				return 0;
			int lines = 0;
			for (size_t i = 0; i < length; i++)
				lines += buffer[i] == '\n';
			if (lines >= 1 + 2 * count)
				return 0;
		}
		if (length == size - 1)
			return -1;
	}
}

int main(void)
{
	int fd = connect_server();
	if (fd < 0) {
		printf("client: cannot connect to 127.0.0.1:6379\n");
		return 1;
	}
	char buffer[4096];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		dprintf(fd, "%s\r\n", commands[i]);
		if (reply(fd, buffer, sizeof(buffer)) < 0) {
			printf("client: %s: no reply\n", commands[i]);
			return 1;
		}
		for (char *c = buffer; *c; c++)
			if (*c == '\r' || *c == '\n')
				*c = '|';
		printf("client: %s: %s\n", commands[i], buffer);
	}
	fflush(stdout);
	dprintf(fd, "SELECT 2\r\nSET client_done yes\r\n");
	read(fd, buffer, sizeof(buffer));
	return 0;
}
