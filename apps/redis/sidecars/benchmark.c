/*
 * The Redis benchmark `ukl-opt compare --app redis` runs beside the server,
 * as a sidecar: redis-benchmark (from the same source, a ring-3 program at
 * /bin/redis-benchmark) runs SET and then GET, each with CLIENTS connections
 * and REQUESTS requests of VALUE-byte values, over the guest's loopback.
 *
 * For each it prints, as "name value" lines (what compare reads):
 *   TEST.rps           requests per guest second (redis-benchmark's figure)
 *   TEST.p50_us        median latency, guest microseconds
 *   TEST.p99_us        99th percentile latency, guest microseconds
 *   TEST.server_ticks  the server's CPU time per request, in guest
 *                      nanoseconds: used_cpu_sys + used_cpu_user from its
 *                      INFO (getrusage of all its threads, to the
 *                      microsecond) before and after, over REQUESTS
 * Under QEMU -icount shift=0 a guest nanosecond is one instruction, so
 * every figure is exact and repeats from run to run. The client runs at
 * ring 3 at every level and costs the same everywhere; the server's ticks
 * show what the levels change. Then the server is stopped with SIGTERM.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Small enough to run in about a minute per level under TCG, large enough
 * that connection setup is a few percent of the server's time. */
#define CLIENTS "4"
#define REQUESTS 10000
#define VALUE "3"

extern char **environ;

static int connect_server(void)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(6379) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Sends command; the reply, up to size - 1 bytes, once it holds until. */
static int ask(const char *command, const char *until, char *reply, size_t size)
{
	int fd = connect_server();
	size_t length = 0;
	ssize_t got;

	if (fd < 0)
		return -1;
	if (write(fd, command, strlen(command)) != (ssize_t)strlen(command)) {
		close(fd);
		return -1;
	}
	reply[0] = 0;
	while (!strstr(reply, until) && length < size - 1 &&
	       (got = read(fd, reply + length, size - 1 - length)) > 0) {
		length += got;
		reply[length] = 0;
	}
	close(fd);
	return strstr(reply, until) ? 0 : -1;
}

static int wait_for_server(void)
{
	char reply[64];

	for (int attempt = 0; attempt < 3000; attempt++) {
		if (ask("PING\r\n", "+PONG", reply, sizeof(reply)) == 0)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -1;
}

/* The server's CPU time so far, in nanoseconds (microsecond resolution). */
static long long server_cpu_ns(void)
{
	char reply[1024];
	double sys, user;
	char *at;

	if (ask("INFO cpu\r\n", "used_cpu_user_children:", reply, sizeof(reply)) != 0 ||
	    !(at = strstr(reply, "used_cpu_sys:")) || sscanf(at, "used_cpu_sys:%lf", &sys) != 1 ||
	    !(at = strstr(reply, "used_cpu_user:")) || sscanf(at, "used_cpu_user:%lf", &user) != 1)
		return -1;
	return (long long)(sys * 1e6 + 0.5) * 1000 + (long long)(user * 1e6 + 0.5) * 1000;
}

/* Runs redis-benchmark for one test; returns its CSV data line in line. */
static int run_benchmark(const char *test, char *line, size_t size)
{
	char requests[16];
	int pipe_fds[2];
	posix_spawn_file_actions_t actions;
	pid_t pid;
	int status;

	snprintf(requests, sizeof(requests), "%d", REQUESTS);
	char *argv[] = { "redis-benchmark", "-h", "127.0.0.1", "-p", "6379", "-c", CLIENTS,
			 "-n", requests, "-d", VALUE, "-t", (char *)test, "--csv", NULL };
	if (pipe(pipe_fds) != 0)
		return -1;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
	if (posix_spawn(&pid, "/bin/redis-benchmark", &actions, NULL, argv, environ) != 0)
		return -1;
	close(pipe_fds[1]);
	FILE *out = fdopen(pipe_fds[0], "r");
	int found = -1;
	while (fgets(line, size, out))
		if (line[0] == '"' && strncmp(line, "\"test\"", 6) != 0)
			found = 0; /* the data line; the header starts with "test" */
		else if (found == 0)
			break;
	fclose(out);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? found : -1;
}

static int fail(pid_t server, const char *why)
{
	fprintf(stderr, "benchmark: %s\n", why);
	if (server > 0)
		kill(server, SIGTERM);
	return 1;
}

int main(void)
{
	const char *pid_text = getenv("UKL_APP_PID");
	pid_t server = pid_text ? atoi(pid_text) : 0;
	const char *tests[] = { "set", "get" };

	if (server <= 0)
		return fail(0, "no server process (UKL_APP_PID)");
	if (wait_for_server() != 0)
		return fail(server, "the server never answered PING on 127.0.0.1:6379");
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		char line[512];
		double rps, average, minimum, p50, p95, p99, maximum;
		long long before = server_cpu_ns();

		if (before < 0 || run_benchmark(tests[i], line, sizeof(line)) != 0 ||
		    sscanf(line, "\"%*[^\"]\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"", &rps,
			   &average, &minimum, &p50, &p95, &p99, &maximum) != 7)
			return fail(server, "redis-benchmark failed");
		long long after = server_cpu_ns();
		if (after < 0)
			return fail(server, "INFO cpu failed");
		printf("%s.rps %.0f\n", tests[i], rps);
		printf("%s.p50_us %.0f\n", tests[i], p50 * 1000);
		printf("%s.p99_us %.0f\n", tests[i], p99 * 1000);
		printf("%s.server_ticks %lld\n", tests[i], (after - before) / REQUESTS);
		fflush(stdout);
	}
	kill(server, SIGTERM);
	return 0;
}
