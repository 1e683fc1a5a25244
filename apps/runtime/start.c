/*
 * The ukl-opt runtime, linked into every program `ukl-opt cc` links: how each
 * level starts it. It plays the part of crt1.o, and musl does the rest.
 *
 * - UKL levels: the kernel calls ukl_start(argc, argv, envp) in ring 0 (as
 *   ukl_app_main), with the auxiliary vector after envp as for any exec.
 * - linux, and ordinary programs in an image (its /init, sidecars): the
 *   same bitcode is a static program entered at _start.
 *
 * What every program expects to find set up (/proc, /dev, the network,
 * stdout on ttyS1) is the image's init's job (initramfs/init.c), as on any
 * Linux system; the application's exit status is reported by that init.
 */
int main(int argc, char **argv, char **envp);
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
		      void (*init)(void), void (*fini)(void), void (*ldso)(void));

/* UKL levels: the kernel's entry into the application. argv and envp are
 * where exec put them, so libc finds the auxiliary vector after envp. */
int ukl_start(int argc, char **argv, char **envp)
{
	(void)envp;
	return __libc_start_main(main, argc, argv, 0, 0, 0);
}

/* An ordinary program: the ELF entry point, with argc at the stack pointer. */
__attribute__((used)) static void ukl_linux_start(long *sp)
{
	__libc_start_main(main, (int)sp[0], (char **)(sp + 1), 0, 0, 0);
}

__attribute__((naked)) void _start(void)
{
	__asm__("xor %ebp, %ebp\n"
		"mov %rsp, %rdi\n"
		"and $-16, %rsp\n"
		"call ukl_linux_start\n"
		"hlt\n");
}
