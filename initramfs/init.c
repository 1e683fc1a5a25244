/*
 * The /init of every image ukl-opt builds, at every level.
 *
 * It sets up what any init would (/proc, /dev, /tmp, the loopback
 * interface, eth0 at QEMU user networking's guest address 10.0.2.15/24,
 * stdout and stderr on the second serial port ttyS1, so that what programs
 * write is kept apart from the kernel's console on ttyS0), then starts:
 *
 * - /app with init's own arguments (what the kernel command line has after
 *   "--"), or, when there are none, with the lines of /etc/app-arguments
 *   (a bundled workload's defaults, such as Redis's config file): at the UKL levels the "\177UKL" file whose execution starts the
 *   application linked into the kernel, which a UKL kernel allows only for
 *   the path named by "ukl.app=" on its command line, once; at the linux
 *   level the application as an ordinary static program;
 * - every program in /sidecars (ukl-opt build --sidecar), in name order,
 *   beside the application, with UKL_APP_PID in their environment.
 *
 * When the application ends, init says how on the console, in the words a
 * UKL kernel uses when the application is init itself ("ukl: application
 * exited with status N" or "killed by signal N"), and restarts the
 * machine; QEMU runs with -no-reboot, so it exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static void interface_up(int fd, const char *name)
{
	struct ifreq req;

	memset(&req, 0, sizeof(req));
	strncpy(req.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &req) == 0) {
		req.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(fd, SIOCSIFFLAGS, &req);
	}
}

static void set_address(int fd, const char *name, in_addr_t addr, in_addr_t mask)
{
	struct ifreq req;
	struct sockaddr_in *in = (struct sockaddr_in *)&req.ifr_addr;

	memset(&req, 0, sizeof(req));
	strncpy(req.ifr_name, name, IFNAMSIZ - 1);
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = addr;
	ioctl(fd, SIOCSIFADDR, &req);
	in->sin_addr.s_addr = mask;
	ioctl(fd, SIOCSIFNETMASK, &req);
}

static void network_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	interface_up(fd, "lo");
	set_address(fd, "eth0", htonl(0x0a00020f), htonl(0xffffff00));
	interface_up(fd, "eth0");
	close(fd);
}

/* stdout and stderr to ttyS1, without \n -> \r\n translation. */
static void output_to_ttyS1(void)
{
	struct termios t;
	int fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	if (tcgetattr(fd, &t) == 0) {
		t.c_oflag &= ~OPOST;
		tcsetattr(fd, TCSANOW, &t);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* One line on the kernel's console, where ukl-opt looks for the verdict. */
static void console(const char *line)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY);

	if (fd >= 0) {
		write(fd, line, strlen(line));
		close(fd);
	}
}

/* The application's arguments: init's own, or the image's defaults, one per
 * line of /etc/app-arguments, when the command line gives none. */
static char **app_arguments(int argc, char **argv)
{
	static char text[4096];
	static char *defaults[64];
	int fd, n = 0;
	ssize_t length;

	argv[0] = "/app";
	if (argc > 1 || (fd = open("/etc/app-arguments", O_RDONLY)) < 0)
		return argv;
	length = read(fd, text, sizeof(text) - 1);
	close(fd);
	defaults[n++] = "/app";
	for (char *line = text; length > 0 && line < text + length && n < 63;) {
		char *end = memchr(line, '\n', text + length - line);

		if (!end)
			end = text + length;
		*end = 0;
		defaults[n++] = line;
		line = end + 1;
	}
	defaults[n] = NULL;
	return defaults;
}

static void start_sidecars(void)
{
	struct dirent **names;
	int n = scandir("/sidecars", &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char path[300];
		char *argv[] = { path, NULL };
		pid_t pid;

		snprintf(path, sizeof(path), "/sidecars/%s", names[i]->d_name);
		if (names[i]->d_name[0] != '.' && posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0) {
			char line[400];

			snprintf(line, sizeof(line), "ukl: cannot start sidecar %s\n", path);
			console(line);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

int main(int argc, char **argv)
{
	char line[100], pid_text[16];
	pid_t app;
	int status, err;

	mount("proc", "/proc", "proc", 0, 0);
	mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
	mkdir("/tmp", 01777);
	chmod("/tmp", 01777);
	output_to_ttyS1();
	network_up();

	err = posix_spawn(&app, "/app", NULL, NULL, app_arguments(argc, argv), environ);
	if (err) {
		snprintf(line, sizeof(line), "ukl: cannot start /app: %s\n", strerror(err));
		console(line);
		snprintf(line, sizeof(line), "ukl: application exited with status 127\n");
	} else {
		snprintf(pid_text, sizeof(pid_text), "%d", (int)app);
		setenv("UKL_APP_PID", pid_text, 1);
		start_sidecars();
		while (waitpid(-1, &status, 0) != app || !(WIFEXITED(status) || WIFSIGNALED(status)))
			;
		if (WIFSIGNALED(status))
			snprintf(line, sizeof(line), "ukl: application killed by signal %d\n", WTERMSIG(status));
		else
			snprintf(line, sizeof(line), "ukl: application exited with status %d\n", WEXITSTATUS(status));
	}
	console(line);
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}
