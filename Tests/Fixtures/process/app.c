/*
 * The application of the process test: it is run at every ukl-opt level,
 * "linux" as an ordinary process and the others in ring 0, and must behave
 * as a process all the same: threads with their own TLS, a fault turned
 * into a signal, EFAULT from a bad buffer, blocking system calls that
 * signals interrupt and that restart (or fail with EINTR) as on Linux, a
 * deep stack, being preempted without losing its FPU registers, spawning
 * ring-3 programs, and being killed. Its output must be identical at every
 * level: nothing that depends on timing is printed.
 *
 * With no argument (or "all") it prints one "NAME: ok" or
 * "NAME: FAILED (detail)" line per check, then "done", and exits 0 if all
 * passed. With "kill" it spins until the helper kills it with SIGKILL.
 * The helper (helper.c) is /sidecars/helper, and init also starts it,
 * without arguments, beside the application.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HELPER		"/sidecars/helper"
#define PROGRESS	"/tmp/ukl-progress"
#define SPINNING	"/tmp/ukl-spinning"
#define THREADS		4
#define BUMPS		1000
/* Far beyond what 3 bumps take: reached only if the sidecar never runs. */
#define SPIN_LIMIT	4000000000UL

extern char **environ;

static char detail[80];
static int failures;

static void report(const char *name, const char *failure)
{
	if (failure) {
		printf("%s: FAILED (%s)\n", name, failure);
		failures++;
	} else {
		printf("%s: ok\n", name);
	}
	fflush(stdout);
}

/* threads */

static _Thread_local volatile int tls_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_here = PTHREAD_COND_INITIALIZER;
static int arrived;
static int ids[2];

struct worker {
	pthread_t thread;
	int id;
	int count;	/* its tls_count once all have bumped theirs */
	int sum;	/* the ids read, for the last thread */
	int io_ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char byte;
	int i;

	for (i = 0; i < BUMPS; i++)
		tls_count++;
	/* Nobody looks before everybody has bumped: a shared copy would show. */
	pthread_mutex_lock(&lock);
	if (++arrived == THREADS)
		pthread_cond_broadcast(&all_here);
	while (arrived < THREADS)
		pthread_cond_wait(&all_here, &lock);
	pthread_mutex_unlock(&lock);
	w->count = tls_count;

	w->io_ok = 1;
	if (w->id < THREADS - 1) {
		byte = w->id;
		w->io_ok = write(ids[1], &byte, 1) == 1;
		return NULL;
	}
	/* The reader may block in read() until the writers get to run. */
	for (i = 0; i < THREADS - 1; i++) {
		if (read(ids[0], &byte, 1) == 1)
			w->sum += byte;
		else
			w->io_ok = 0;
	}
	return NULL;
}

static const char *check_threads(void)
{
	struct worker workers[THREADS] = { 0 };
	int i;

	tls_count = 42;
	if (pipe(ids))
		return "pipe";
	for (i = 0; i < THREADS; i++) {
		workers[i].id = i;
		if (pthread_create(&workers[i].thread, NULL, work, &workers[i])) {
			/* No join: the others wait for it at the rendezvous forever. */
			snprintf(detail, sizeof(detail), "pthread_create %d", i);
			return detail;
		}
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(workers[i].thread, NULL);
	close(ids[0]);
	close(ids[1]);

	for (i = 0; i < THREADS; i++) {
		if (workers[i].count != BUMPS) {
			snprintf(detail, sizeof(detail), "thread %d counted %d",
				 i, workers[i].count);
			return detail;
		}
		if (!workers[i].io_ok) {
			snprintf(detail, sizeof(detail), "thread %d: pipe", i);
			return detail;
		}
	}
	if (workers[THREADS - 1].sum != 0 + 1 + 2) {
		snprintf(detail, sizeof(detail), "ids read sum to %d",
			 workers[THREADS - 1].sum);
		return detail;
	}
	if (tls_count != 42) {
		snprintf(detail, sizeof(detail), "main thread's TLS is %d", tls_count);
		return detail;
	}
	return NULL;
}

/* segv */

static sigjmp_buf segv_back;
static volatile sig_atomic_t segv_caught;

static void on_segv(int sig)
{
	(void)sig;
	segv_caught = 1;
	siglongjmp(segv_back, 1);
}

static const char *check_segv(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	sigset_t blocked;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL))
		return "sigaction";
	if (!sigsetjmp(segv_back, 1))
		*(volatile int *)8 = 1;
	sa.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &sa, NULL);

	if (!segv_caught)
		return "no SIGSEGV";
	/* siglongjmp must have restored the mask the handler ran with. */
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	if (sigismember(&blocked, SIGSEGV))
		return "SIGSEGV still blocked";
	return NULL;
}

/* efault */

static const char *check_efault(void)
{
	const char *failure = NULL;
	int fds[2];

	if (pipe(fds))
		return "pipe";
	errno = 0;
	if (write(fds[1], (void *)8, 1) != -1 || errno != EFAULT)
		failure = "write from a bad address";
	else if (write(fds[1], "x", 1) != 1)
		failure = "write";
	else if (errno = 0, read(fds[0], (void *)8, 1) != -1 || errno != EFAULT)
		failure = "read into a bad address";
	close(fds[0]);
	close(fds[1]);
	return failure;
}

/* restart */

static volatile sig_atomic_t usr1_runs, usr2_runs;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_runs++;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_runs++;
}

/* NULL if the read after WHAT got WANT (-1: failing with EINTR), or why not. */
static const char *read_result(const char *what, ssize_t n, char byte, int want)
{
	if (want < 0 ? n == -1 && errno == EINTR : n == 1 && byte == want)
		return NULL;
	if (n == 1)
		snprintf(detail, sizeof(detail), "read after %s got %#x", what,
			 (unsigned char)byte);
	else if (n == 0)
		snprintf(detail, sizeof(detail), "read after %s: end of file", what);
	else
		snprintf(detail, sizeof(detail), "read after %s: %s", what,
			 strerror(errno));
	return detail;
}

/*
 * The helper signals us while we are blocked, then writes the byte that
 * ends the read, as helper.c's "restart" mode says; it gets the write end
 * of the pipe, and ours is closed so that a helper gone early is an end
 * of file, not a hang. Without a handler, a stop and continue must not be
 * seen at all: read() is restarted, and nanosleep() continued through
 * restart_syscall.
 */
static const char *check_restart(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct timespec nap = { 0, 200000000 };
	const char *failure = NULL;
	char pid[16], fd[16];
	char *argv[] = { HELPER, "restart", pid, fd, NULL };
	int fds[2], err, status;
	pid_t helper, got;
	ssize_t n;
	char byte;

	if (pipe(fds))
		return "pipe";
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(fd, sizeof(fd), "%d", fds[1]);
	err = posix_spawn(&helper, HELPER, NULL, NULL, argv, environ);
	close(fds[1]);
	if (err) {
		snprintf(detail, sizeof(detail), "posix_spawn: %s", strerror(err));
		failure = detail;
		goto out;
	}

	byte = 0;
	n = read(fds[0], &byte, 1);
	failure = read_result("SIGSTOP", n, byte, 'a');
	if (!failure) {
		byte = 0;
		n = read(fds[0], &byte, 1);
		failure = read_result("SIGUSR1", n, byte, 'b');
	}
	if (!failure && usr1_runs != 1) {
		snprintf(detail, sizeof(detail), "SIGUSR1 handler ran %d times",
			 (int)usr1_runs);
		failure = detail;
	}
	if (!failure) {
		n = read(fds[0], &byte, 1);
		failure = read_result("SIGUSR2", n, byte, -1);
	}
	if (!failure && usr2_runs != 1) {
		snprintf(detail, sizeof(detail), "SIGUSR2 handler ran %d times",
			 (int)usr2_runs);
		failure = detail;
	}
	/* Stopped and continued in it: its result is timeless, its length not. */
	if (!failure && nanosleep(&nap, NULL)) {
		snprintf(detail, sizeof(detail), "nanosleep: %s", strerror(errno));
		failure = detail;
	}

	/* It may still be signalling us, SIGUSR2 too if a read went wrong. */
	while ((got = waitpid(helper, &status, 0)) == -1 && errno == EINTR)
		;
	/* Checked last, told first: a helper gone early explains an end of file. */
	if (got != helper) {
		failure = "waitpid";
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFEXITED(status))
			snprintf(detail, sizeof(detail), "helper exit status %d",
				 WEXITSTATUS(status));
		else
			snprintf(detail, sizeof(detail), "helper status %#x", status);
		failure = detail;
	}
out:
	close(fds[0]);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	return failure;
}

/* bigframe */

/* Not a constant, or the compiler keeps only the two bytes it sees used. */
static volatile unsigned long frame_top = (1 << 20) - 1;

__attribute__((noinline)) static int big_frame(char first, char last)
{
	volatile char buf[1 << 20];
	unsigned long top = frame_top;

	buf[0] = first;
	buf[top] = last;
	return buf[0] + buf[top];
}

static const char *check_bigframe(void)
{
	return big_frame(3, 4) == 7 ? NULL : "wrong sum";
}

/* fpu */

static volatile double seed_x = 1.0, seed_y = 0.5;

static const char *check_fpu(void)
{
	volatile unsigned long *counter;
	unsigned long start, n = 0, i;
	double x, y, x2, y2;
	struct stat st;
	void *p;
	int fd;

	/* The sidecar may have created it first, or not yet. */
	fd = open(PROGRESS, O_RDWR | O_CREAT, 0666);
	if (fd < 0)
		return "cannot open " PROGRESS;
	if (fstat(fd, &st) || (st.st_size < 4096 && ftruncate(fd, 4096))) {
		close(fd);
		return "cannot size " PROGRESS;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return "cannot map " PROGRESS;
	counter = p;

	/*
	 * No system call in here: the sidecar, bumping the counter with its
	 * own floating-point work in between, only runs if the timer preempts
	 * us, and x and y, in registers, survive only if our FPU state does.
	 */
	start = *counter;
	x = seed_x;
	y = seed_y;
	while (*counter < start + 3 && n < SPIN_LIMIT) {
		x = x * 1.0000001 + y;
		y = y * 0.9999999;
		n++;
	}
	munmap(p, 4096);
	if (n == SPIN_LIMIT)
		return "the sidecar did not run while the application spun";

	x2 = seed_x;
	y2 = seed_y;
	for (i = 0; i < n; i++) {
		x2 = x2 * 1.0000001 + y2;
		y2 = y2 * 0.9999999;
	}
	if (memcmp(&x, &x2, sizeof(x)) || memcmp(&y, &y2, sizeof(y)))
		return "floating-point registers changed while preempted";
	return NULL;
}

/* spawn, ukl-exec, kill */

static int spawn_helper(pid_t *pid, char *mode, char *arg)
{
	char *argv[] = { HELPER, mode, arg, NULL };

	return posix_spawn(pid, HELPER, NULL, NULL, argv, environ);
}

/* Runs the helper in MODE to its end: NULL if it exited with WANT. */
static const char *run_helper(char *mode, int want)
{
	int err, status;
	pid_t pid;

	err = spawn_helper(&pid, mode, NULL);
	if (err) {
		snprintf(detail, sizeof(detail), "posix_spawn: %s", strerror(err));
		return detail;
	}
	if (waitpid(pid, &status, 0) != pid)
		return "waitpid";
	if (WIFEXITED(status) && WEXITSTATUS(status) == want)
		return NULL;
	if (WIFEXITED(status))
		snprintf(detail, sizeof(detail), "exit status %d", WEXITSTATUS(status));
	else
		snprintf(detail, sizeof(detail), "status %#x", status);
	return detail;
}

static volatile int stop;

static int spin_until_killed(void)
{
	volatile unsigned long x = 1;
	char pid[16];
	pid_t helper;
	int fd, err;

	fd = open(SPINNING, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("kill: FAILED (cannot create " SPINNING ")\n");
		fflush(stdout);
		return 1;
	}
	close(fd);
	printf("spinning\n");
	fflush(stdout);

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	err = spawn_helper(&helper, "kill", pid);
	if (err) {
		printf("kill: FAILED (posix_spawn: %s)\n", strerror(err));
		fflush(stdout);
		return 1;
	}
	/* No system call: SIGKILL must stop us in the middle of plain code. */
	while (!stop)
		x = x * 3 + 1;
	printf("kill: FAILED\n");
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	const char *scenario = argc > 1 ? argv[1] : "all";

	if (!strcmp(scenario, "kill"))
		return spin_until_killed();
	if (strcmp(scenario, "all")) {
		printf("unknown scenario %s\n", scenario);
		fflush(stdout);
		return 2;
	}
	report("threads", check_threads());
	report("segv", check_segv());
	report("efault", check_efault());
	report("restart", check_restart());
	report("bigframe", check_bigframe());
	report("fpu", check_fpu());
	/* The helper says hello itself, before this line. */
	report("spawn", run_helper("hello", 7));
	/* Exit status 0: its exec of a \177UKL file was refused with EPERM. */
	report("ukl-exec", run_helper("ukl-exec", 0));
	printf("done\n");
	fflush(stdout);
	return failures != 0;
}
