/*
 * The helper of the process test (app.c), an ordinary ring-3 program at
 * /sidecars/helper whichever level the application runs at. It is silent
 * but in "hello" mode, so that the application's output stays the same at
 * every level.
 *
 *   (none)	started by init beside the application: bumps the counter in
 *		/tmp/ukl-progress forever, with floating-point work in
 *		between that would show in the application's registers if
 *		the kernel mixed up the two tasks' FPU states
 *   hello	says hello and exits 7
 *   ukl-exec	as nobody, executes a \177UKL file of its own; exits 0 if that
 *		is refused with EPERM (only init or ukl.app= may start the
 *		application), 2 on another error, 3 if it cannot drop root,
 *		4 if it cannot write the file
 *   kill PID	waits for /tmp/ukl-spinning, then kills PID with SIGKILL
 *   restart PID FD
 *		interrupts PID while it is blocked: stops and continues it
 *		in read(), then writes 'a' to FD; sends SIGUSR1 (SA_RESTART
 *		there) in read(), then writes 'b'; sends SIGUSR2 (no
 *		SA_RESTART) in read(), which fails with EINTR; stops and
 *		continues it in a 200 ms nanosleep(). Exits 0, 2 if a kill
 *		fails, 3 if a write does
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS	"/tmp/ukl-progress"
#define SPINNING	"/tmp/ukl-spinning"
#define EVIL		"/tmp/ukl-evil"
#define NOBODY		65534
/* In us: the application blocks at once, even on a single CPU. */
#define SETTLE		50000

extern char **environ;

/* Where the work goes, so that it is done. */
static volatile double sink;

static int bump_forever(void)
{
	volatile unsigned long *counter;
	struct stat st;
	double a, b;
	void *p;
	int fd, i;

	/* The application may have created it first, or not yet. */
	fd = open(PROGRESS, O_RDWR | O_CREAT, 0666);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) || (st.st_size < 4096 && ftruncate(fd, 4096)))
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 1;
	counter = p;

	for (;;) {
		/* Restarted each burst, so the values stay finite. */
		a = 1.0 + *counter;
		b = 0.5;
		for (i = 0; i < 100000; i++) {
			a = a * 1.0001 + b;
			b = b * 0.9999 + a * 1e-9;
		}
		sink = a + b;
		__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
		sched_yield();
	}
}

static int exec_ukl_file(void)
{
	static const char magic[] = "\177UKL\n";
	char *argv[] = { EVIL, NULL };
	int fd;

	/* Made as root and handed over: /tmp need not be writable by nobody. */
	fd = open(EVIL, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, magic, sizeof(magic) - 1) != sizeof(magic) - 1 ||
	    fchmod(fd, 0755) || fchown(fd, NOBODY, NOBODY))
		return 4;
	/* Still open for writing, it could only fail with ETXTBSY. */
	close(fd);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 3;
	execve(EVIL, argv, environ);
	return errno == EPERM ? 0 : 2;
}

static int kill_when_spinning(pid_t pid)
{
	int i;

	/* The application creates it just before it spins: ~10 s at most. */
	for (i = 0; i < 10000 && access(SPINNING, F_OK); i++)
		usleep(1000);
	return kill(pid, SIGKILL) ? 1 : 0;
}

/* The application's check_restart() reads, or sleeps, in step with this. */
static int interrupt_blocked(pid_t pid, int fd)
{
	/* 1: no handler, so read() goes on as if never stopped. */
	usleep(SETTLE);
	if (kill(pid, SIGSTOP))
		return 2;
	usleep(SETTLE);
	if (kill(pid, SIGCONT))
		return 2;
	usleep(SETTLE);
	if (write(fd, "a", 1) != 1)
		return 3;

	/* 2: the handler runs, and read() is restarted for this byte. */
	usleep(SETTLE);
	if (kill(pid, SIGUSR1))
		return 2;
	usleep(SETTLE);
	if (write(fd, "b", 1) != 1)
		return 3;

	/* 3: the handler runs, and read() fails with EINTR: no byte. */
	usleep(SETTLE);
	if (kill(pid, SIGUSR2))
		return 2;

	/*
	 * 4: it went straight into nanosleep(); stopped well before its
	 * 200 ms are up, it must sleep the rest through restart_syscall.
	 */
	usleep(20000);
	if (kill(pid, SIGSTOP))
		return 2;
	usleep(20000);
	return kill(pid, SIGCONT) ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return bump_forever();
	if (!strcmp(argv[1], "hello")) {
		printf("helper: hello from ring 3\n");
		fflush(stdout);
		return 7;
	}
	if (!strcmp(argv[1], "ukl-exec"))
		return exec_ukl_file();
	if (!strcmp(argv[1], "kill") && argc > 2)
		return kill_when_spinning(atoi(argv[2]));
	if (!strcmp(argv[1], "restart") && argc > 3)
		return interrupt_blocked(atoi(argv[2]), atoi(argv[3]));
	return 1;
}
